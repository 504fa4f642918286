"""The run browser's table: one row per run (a mark when it is compared, ▸/▾ when it has checkpoints to show),
its checkpoints as indented rows below it when expanded. Rows are keyed by what they show (`run:<id>`,
`checkpoint:<path>`), so a reload or a sort keeps the cursor on the same thing, never on the same index."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from poet_tui.formatting import format_float, human_count

SPARK = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 8
CELL_PADDING = 2  # DataTable pads each cell by one column either side
LABEL_PREFIX = 4  # a run's label starts with its compare mark and its ▸/▾
STATUS_STYLES = {
    "training": "bold $text-accent",
    "stopped": "$text-warning",
    "done": "$text-success",
    "failed": "$text-error",
    "damaged": "bold $text-error",
}
RUN_PREFIX, CHECKPOINT_PREFIX = "run:", "checkpoint:"


def run_key(run_id: str) -> str:
    return RUN_PREFIX + run_id


def checkpoint_key(path: str) -> str:
    return CHECKPOINT_PREFIX + path


def sparkline(points: Any, width: int = SPARK_WIDTH) -> str:
    """The whole curve in at most `width` values (evenly spaced, the first and the last kept) as block heights,
    lowest ▁ to highest █: a falling curve goes down, and one that fell and rose again (overfitting) shows both,
    where the last few evaluations alone would show only the rise."""
    values = [value for _, value in points]
    if len(values) > width > 1:
        values = [values[round(index * (len(values) - 1) / (width - 1))] for index in range(width)]
    if not values:
        return ""
    low, high = min(values), max(values)
    span = high - low
    if span <= 0:
        return SPARK[len(SPARK) // 2] * len(values)
    return "".join(SPARK[round((value - low) / span * (len(SPARK) - 1))] for value in values)


def bpc_text(value: float | None, word: bool) -> str:
    """`1.234`, and `1.234*` for a word run (its bits/char is flattered by <unk>)."""
    if value is None:
        return "—"
    return format_float(value) + ("*" if word else "")


def stamp(run_id: str, year: bool = True, seconds: bool = False) -> str:
    """`20250102-120304-corpus-char-2` → `2025-01-02 12:03 #2` (or without the year, or with the seconds): when
    the run started."""
    date, _, rest = run_id.partition("-")
    clock = rest[:6]
    if len(date) != 8 or not date.isdigit() or not clock.isdigit():
        return run_id
    suffix = rest.rsplit("-", 1)[-1]
    day = f"{date[:4]}-{date[4:6]}-{date[6:8]}" if year else f"{date[4:6]}-{date[6:8]}"
    time = f"{clock[:2]}:{clock[2:4]}" + (f":{clock[4:6]}" if seconds else "")
    return f"{day} {time}" + (f" #{suffix}" if suffix.isdigit() else "")


def short_name(summary: Any, with_corpus: bool = False, seconds: bool = False) -> str:
    """A run in a legend: `char 01-02 12:03` (its corpus too when compared runs differ); `*` on a word run."""
    corpus = f"{summary.corpus} " if with_corpus and summary.corpus else ""
    tokenizer = f"{summary.tokenizer} " if summary.tokenizer else ""
    when = stamp(summary.run_id, year=False, seconds=seconds)
    return f"{corpus}{tokenizer}{when}" + ("*" if summary.is_word else "")


def told_apart(summaries: list[Any], name: Callable[[Any, bool], str]) -> list[str]:
    """`name(summary, seconds)` for each run, to the second only where two would otherwise read alike (runs
    started in the same minute)."""
    names = [name(summary, False) for summary in summaries]
    alike = Counter(names)
    return [name(summary, True) if alike[plain] > 1 else plain for summary, plain in zip(summaries, names, strict=True)]


def short_names(summaries: list[Any]) -> list[str]:
    """The legend names of runs shown together: with their corpus when they differ in it, told apart."""
    with_corpus = len({summary.corpus for summary in summaries}) > 1
    return told_apart(summaries, lambda summary, seconds: short_name(summary, with_corpus, seconds))


def run_names(summaries: list[Any], year: bool) -> dict[str, str]:
    """Each run's name in the table: when it started, told apart."""
    names = told_apart(summaries, lambda summary, seconds: stamp(summary.run_id, year, seconds))
    return {summary.run_id: name for summary, name in zip(summaries, names, strict=True)}


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    value: Callable[[Any], Any]  # a RunSummary → what to sort by
    run_text: Callable[[Any], str]
    checkpoint_text: Callable[[Any, Any], str]  # (checkpoint, run) → text
    short: str = ""  # the label in a narrow table (two lines at most); "" leaves the column out there

    def label_for(self, narrow: bool) -> str:
        return self.short if narrow else self.label


