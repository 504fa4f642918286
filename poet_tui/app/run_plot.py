"""The run browser's plot: validation bits/char against step — of the highlighted run (with its training loss on
the same scale, and its recoveries marked), or of every run marked for comparison, one colour each. Bits/char is
the one scale on which runs with different tokenizers compare. The legend is in the border, outside the data."""

from __future__ import annotations

import math
from typing import Any

from textual.color import Color
from textual_plotext import PlotextPlot

from poet_tui.app.run_table import short_name

REDRAW_INTERVAL_S = 0.3  # redrawn at most about three times a second, like the Train pane's plot
MAX_MARKS = 40  # recoveries marked; a run that recovered more often shows its last ones
TICKS = 5  # about this many ticks on each axis
VALIDATION_MARKER = "●"
THEME_COLOURS = ("accent", "primary", "success", "error", "secondary", "warning")  # one per run compared, in order
WORD_NOTE = "* word: flattered by <unk>"  # the detail says it in full


Series = tuple[list[tuple[int, float]], tuple[int, int, int], str]  # points, colour, name in the legend


def nice_step(span: float, count: int = TICKS) -> float:
    """A round tick spacing (1, 2, 2.5 or 5 times a power of ten) giving about `count` ticks over `span`."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / count
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def nice_ticks(low: float, high: float, count: int = TICKS, whole: bool = False) -> list[float]:
    """Round values from `low` to `high` (both included, widened to a tick), whole numbers when asked."""
    if high <= low:
        high = low + (1 if whole else abs(low) * 0.1 or 1)
    step = nice_step(high - low, count)
    if whole:
        step = max(1.0, float(math.ceil(step)))
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value < high + step * 0.999:
        ticks.append(round(value, 10))
        value += step
    return ticks


def decimals_for(step: float) -> int:
    """How many decimals tick labels `step` apart need: 0.25 → 2, 0.5 → 1, 2 → 0."""
    text = f"{step:.6f}".rstrip("0").rstrip(".")
    return len(text.partition(".")[2])


def tick_label(value: float, step: float) -> str:
    """As few decimals as the spacing needs (`2`, `1.5`, `1.25`); a step axis past 10,000 in thousands."""
    decimals = decimals_for(step)
    if decimals == 0 and abs(value) >= 10_000:
        return f"{value / 1000:g}k"
    return f"{value:.{decimals}f}"


def rgb(color: str | None, fallback: tuple[int, int, int]) -> tuple[int, int, int]:
    if not color:
        return fallback
    try:
        parsed = Color.parse(color)
    except Exception:  # a theme colour Textual cannot parse: plot in the fallback rather than fail
        return fallback
    return parsed.r, parsed.g, parsed.b


def train_in_bits_per_char(summary: Any) -> list[tuple[int, float]]:
    """The training loss (nats/token) on the bits/char scale, at the tokens-per-character of the validation text
    (from the last evaluation): close enough to read the gap between training and validation."""
    if not summary.val_bpc_points or not summary.val_loss_points:
        return []
    loss_by_step = dict(summary.val_loss_points)
    step, bpc = summary.val_bpc_points[-1]
    loss = loss_by_step.get(step)
    if not loss:
        return []
    scale = bpc / loss
    return [(point_step, value * scale) for point_step, value in summary.train_points]


class RunCurvesPlot(PlotextPlot):
    """`show(highlighted, compared)` only marks the plot dirty; a timer redraws it (clear, plot, refresh)."""

    can_focus = True  # so keyboard users can reach it (Tab) when the pane stacks and scrolls at 80 columns

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.highlighted: Any = None
        self.compared: list[Any] = []
        self.plotted_runs: list[str] = []  # run ids drawn in the last drawing
        self.marked: list[int] = []  # the recovery steps marked in the last drawing
        self.legend: list[str] = []  # the legend's entries in the last drawing, plain
        self.dirty = True

    def on_mount(self) -> None:
        super().on_mount()
        self.set_interval(REDRAW_INTERVAL_S, self.redraw_if_dirty)
        self.redraw_if_dirty()

    def show(self, highlighted: Any, compared: list[Any]) -> None:
        """The highlighted run (a RunSummary, or None) alone, or the runs compared when two or more are."""
        self.highlighted = highlighted
        self.compared = compared
        self.dirty = True

    def redraw_if_dirty(self) -> None:
        if not self.dirty or not self.display:
            return
        self.dirty = False
        self.plt.clear_data()
        self.plt.clear_figure()
        self.draw(self.plt)
        self.refresh()

    def palette(self) -> list[tuple[int, int, int]]:
        theme = self.app.current_theme
        fallbacks = [(255, 166, 43), (1, 120, 212), (78, 191, 113), (186, 60, 91), (160, 100, 220), (0, 170, 170)]
        chosen: list[tuple[int, int, int]] = []
        for name, fallback in zip(THEME_COLOURS, fallbacks, strict=True):
            colour = rgb(getattr(theme, name, None), fallback)
            if colour not in chosen:
                chosen.append(colour)
        return chosen + [colour for colour in fallbacks if colour not in chosen]

    def muted(self) -> tuple[int, int, int]:
        theme = self.app.current_theme
        foreground = Color.parse(theme.foreground or "#e0e0e0")
        background = Color.parse(theme.background or "#1e1e1e")
        faint = background.blend(foreground, 0.45)
        return faint.r, faint.g, faint.b

    def draw(self, plt: Any) -> None:
        plt.xlabel("step")
        plt.ylabel("bits/char")
        self.marked = []
        self.legend = []
        series: list[Series] = []
        palette = self.palette()
        faint: list[tuple[int, float]] = []
        if len(self.compared) >= 2:
            corpora = {summary.corpus for summary in self.compared}
            for index, summary in enumerate(self.compared):
                name = short_name(summary, with_corpus=len(corpora) > 1)
                series.append((list(summary.val_bpc_points), palette[index % len(palette)], name))
            self.border_title = f"validation bits/char · {len(self.compared)} runs compared"
        elif self.highlighted is not None and self.highlighted.problem is None:
            summary = self.highlighted
            faint = train_in_bits_per_char(summary)
            series.append((list(summary.val_bpc_points), palette[0], "validation" + ("*" if summary.is_word else "")))
            waiting = "" if summary.val_bpc_points else " · no evaluation yet"
            self.border_title = f"validation bits/char · {short_name(summary)}{waiting}"
        else:
            self.border_title = "validation bits/char"
        if faint:
            plt.plot([x for x, _ in faint], [y for _, y in faint], marker="dot", color=self.muted())
        for points, colour, _ in series:
            if points:
                # Markers at the evaluations themselves: a line between them would invent values.
                plt.scatter([x for x, _ in points], [y for _, y in points], marker=VALIDATION_MARKER, color=colour)
        if self.highlighted is not None and len(self.compared) < 2 and self.highlighted.problem is None:
            self.marked = list(self.highlighted.recovery_steps[-MAX_MARKS:])
            for step in self.marked:
                plt.vline(step, rgb(getattr(self.app.current_theme, "error", None), (186, 60, 91)))
        drawn = [point for points, _, _ in series for point in points] + faint
        self.set_ticks(plt, drawn)
        self.plotted_runs = (
            [summary.run_id for summary in self.compared]
            if len(self.compared) >= 2
            else ([self.highlighted.run_id] if self.highlighted is not None and series and series[0][0] else [])
        )
        self.legend = [name for points, _, name in series if points]
        if faint:
            self.legend.append("train (≈ bits/char)")
        if self.marked:
            self.legend.append("recovered")
        self.border_subtitle = self.legend_markup(series, bool(faint))

    def set_ticks(self, plt: Any, points: list[tuple[int, float]]) -> None:
        if not points:
            return
        steps = [x for x, _ in points]
        values = [y for _, y in points]
        xs = nice_ticks(min(steps), max(steps), whole=True)
        ys = nice_ticks(min(values), max(values))
        x_step = xs[1] - xs[0] if len(xs) > 1 else 1.0
        y_step = ys[1] - ys[0] if len(ys) > 1 else 0.1
        # A little room past the outer ticks, so no point sits on the frame.
        x_pad, y_pad = (xs[-1] - xs[0]) * 0.03, (ys[-1] - ys[0]) * 0.04
        plt.xlim(xs[0] - x_pad, xs[-1] + x_pad)
        plt.ylim(ys[0] - y_pad, ys[-1] + y_pad)
        plt.xticks(xs, [tick_label(x, x_step) for x in xs])
        plt.yticks(ys, [tick_label(y, y_step) for y in ys])

    def legend_markup(self, series: list[Series], faint: bool) -> str:
        entries = [f"[#{r:02x}{g:02x}{b:02x}]{VALIDATION_MARKER} {escape(name)}[/]" for _, (r, g, b), name in series]
        if faint:
            r, g, b = self.muted()
            entries.append(f"[#{r:02x}{g:02x}{b:02x}]• train ≈[/]")
        if self.marked:
            entries.append("[$text-error]│ recovered[/]")
        word = any(name.endswith("*") for _, _, name in series)
        return " ".join(entries) + (f" · {WORD_NOTE}" if word else "")


def escape(text: str) -> str:
    return text.replace("[", r"\[")
