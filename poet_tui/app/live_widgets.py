"""Widgets that show a run: a throttled loss plot, and the memory panel (memory_panel.py, its history as a
sparkline)."""

from __future__ import annotations

import math
from typing import Any, ClassVar, cast

from plotext._dict import themes as plotext_themes
from textual.binding import Binding, BindingType
from textual.content import Content

from poet_tui.app.memory_panel import MemoryPanel, memory_content
from poet_tui.app.plot_scales import (
    Points,
    loss_ticks,
    padded,
    recent,
    recent_start,
    smoothed,
    step_ticks,
)
from poet_tui.app.throttled_plot import MAX_MARKS, RGB, ThrottledPlot, blend, theme_colour, thin

# The theme variables each series is drawn in, and the colour used where a theme does not set one.
SERIES_COLOURS: dict[str, tuple[str, RGB]] = {
    "train": ("text-primary", (87, 165, 226)),
    "validation": ("text-accent", (255, 196, 115)),
    "recovery": ("text-error", (209, 126, 146)),
    "adherence": ("text-success", (138, 212, 161)),
    "novelty": ("foreground", (224, 224, 224)),
}
RAW_SHARE = 0.5  # the raw training line: this much of the train colour over the background
VALIDATION_MARKER = "◆"


def hex_of(colour: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*colour)


