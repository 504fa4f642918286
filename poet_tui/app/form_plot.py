"""The Train pane's plot: the loss, and two shares of the samples as series on their own 0–1 axis at the right:
form adherence, and novelty (memorisation shows as novelty falling while the loss still improves)."""

from __future__ import annotations

from typing import Any

from poet_tui.app.live_widgets import LossPlot, thin

ADHERENCE_COLOUR = "green"
NOVELTY_COLOUR = "magenta"
NOVELTY_MARKER = "*"  # not a block or a dot, so it stays apart from adherence and validation in one cell too
# Under the plot: the legend's ⅃ alone is easy to miss, and each name is in its series' colour to say which is which.
ADHERENCE_AXIS = "form adherence: right axis, 0–1"
NOVELTY_AXIS = f"[{NOVELTY_COLOUR}]novelty {NOVELTY_MARKER}[/]: right axis, 0–1"
BOTH_AXIS = f"[{ADHERENCE_COLOUR}]adherence[/] · [{NOVELTY_COLOUR}]novelty {NOVELTY_MARKER}[/]: right axis, 0–1"


class LossAndFormPlot(LossPlot):
    """Loss against steps; form adherence (the share of unconstrained samples in one of the corpus's dominant
    forms) and novelty (the share of each evaluation's sample outside verbatim copies from the training text) on
    a 0–1 axis at the right. `show_adherence()` and `show_novelty()` only mark it dirty: the loss plot's timer
    redraws all at once, a few times a second at most."""

    def __init__(self, *, id: str | None = None, classes: str | None = None, title: str = "") -> None:
        super().__init__(id=id, classes=classes, title=title)
        self.adherence_points: list[tuple[int, float]] = []
        self.novelty_points: list[tuple[int, float]] = []
        self.plotted_adherence = 0  # points in the last drawing
        self.plotted_novelty = 0

    def show_adherence(self, points: list[tuple[int, float]]) -> None:
        self.adherence_points = points
        self.dirty = True

    def show_novelty(self, points: list[tuple[int, float]]) -> None:
        self.novelty_points = points
        self.dirty = True

    def draw(self, plt: Any) -> None:
        super().draw(plt)
        adherence, novelty = thin(self.adherence_points), thin(self.novelty_points)
        if adherence:
            steps, shares = [step for step, _ in adherence], [share for _, share in adherence]
            plt.plot(steps, shares, label="form adherence", marker="hd", color=ADHERENCE_COLOUR, yside="right")
        if novelty:
            steps, shares = [step for step, _ in novelty], [share for _, share in novelty]
            plt.plot(steps, shares, label="novelty", marker=NOVELTY_MARKER, color=NOVELTY_COLOUR, yside="right")
        if adherence or novelty:
            plt.ylim(0, 1, yside="right")
        self.border_subtitle = {
            (True, False): ADHERENCE_AXIS,
            (False, True): NOVELTY_AXIS,
            (True, True): BOTH_AXIS,
        }.get((bool(adherence), bool(novelty)), "")
        self.plotted_adherence, self.plotted_novelty = len(adherence), len(novelty)
