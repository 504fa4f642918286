"""F4 Checkpoints: every checkpoint of every run in a sortable table; the highlighted run's curve and config;
open in the REPL, resume training, delete."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Static

from poet_tui.app.live_widgets import LossPlot
from poet_tui.app.messages import ForwardWorkerFailures, OpenInRepl, ResumeRun
from poet_tui.app.modals import DeleteChoice, DeleteScreen
from poet_tui.formatting import format_float, human_bytes, human_count
from poet_tui.paths import poet_home
from poet_tui.run_progress import RunProgress


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    value: Callable[[Any], Any]  # a CheckpointSummary → what to sort by
    text: Callable[[Any], str]


def run_stamp(run_id: str) -> str:
    """`20250102-120304-corpus-char` → `01-02 12:03`, when it started (the corpus and tokenizer have columns of
    their own, and the whole name is in the detail below): narrow enough for the table to fit 100 columns."""
    date, _, rest = run_id.partition("-")
    clock = rest[:6]
    if len(date) != 8 or not date.isdigit() or not clock.isdigit():
        return run_id[:16]
    suffix = rest.rsplit("-", 1)[-1]
    return f"{date[4:6]}-{date[6:8]} {clock[:2]}:{clock[2:4]}" + (f" #{suffix}" if suffix.isdigit() else "")


def created_text(created: str) -> str:
    """ISO-8601 → `01-02 12:05` (the year is in the run's name in the detail)."""
    return created.replace("T", " ")[5:16]


COLUMNS = (
    Column("run", "run", lambda s: s.run_id, lambda s: run_stamp(s.run_id)),
    Column("kind", "kind", lambda s: s.kind, lambda s: s.stem if s.kind != "periodic" else s.stem[5:].lstrip("0")),
    Column("corpus", "corpus", lambda s: s.corpus, lambda s: s.corpus if len(s.corpus) <= 12 else s.corpus[:11] + "…"),
    Column("tokenizer", "tok", lambda s: s.tokenizer, lambda s: s.tokenizer),
    Column("parameters", "params", lambda s: s.parameters, lambda s: human_count(s.parameters)),
    Column("step", "step", lambda s: s.step, lambda s: f"{s.step:,}"),
    Column("val_loss", "val loss", lambda s: (s.val_loss is None, s.val_loss), lambda s: format_float(s.val_loss)),
    Column("val_bpc", "bpc", lambda s: (s.val_bpc is None, s.val_bpc), lambda s: format_float(s.val_bpc)),
    Column("created", "created", lambda s: s.created, lambda s: created_text(s.created)),
    Column("size", "size", lambda s: s.size_bytes, lambda s: human_bytes(s.size_bytes)),
)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}
MAX_NOTICES_SHOWN = 5  # in the run's detail; `poet checkpoints show` lists more


class CheckpointsListed(Message):
    def __init__(self, summaries: list[Any]) -> None:
        super().__init__()
        self.summaries = summaries