def checkpoint_bpc(checkpoint: Any, run: Any) -> str:
    return "damaged" if checkpoint.problem else bpc_text(checkpoint.val_bpc, run.is_word)


COLUMNS = (
    Column("run", "run", lambda r: r.run_id, lambda r: r.run_id, lambda c, r: c.stem or "run", "run"),
    Column("corpus", "corpus", lambda r: r.corpus, lambda r: r.corpus, lambda c, r: "", "corpus"),
    Column("tokenizer", "tokenizer", lambda r: r.tokenizer, lambda r: r.tokenizer, lambda c, r: "", "tok-\nenizer"),
    Column(
        "parameters",
        "parameters",
        lambda r: r.parameters,
        lambda r: human_count(r.parameters or None),
        lambda c, r: "",
    ),
    Column(
        "steps",
        "steps",
        lambda r: r.steps,
        lambda r: f"{r.steps:,}",
        lambda c, r: "" if c.problem else f"{c.step:,}",
        "steps",
    ),
    Column(
        "best_bpc",
        "best bits/char",
        lambda r: (r.best_val_bpc is None, r.best_val_bpc),
        lambda r: bpc_text(r.best_val_bpc, r.is_word),
        checkpoint_bpc,
        "best\nbits/char",
    ),
    Column(
        "curve",
        "val bits/char",
        lambda r: (r.best_val_bpc is None, r.best_val_bpc),
        lambda r: sparkline(r.val_bpc_points),
        lambda c, r: "",
        "val\nbits/char",
    ),
    Column(
        "status",
        "status",
        lambda r: r.status,
        lambda r: r.status,
        lambda c, r: "damaged" if c.problem else "",
        "status",
    ),
)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}
SORTABLE = [column.key for column in COLUMNS if column.key != "curve"]  # s cycles through these
MIN_CORPUS_WIDTH = 8


def run_label(summary: Any, name: str, expanded: bool, marked: bool) -> Text:
    mark = Text("● ", style="bold") if marked else Text("  ")
    arrow = ("▾ " if expanded else "▸ ") if summary.checkpoints and summary.problem is None else "  "
    return mark + Text(arrow) + Text(name)


def stem_text(stem: str) -> str:
    """`best`, `latest`, and a periodic checkpoint `step-00001200` as `step 1,200`."""
    number = stem.removeprefix("step-")
    return f"step {int(number):,}" if number != stem and number.isdigit() else stem or "run"


def checkpoint_label(checkpoint: Any, last: bool) -> Text:
    """Under its run's ▸/▾, so it fits the run column even when that is narrow."""
    return Text(f"  {'└' if last else '├'} {stem_text(checkpoint.stem)}", no_wrap=True, overflow="ellipsis")


def styled(text: str, column: str) -> Text:
    cell = Text(text, no_wrap=True, overflow="ellipsis")
    if column == "curve":
        cell.stylize("bold")
    return cell


def label_width(label: str, sorted_by: bool) -> int:
    return max(len(part) for part in label.split("\n")) + (2 if sorted_by else 0)  # room for the sort arrow


@dataclass(frozen=True)
class Layout:
    """Which columns a table of some width shows, how wide each is, and how runs are named in it."""

    columns: tuple[Column, ...]
    widths: dict[str, int]
    names: dict[str, str]
    narrow: bool


