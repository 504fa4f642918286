"""The Train pane's plot: the loss, and form adherence as a second series on its own 0–1 axis at the right."""

from __future__ import annotations

from typing import Any

from poet_tui.app.live_widgets import LossPlot, thin

ADHERENCE_COLOUR = "green"
ADHERENCE_AXIS = "form adherence: right axis, 0–1"  # under the plot: the legend's ⅃ alone is easy to miss


class LossAndFormPlot(LossPlot):
    """Loss against steps, and form adherence (the share of unconstrained samples in one of the corpus's
    dominant forms) on a 0–1 axis at the right. `show_adherence()` only marks it dirty: the loss plot's timer
    redraws both at once, a few times a second at most."""

    def __init__(self, *, id: str | None = None, classes: str | None = None, title: str = "") -> None:
        super().__init__(id=id, classes=classes, title=title)
        self.adherence_points: list[tuple[int, float]] = []
        self.plotted_adherence = 0  # points in the last drawing

    def show_adherence(self, points: list[tuple[int, float]]) -> None:
        self.adherence_points = points
        self.dirty = True

    def draw(self, plt: Any) -> None:
        super().draw(plt)
        points = thin(self.adherence_points)
        if points:
            steps, shares = [step for step, _ in points], [share for _, share in points]
            plt.plot(steps, shares, label="form adherence", marker="hd", color=ADHERENCE_COLOUR, yside="right")
            plt.ylim(0, 1, yside="right")
        self.border_subtitle = ADHERENCE_AXIS if points else ""
        self.plotted_adherence = len(points)
