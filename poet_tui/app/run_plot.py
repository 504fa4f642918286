"""The run browser's plot: validation bits/char against step — of the highlighted run (with its training loss on
the same scale, and its recoveries marked), or of every run marked for comparison, one colour each. Bits/char is
the one scale on which runs with different tokenizers compare. The legend is in the border, outside the data."""

from __future__ import annotations

from typing import Any

from textual.color import Color

from poet_tui.app.plot_scales import loss_ticks, padded, step_ticks
from poet_tui.app.run_table import short_name, short_names
from poet_tui.app.throttled_plot import MAX_MARKS, ThrottledPlot, parse_colour

TICKS = 5  # at most this many ticks on each axis
VALIDATION_MARKER = "●"
THEME_COLOURS = ("accent", "primary", "success", "error", "secondary", "warning")  # one per run compared, in order
WORD_NOTE = "* word: flattered by <unk>"  # the detail says it in full


Series = tuple[list[tuple[int, float]], tuple[int, int, int], str]  # points, colour, name in the legend


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


class RunCurvesPlot(ThrottledPlot):
    """`show(highlighted, compared)` only marks the plot dirty; a timer redraws it (clear, plot, refresh)."""

    can_focus = True  # so keyboard users can reach it (Tab) when the pane stacks and scrolls at 80 columns

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.highlighted: Any = None
        self.compared: list[Any] = []
        self.plotted_runs: list[str] = []  # run ids drawn in the last drawing
        self.marked: list[int] = []  # the recovery steps marked in the last drawing
        self.legend: list[str] = []  # the legend's entries in the last drawing, plain
        self.tick_labels: tuple[list[str], list[str]] = ([], [])  # (step, bits/char) tick labels last drawn

    def show(self, highlighted: Any, compared: list[Any]) -> None:
        """The highlighted run (a RunSummary, or None) alone, or the runs compared when two or more are."""
        self.highlighted = highlighted
        self.compared = compared
        self.dirty = True

    def palette(self) -> list[tuple[int, int, int]]:
        theme = self.app.current_theme
        fallbacks = [(255, 166, 43), (1, 120, 212), (78, 191, 113), (186, 60, 91), (160, 100, 220), (0, 170, 170)]
        chosen: list[tuple[int, int, int]] = []
        for name, fallback in zip(THEME_COLOURS, fallbacks, strict=True):
            colour = parse_colour(getattr(theme, name, None), fallback)
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
            for index, (summary, name) in enumerate(zip(self.compared, short_names(self.compared), strict=True)):
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
                plt.vline(step, parse_colour(getattr(self.app.current_theme, "error", None), (186, 60, 91)))
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
        """Round ticks (steps as whole numbers, bits/char with as few decimals as tell them apart) and a little
        room past the points, so none sits on the frame."""
        if not points:
            self.tick_labels = ([], [])
            return
        steps = [x for x, _ in points]
        values = [y for _, y in points]
        first, last = min(steps), max(steps)
        if first == last:
            first, last = first - 1, last + 1
        xs, x_labels = step_ticks(first, last, most=TICKS)
        ys, y_labels = loss_ticks(min(values), max(values), most=TICKS)
        margin = (last - first) * 0.03
        plt.xlim(first - margin, last + margin)
        plt.ylim(*padded(min(values), max(values)))
        plt.xticks(xs, x_labels)
        plt.yticks(ys, y_labels)
        self.tick_labels = (x_labels, y_labels)

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