def layout_for(summaries: list[Any], room: int, sort_key: str = "") -> Layout:
    """The widest layout that fits `room` columns: whole run names and every column when there is room; else the
    time each run started and a narrow table (two-line labels, no parameters: the detail has them), the corpus
    cut to what is left. The run column takes the room the others leave, so the table uses its width."""
    for narrow in (False, True):
        columns = tuple(column for column in COLUMNS if column.label_for(narrow))
        widths = {
            column.key: max(
                [label_width(column.label_for(narrow), column.key == sort_key)]
                + [len(column.run_text(summary)) for summary in summaries]
            )
            for column in columns[1:]
        }
        others = sum(width + CELL_PADDING for width in widths.values())
        for names in (
            {summary.run_id: summary.run_id for summary in summaries},
            run_names(summaries, year=True),
            run_names(summaries, year=False),
        ):
            run_width = max([len(name) for name in names.values()] + [10]) + LABEL_PREFIX
            if run_width + CELL_PADDING + others <= room:
                widths["run"] = room - others - CELL_PADDING
                return Layout(columns, widths, names, narrow)
    run_width = max([len(name) for name in names.values()] + [10]) + LABEL_PREFIX
    squeeze = run_width + CELL_PADDING + others - room
    widths["corpus"] = max(MIN_CORPUS_WIDTH, widths["corpus"] - squeeze)
    widths["run"] = run_width
    return Layout(columns, widths, names, True)


class RunTable(DataTable[Text]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "select_cursor",
            "Open",
            tooltip="Open the highlighted checkpoint in the REPL (a run: its best checkpoint)",
            id="checkpoints.open",
        ),
        Binding(
            "right",
            "expand",
            "Expand",
            key_display="→",
            tooltip="Show or hide the run's checkpoints",
            id="checkpoints.expand",
        ),
        Binding(
            "left",
            "collapse",
            "Hide checkpoints",
            key_display="←",
            show=False,
            tooltip="Hide the run's checkpoints",
            id="checkpoints.collapse",
        ),
    ]

    def action_expand(self) -> None:
        self.pane_action("toggle_expanded")

    def action_collapse(self) -> None:
        self.pane_action("collapse")

    def pane_action(self, name: str) -> None:
        self.pane_action_named(f"action_{name}")

    def show_runs(
        self, runs: list[Any], sort_key: str, reverse: bool, expanded: set[str], marked: list[str]
    ) -> list[str]:
        """Rows for `runs` in this order, the expanded ones followed by their checkpoints; the rows' keys."""
        layout = layout_for(runs, self.scrollable_content_region.width - 1, sort_key)  # -1: a scroll bar's room
        self.clear(columns=True)
        self.header_height = 2 if layout.narrow and runs else 1
        for column in layout.columns if runs else COLUMNS:
            arrow = (" ▼" if reverse else " ▲") if column.key == sort_key else ""
            narrow = layout.narrow and bool(runs)
            self.add_column(column.label_for(narrow) + arrow, key=column.key, width=layout.widths.get(column.key))
        keys: list[str] = []
        for run in runs:
            shown = run.run_id in expanded and run.problem is None
            cells = [run_label(run, layout.names[run.run_id], shown, run.run_id in marked)]
            for column in layout.columns[1:]:
                cell = styled(column.run_text(run), column.key)
                if column.key == "status":
                    cell.stylize(self.status_style(run.status))
                elif column.key == "curve":
                    cell.stylize(self.theme_colour("accent"))
                cells.append(cell)
            keys.append(run_key(run.run_id))
            self.add_row(*cells, key=keys[-1])
            for index, checkpoint in enumerate(run.checkpoints if shown else ()):
                cells = [checkpoint_label(checkpoint, index == len(run.checkpoints) - 1)]
                cells += [styled(column.checkpoint_text(checkpoint, run), "") for column in layout.columns[1:]]
                if checkpoint.problem:
                    cells[-1].stylize(self.status_style("damaged"))
                keys.append(checkpoint_key(checkpoint.path))
                self.add_row(*cells, key=keys[-1])
        return keys

    def theme_colour(self, name: str) -> str:
        """A colour of the app's theme for a rich Text cell (the table does not resolve theme variables)."""
        return str(getattr(self.app.current_theme, name, None) or "")

    def status_style(self, status: str) -> str:
        colour = {"training": "accent", "stopped": "warning", "done": "success", "failed": "error", "damaged": "error"}
        style = self.theme_colour(colour.get(status, "foreground"))
        return f"bold {style}" if status in ("training", "damaged") else style

    def on_resize(self) -> None:
        self.pane_action_named("table_resized")

    def pane_action_named(self, name: str) -> None:
        method = getattr(self.parent, name, None)
        if method is not None:
            method()

    @property
    def cursor_key(self) -> str | None:
        if not self.row_count:
            return None
        return str(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)