class RunDetail(Message):
    """The highlighted run's folded log (its status included) and its run.toml."""

    def __init__(self, run_id: str, progress: RunProgress, config_text: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.progress = progress
        self.config_text = config_text


class CheckpointTable(DataTable[Text]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select_cursor", "Open in REPL", id="checkpoints.open")]


class CheckpointsPane(ForwardWorkerFailures, Vertical):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "resume", "Resume training", id="checkpoints.resume"),
        Binding("d,delete", "delete", "Delete", id="checkpoints.delete"),
        Binding("s", "sort", "Sort by next column", id="checkpoints.sort"),
        Binding("S", "reverse", "Reverse order", key_display="S", id="checkpoints.reverse"),
        Binding("g", "reload", "Reload", id="checkpoints.reload"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.summaries: list[Any] = []
        self.sort_key = "created"
        self.sort_reverse = True
        self.engine_loaded = False
        self.stale = True
        self.detail_run: str | None = None

    def compose(self) -> ComposeResult:
        yield CheckpointTable(id="checkpoint-table", cursor_type="row", zebra_stripes=True, classes="panel")
        with Horizontal(id="checkpoint-detail"):
            yield LossPlot(id="checkpoint-plot", classes="panel", title="")
            with VerticalScroll(id="checkpoint-config-scroll", classes="panel"):
                yield Static("Loading PyTorch and the run list…", id="checkpoint-config")

    def on_mount(self) -> None:
        self.query_one("#checkpoint-config-scroll").border_title = "run"
        self.query_one("#checkpoint-plot").border_title = "loss of the highlighted run"
        self.query_one(CheckpointTable).border_title = "Checkpoints"
        self.make_columns()

    def make_columns(self) -> None:
        table = self.query_one(CheckpointTable)
        table.clear(columns=True)
        for column in COLUMNS:
            arrow = (" ▼" if self.sort_reverse else " ▲") if column.key == self.sort_key else ""
            table.add_column(column.label + arrow, key=column.key)

    def focus_default(self) -> None:
        self.query_one(CheckpointTable).focus()

    def engine_ready(self) -> None:
        self.engine_loaded = True
        self.reload()

    def mark_stale(self) -> None:
        """A run wrote a checkpoint; reload now if the pane is on screen, else when it is shown."""
        self.stale = True
        if self.engine_loaded and self.is_on_screen:
            self.reload()

    @property
    def is_on_screen(self) -> bool:
        return self.display and self.parent is not None and self.parent.display

    def on_show(self) -> None:
        if self.stale and self.engine_loaded:
            self.reload()

    def action_reload(self) -> None:
        self.reload()

    def reload(self) -> None:
        self.stale = False
        self.list_checkpoints()

    @work(thread=True, exclusive=True, group="checkpoints", exit_on_error=False)
    def list_checkpoints(self) -> None:
        from poet_tui.run_catalog import checkpoint_summaries
        from poet_tui.runs import RunStore

        self.post_message(CheckpointsListed(checkpoint_summaries(RunStore().list())))

    def on_checkpoints_listed(self, message: CheckpointsListed) -> None:
        self.summaries = message.summaries
        self.fill_table()
        if not self.summaries:
            self.query_one("#checkpoint-config", Static).update(
                Content.styled(
                    "No checkpoints yet. Train a model in the Train pane (F3): a checkpoint is written at every "
                    "evaluation.",
                    "$text-muted",
                )
            )

    def fill_table(self) -> None:
        table = self.query_one(CheckpointTable)
        selected = self.selected
        column = COLUMN_BY_KEY[self.sort_key]
        ordered = sorted(self.summaries, key=column.value, reverse=self.sort_reverse)
        table.clear()
        for summary in ordered:
            table.add_row(*(Text(column.text(summary)) for column in COLUMNS), key=summary.path)
        if selected is not None and selected.path in table.rows:
            table.move_cursor(row=table.get_row_index(selected.path))

    @property
    def selected(self) -> Any | None:
        table = self.query_one(CheckpointTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((summary for summary in self.summaries if summary.path == key), None)

    # ----- sorting -----
    def action_sort(self) -> None:
        keys = [column.key for column in COLUMNS]
        self.sort_key = keys[(keys.index(self.sort_key) + 1) % len(keys)]
        self.sort_reverse = False
        self.resort()

    def action_reverse(self) -> None:
        self.sort_reverse = not self.sort_reverse
        self.resort()

    @on(DataTable.HeaderSelected, "#checkpoint-table")
    def header_clicked(self, event: DataTable.HeaderSelected) -> None:
        key = str(event.column_key.value)
        self.sort_reverse = not self.sort_reverse if key == self.sort_key else False
        self.sort_key = key
        self.resort()

    def resort(self) -> None:
        self.make_columns()
        self.fill_table()
        order = "descending" if self.sort_reverse else "ascending"
        self.notify(f"Sorted by {COLUMN_BY_KEY[self.sort_key].label}, {order}.", timeout=1.5)

    # ----- the detail of the highlighted run -----
    @on(DataTable.RowHighlighted, "#checkpoint-table")
    def row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        summary = self.selected
        if summary is not None and summary.problem is not None:
            self.detail_run = None
            self.show_problem(summary)
        elif summary is not None and summary.run_id != self.detail_run:
            self.load_detail(summary.run_id)

    def show_problem(self, summary: Any) -> None:
        """A damaged run or checkpoint: what is wrong, in place of its config and curve."""
        what = f"checkpoint {summary.stem} of run" if summary.stem else "run"
        self.query_one("#checkpoint-config", Static).update(
            Content.assemble(
                (f"{what} {summary.run_id}", "bold"),
                ("\ndamaged: ", "$text-error"),
                summary.problem,
                ("\n\nd deletes it.", "$text-muted"),
            )
        )
        self.query_one(LossPlot).show([], [])

    @work(thread=True, exclusive=True, group="checkpoint-detail", exit_on_error=False)
    def load_detail(self, run_id: str) -> None:
        from poet_tui.runs import RunStore
        from poet_tui.safe_files import read_text_file_nofollow

        run = RunStore().get(run_id)
        progress = RunProgress.from_run(run)
        config_text = read_text_file_nofollow(run.config_path, what="run.toml")
        self.post_message(RunDetail(run_id, progress, config_text))

    def on_run_detail(self, message: RunDetail) -> None:
        self.detail_run = message.run_id
        summary = self.selected
        location = ""
        if summary is not None:
            path = Path(summary.path)
            home = poet_home()
            location = str(path.relative_to(home)) if path.is_relative_to(home) else str(path)
        progress = message.progress
        parts: list[str | tuple[str, str]] = [
            (message.run_id, "bold"),
            ("\nstatus ", "$text-muted"),
            progress.status,
            ("\nfile   ", "$text-muted"),
            location,
        ]
        if progress.form_adherence is not None:
            parts += [("\nform adherence ", "$text-muted"), progress.adherence_summary()]
        if progress.novelty is not None:
            parts += [("\nnovelty ", "$text-muted"), progress.novelty_summary()]
        for notice in progress.notices[-MAX_NOTICES_SHOWN:]:
            parts += [("\n⚠ ", "$text-warning"), (f"{notice.title} · {notice.line()}", "$text-warning")]
        parts.append("\n\n")
        header = Content.assemble(*parts)
        self.query_one("#checkpoint-config", Static).update(header + Content(message.config_text.strip()))
        self.query_one(LossPlot).show(progress.train_points, progress.val_points, progress.recovery_steps)

    # ----- actions -----
    @on(DataTable.RowSelected, "#checkpoint-table")
    def open_selected(self) -> None:
        summary = self.selected
        if summary is not None and self.usable(summary):
            self.post_message(OpenInRepl(summary.path))

    def usable(self, summary: Any) -> bool:
        if summary.problem is not None:
            self.notify(summary.problem, title="Damaged", severity="error")
            return False
        return True

    def action_resume(self) -> None:
        summary = self.selected
        if summary is None:
            self.notify("No checkpoint is selected.", severity="warning")
            return
        if self.usable(summary):
            self.post_message(ResumeRun(summary.run_id))

    def action_delete(self) -> None:
        summary = self.selected
        if summary is None:
            self.notify("No checkpoint is selected.", severity="warning")
            return
        self.app.push_screen(DeleteScreen(summary.run_id, summary.stem), lambda choice: self.delete(summary, choice))

    def delete(self, summary: Any, choice: DeleteChoice | None) -> None:
        from poet_tui.errors import PoetError
        from poet_tui.runs import RunStore

        if choice is None or choice == "cancel":
            return
        store = RunStore()
        try:
            run = store.get(summary.run_id)
            if choice == "run" or not summary.stem:
                store.remove(run)
                self.notify(f"Deleted run {run.id} and all its checkpoints.")
            else:
                store.remove_checkpoint(run, summary.stem)
                self.notify(f"Deleted checkpoint {summary.stem} of run {run.id}.")
        except PoetError as error:
            self.notify(str(error), title="Not deleted", severity="error")
        self.detail_run = None
        self.reload()
