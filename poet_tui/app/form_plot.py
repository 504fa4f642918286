"""The Train pane's plot: the loss, and two shares of the samples as series on their own 0–1 axis at the right:
form adherence, and novelty (memorisation shows as novelty falling while the loss still improves)."""

from __future__ import annotations

from typing import Any

from poet_tui.app.live_widgets import LossPlot, thin

ADHERENCE_MARKER = "▪"
NOVELTY_MARKER = "*"  # not a block or a dot, so it stays apart from adherence and validation in one cell too
RIGHT_AXIS = ": right axis, 0–1"


class LossAndFormPlot(LossPlot):
    """Loss against steps; form adherence (the share of unconstrained samples in one of the corpus's dominant
    forms) and novelty (the share of each evaluation's sample outside verbatim copies from the training text) on
    a 0–1 axis at the right. `show_adherence()` and `show_novelty()` only mark it dirty: the loss plot's timer
    redraws all at once, a few times a second at most."""

    def __init__(
        self, *, id: str | None = None, classes: str | None = None, title: str = "", caption: str = ""
    ) -> None:
        super().__init__(id=id, classes=classes, title=title, caption=caption)
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
        adherence, novelty = thin(self.adherence_points), thin(self.novelty_points)
        first = self.first_shown_step()
        if first is not None:
            adherence = [point for point in adherence if point[0] >= first]
            novelty = [point for point in novelty if point[0] >= first]
        self.plotted_adherence, self.plotted_novelty = len(adherence), len(novelty)
        super().draw(plt)
        if adherence:
            steps, shares = [step for step, _ in adherence], [share for _, share in adherence]
            plt.plot(steps, shares, marker=ADHERENCE_MARKER, color=self.colours["adherence"], yside="right")
        if novelty:
            steps, shares = [step for step, _ in novelty], [share for _, share in novelty]
            plt.scatter(steps, shares, marker=NOVELTY_MARKER, color=self.colours["novelty"], yside="right")
        if adherence or novelty:
            plt.ylim(0, 1, yside="right")
            plt.yticks([0, 0.5, 1], ["0", "0.5", "1"], yside="right")

    def legend_items(self, raw: bool, validation: bool, recovered: bool) -> list[tuple[str, str]]:
        items = super().legend_items(raw, validation, recovered)
        adherence, novelty = self.plotted_adherence > 0, self.plotted_novelty > 0
        if adherence:
            items.append(("adherence", f"{ADHERENCE_MARKER} adherence" + ("" if novelty else RIGHT_AXIS)))
        if novelty:
            items.append(("novelty", f"{NOVELTY_MARKER} novelty{RIGHT_AXIS}"))
        return items
