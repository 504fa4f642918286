"""What the app's plots share: a redraw throttled by a timer (setters only mark the plot dirty), a redraw on a
theme change, and the colour helpers that turn theme colours into the (r, g, b) plotext draws with."""

from __future__ import annotations

from typing import Any

from textual.color import Color, ColorParseError
from textual_plotext import PlotextPlot

REDRAW_INTERVAL_S = 0.3  # a plot is redrawn at most about three times a second
MAX_MARKS = 40  # recoveries marked on a plot; a run that recovered more often shows its last ones
RGB = tuple[int, int, int]


class ThrottledPlot(PlotextPlot):
    """A plot that many events may change in a second: what changes it sets `dirty`, and a timer redraws it
    (clear, draw, refresh) a few times a second at most, and only while it is displayed."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.dirty = True

    def on_mount(self) -> None:
        super().on_mount()
        self.app.theme_changed_signal.subscribe(self, lambda theme: self.mark_dirty())
        self.set_interval(REDRAW_INTERVAL_S, self.redraw_if_dirty)
        self.redraw_if_dirty()

    def mark_dirty(self) -> None:
        self.dirty = True

    def redraw_if_dirty(self) -> None:
        if not self.dirty or not self.display:
            return
        self.dirty = False
        self.plt.clear_data()
        self.plt.clear_figure()
        self.before_draw()
        self.draw(self.plt)
        self.refresh()

    def before_draw(self) -> None:
        """Anything a subclass must settle before drawing (its colours from the current theme)."""

    def draw(self, plt: Any) -> None:
        raise NotImplementedError


def thin(points: list[tuple[int, float]], limit: int = 600) -> list[tuple[int, float]]:
    """Every n-th point (and the last), so a long run's curve costs the same to draw as a short one's."""
    if len(points) <= limit:
        return points
    stride = len(points) / limit
    return [points[int(index * stride)] for index in range(limit)] + [points[-1]]


def theme_colour(variables: dict[str, str], name: str, fallback: RGB) -> RGB:
    """A theme variable as the (r, g, b) plotext draws with; the fallback when it is missing or relative."""
    return parse_colour(variables.get(name), fallback)


def parse_colour(colour: str | None, fallback: RGB) -> RGB:
    """A colour as (r, g, b); the fallback for none, or one Textual cannot parse (plot rather than fail)."""
    if not colour:
        return fallback
    try:
        return Color.parse(colour).rgb
    except (ColorParseError, ValueError, TypeError):
        return fallback


def blend(colour: RGB, background: RGB, share: float) -> RGB:
    r, g, b = (round(c * share + bg * (1 - share)) for c, bg in zip(colour, background, strict=True))
    return (r, g, b)