class LossPlot(ThrottledPlot):
    """Training loss (smoothed, over the raw line drawn faint) and validation loss as markers at the steps it
    was measured, against steps, with a red vertical line at each step where training recovered (a NaN
    rollback, an out-of-memory halving). Round ticks, the unit on the axis, the legend under the frame, and
    colours from the app's theme. `l` toggles a log scale, `z` zooms to the recent steps. `show()` only marks
    it dirty: a timer redraws, a few times a second at most."""

    can_focus = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("l", "toggle_log", "Log scale", tooltip="Loss plot: log scale on or off", id="plot.log"),
        Binding(
            "z",
            "toggle_zoom",
            "Zoom recent",
            tooltip="Loss plot: the last quarter of the steps, or all",
            id="plot.zoom",
        ),
    ]

    def __init__(
        self,
        *,
        id: str | None = None,
        classes: str | None = None,
        title: str = "",
        caption: str = "",
        focusable: bool = True,
    ) -> None:
        """`title` goes inside the frame; `caption`, when given, is the border title, followed by the last
        validation in nats/token and bits/char and the scale and zoom in use."""
        super().__init__(id=id, classes=classes)
        self.can_focus = focusable
        self.plot_title = title
        self.caption = caption
        self.train_points: list[tuple[int, float]] = []
        self.val_points: list[tuple[int, float]] = []
        self.marks: list[int] = []
        self.bits_per_nat: float | None = None  # bits/char per nat/token, from the last evaluation
        self.log_scale = False
        self.zoomed = False
        self.plotted: tuple[int, int] = (0, 0)  # (train, validation) points in the last drawing
        self.marked: list[int] = []  # the steps marked in the last drawing
        self.plotted_steps: tuple[int, int] | None = None  # the first and last step in the last drawing
        self.tick_labels: tuple[list[str], list[str]] = ([], [])  # (step, loss) tick labels last drawn
        self.y_range: tuple[float, float] | None = None  # the loss axis last drawn (log10 of losses on a log scale)
        self.colours: dict[str, RGB] = {}

    def show(
        self,
        train: list[tuple[int, float]],
        validation: list[tuple[int, float]],
        marks: list[int] | None = None,
        *,
        bits_per_nat: float | None = None,
    ) -> None:
        """The curves to draw; `bits_per_nat` (the last evaluation's bits/char over its nats/token) adds the
        bits/char figure to the title."""
        self.train_points = train
        self.val_points = validation
        self.marks = marks or []
        self.bits_per_nat = bits_per_nat
        self.dirty = True

    def action_toggle_log(self) -> None:
        self.log_scale = not self.log_scale
        self.dirty = True
        self.redraw_if_dirty()

    def action_toggle_zoom(self) -> None:
        self.zoomed = not self.zoomed
        self.dirty = True
        self.redraw_if_dirty()

    # ----- colours -----
    def before_draw(self) -> None:
        self.use_theme_colours()

    def use_theme_colours(self) -> None:
        """The series in the theme's colours; the canvas in the panel's own background, ticks in its text."""
        variables = self.app.theme_variables
        background = self.background_colors[1].rgb
        foreground = theme_colour(variables, "foreground", (224, 224, 224))
        self.colours = {
            name: theme_colour(variables, key, fallback) for name, (key, fallback) in SERIES_COLOURS.items()
        }
        self.colours["raw"] = blend(self.colours["train"], background, RAW_SHARE)
        self.colours["ticks"] = blend(foreground, background, 0.75)
        name = f"poet-{self.id or id(self)}"  # each plot its own: their panels' backgrounds may differ
        plotext_themes[name] = [background, background, self.colours["ticks"], "default", [foreground]]
        self.theme = cast(Any, name)

    # ----- drawing -----
    def value(self, loss: float) -> float:
        return math.log10(max(loss, 1e-6)) if self.log_scale else loss

    def first_shown_step(self) -> int | None:
        """Where zoom-to-recent starts the plot; None when it is off or the run is too short to zoom."""
        return recent_start(thin(self.train_points)) if self.zoomed else None

    def draw(self, plt: Any) -> None:
        """The curves and marks on a cleared figure (a subclass adds its own series after these)."""
        train, validation = thin(self.train_points), thin(self.val_points)
        first = self.first_shown_step()
        if first is not None:
            train, validation = recent(train, first), recent(validation, first)
        trend = smoothed(train)
        colours = self.colours
        if self.plot_title:
            plt.title(self.plot_title)
        plt.xlabel("step")
        plt.ylabel("loss (nats/token)" + (", log scale" if self.log_scale else ""))
        if train and trend != train:
            plt.plot([x for x, _ in train], [self.value(y) for _, y in train], marker="braille", color=colours["raw"])
        if train:
            plt.plot([x for x, _ in trend], [self.value(y) for _, y in trend], marker="hd", color=colours["train"])
        if validation:
            xs, ys = [x for x, _ in validation], [self.value(y) for _, y in validation]
            plt.scatter(xs, ys, marker=VALIDATION_MARKER, color=colours["validation"])
        self.marked = [step for step in self.marks[-MAX_MARKS:] if first is None or step >= first]
        for step in self.marked:
            plt.vline(step, colours["recovery"])
        self.set_axes(plt, train, validation)
        self.plotted = (len(train), len(validation))
        self.border_subtitle = self.legend(bool(train and trend != train), bool(validation), bool(self.marked))
        if self.caption:
            self.border_title = self.caption + "".join(self.figures())

    def set_axes(self, plt: Any, train: Points, validation: Points) -> None:
        points = train + validation
        if not points:
            self.plotted_steps, self.tick_labels, self.y_range = None, ([], []), None
            return
        steps = [step for step, _ in points] + self.marked
        first, last = min(steps), max(steps)
        if first == last:
            first, last = first - 1, last + 1
        width, height = max(self.size.width, 20), max(self.size.height, 6)
        x_values, x_labels = step_ticks(first, last, most=max(2, min(10, width // 8)))
        low, high = min(loss for _, loss in points), max(loss for _, loss in points)
        y_values, y_labels = loss_ticks(low, high, most=max(2, min(6, height // 3)), log=self.log_scale)
        bottom, top = padded(self.value(low), self.value(high))
        plt.xlim(first, last)
        plt.ylim(bottom, top)
        self.y_range = (bottom, top)
        plt.xticks(x_values, x_labels)
        plt.yticks(y_values, y_labels)
        self.plotted_steps = (first, last)
        self.tick_labels = (x_labels, y_labels)

    def legend_items(self, raw: bool, validation: bool, recovered: bool) -> list[tuple[str, str]]:
        """(symbol, words) for each series drawn, in its colour's name in `self.colours`."""
        items = [("train", "━ train")]
        if raw:
            items.append(("raw", "━ raw"))
        if validation:
            items.append(("validation", f"{VALIDATION_MARKER} val"))
        if recovered:
            items.append(("recovery", "│ recovered"))
        return items

    def legend(self, raw: bool, validation: bool, recovered: bool) -> Content:
        """The legend under the frame, never over the data: each entry in its series' colour."""
        if not self.train_points and not self.val_points:
            return Content("")  # an empty frame says enough; the Run panel says what the run is doing
        parts: list[str | tuple[str, str]] = []
        for key, words in self.legend_items(raw, validation, recovered):
            if parts:
                parts.append(" ")
            parts.append((words, hex_of(self.colours[key])))
        return Content.assemble(*parts)

    def figures(self) -> list[str]:
        notes: list[str] = []
        last_val = self.val_points[-1][1] if self.val_points else None
        if last_val is not None and self.bits_per_nat is not None:
            notes.append(f" · val {last_val:.2f} nats/token = {last_val * self.bits_per_nat:.2f} bits/char")
        if self.zoomed:
            notes.append(" · zoom: recent steps")
        if self.log_scale:
            notes.append(" · log")
        return notes


__all__ = ["LossPlot", "MemoryPanel", "memory_content", "thin"]
