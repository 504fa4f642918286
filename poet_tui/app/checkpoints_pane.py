"""F4 Checkpoints: a run browser. One row per run (→ shows its checkpoints), sortable; the highlighted run's
summary and validation curve; space marks runs to overlay their validation bits/char; open in the REPL, resume
training, delete."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Static

from poet_tui.app.messages import ForwardWorkerFailures, OpenInRepl, ResumeRun
from poet_tui.app.modals import ChoiceScreen, DeleteChoice, DeleteScreen
from poet_tui.app.run_detail import comparison_content, detail_content
from poet_tui.app.run_plot import RunCurvesPlot
from poet_tui.app.run_table import (
    CHECKPOINT_PREFIX,
    COLUMN_BY_KEY,
    RUN_PREFIX,
    SORTABLE,
    RunTable,
    checkpoint_key,
    run_key,
)
from poet_tui.paths import poet_home

CheckpointTable = RunTable  # the name the help screen lists the table's keys by

EMPTY_TEXT = "No runs yet. Train a model in the Train pane (F3): a checkpoint is written at every evaluation."


class RunsListed(Message):
    def __init__(self, runs: list[Any]) -> None:
        super().__init__()
        self.runs = runs  # RunSummary each


class CheckpointsPane(ForwardWorkerFailures, Vertical):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "space",
            "toggle_mark",
            "Compare",
            tooltip="Mark or unmark the run: two or more marked overlay their validation bits/char",
            id="checkpoints.compare",
        ),
        Binding(
            "r",
            "resume",
            "Resume",
            tooltip="Resume training the highlighted run, from its latest checkpoint",
            id="checkpoints.resume",
        ),
        Binding(
            "d,delete", "delete", "Delete", tooltip="Delete the highlighted checkpoint or run", id="checkpoints.delete"
        ),
        Binding("s", "sort", "Sort", tooltip="Sort by the next column", id="checkpoints.sort"),
        Binding("S", "reverse", "Reverse", key_display="S", tooltip="Reverse the order", id="checkpoints.reverse"),
        Binding("g", "reload", "Reload", id="checkpoints.reload"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.runs: list[Any] = []  # RunSummary each, as listed
        self.sort_key = "run"
        self.sort_reverse = True  # newest first
        self.engine_loaded = False
        self.stale = True
        self.listed = False  # whether the table was filled once
        self.detail_run: str | None = None  # the run whose summary the detail shows
        self.expanded: set[str] = set()  # runs whose checkpoints are shown
        self.marked: list[str] = []  # runs compared, in the order they were marked
        self.row_keys: list[str] = []  # the table's rows, top to bottom
        self.newest_seen: str | None = None  # the newest run of the last listing

    def compose(self) -> ComposeResult:
        yield RunTable(id="checkpoint-table", cursor_type="row", zebra_stripes=True, classes="panel")
        with Horizontal(id="checkpoint-detail"):
            yield RunCurvesPlot(id="checkpoint-plot", classes="panel")
            with VerticalScroll(id="checkpoint-config-scroll", classes="panel"):
                yield Static("Loading the run list…", id="checkpoint-config")

    def on_mount(self) -> None:
        self.query_one("#checkpoint-config-scroll").border_title = "run"
        self.query_one(RunTable).border_title = "Runs"
        self.fill_table()
        # The table's status colours and the plot's series follow the theme: redrawn when it changes.
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.fill_table())

    def focus_default(self) -> None:
        self.query_one(RunTable).focus()

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

    def table_resized(self) -> None:
        if self.listed:
            self.fill_table()  # the run column takes the room the others leave

    def action_reload(self) -> None:
        self.reload()

    def reload(self) -> None:
        self.stale = False
        self.list_runs()

    @work(thread=True, exclusive=True, group="checkpoints", exit_on_error=False)
    def list_runs(self) -> None:
        from poet_tui.run_catalog import run_summaries
        from poet_tui.runs import RunStore

        self.post_message(RunsListed(run_summaries(RunStore().list())))

    # ----- what is listed -----
    @property
    def summaries(self) -> list[Any]:
        """Every checkpoint of every run (a damaged run as one entry without a stem), as listed."""
        return [checkpoint for run in self.runs for checkpoint in run.checkpoints]

    def run_named(self, run_id: str) -> Any | None:
        return next((run for run in self.runs if run.run_id == run_id), None)

    def on_runs_listed(self, message: RunsListed) -> None:
        previous_newest = self.newest_seen
        cursor = self.query_one(RunTable).cursor_key
        known = {run.run_id for run in self.runs}
        self.runs = message.runs
        ids = {run.run_id for run in self.runs}
        self.marked = [run_id for run_id in self.marked if run_id in ids]
        self.expanded &= ids
        # A run seen for the first time with a damaged checkpoint shows it, marked, rather than hide it.
        self.expanded |= {run.run_id for run in self.runs if run.run_id not in known and run.damaged_checkpoints}
        newest = max(ids, default=None)
        self.newest_seen = newest
        follow_newest = (
            not self.listed or cursor is None or (newest != previous_newest and cursor in self.keys_of(previous_newest))
        )
        self.listed = True
        self.fill_table(run_key(newest) if follow_newest and newest is not None else cursor)

    def keys_of(self, run_id: str | None) -> set[str]:
        """The rows of a run: its own and its checkpoints'."""
        run = self.run_named(run_id) if run_id else None
        if run is None:
            return {run_key(run_id)} if run_id else set()
        return {run_key(run.run_id)} | {checkpoint_key(checkpoint.path) for checkpoint in run.checkpoints}

    def fill_table(self, cursor: str | None = None) -> None:
        """Rows for the runs in order, expanded ones with their checkpoints; the cursor on `cursor` (a row key),
        else on what it was on (its run when that checkpoint is gone), else on the first row."""
        table = self.query_one(RunTable)
        keep = cursor if cursor is not None else table.cursor_key
        ordered = sorted(self.runs, key=COLUMN_BY_KEY[self.sort_key].value, reverse=self.sort_reverse)
        self.row_keys = table.show_runs(ordered, self.sort_key, self.sort_reverse, self.expanded, self.marked)
        target = self.row_for(keep)
        if target is not None:
            table.move_cursor(row=self.row_keys.index(target), scroll=True)
        self.show_detail()

    def row_for(self, key: str | None) -> str | None:
        """The row `key` names, or its run's row when it is a checkpoint no longer shown, or the first row."""
        if key in self.row_keys:
            return key
        if key is not None and key.startswith(CHECKPOINT_PREFIX):  # a checkpoint folded away or deleted
            owner = run_key(Path(key.removeprefix(CHECKPOINT_PREFIX)).parent.parent.name)
            if owner in self.row_keys:
                return owner
        return self.row_keys[0] if self.row_keys else None

    # ----- the highlighted row -----
    @property
    def highlighted(self) -> tuple[Any | None, Any | None]:
        """The highlighted run, and the checkpoint when a checkpoint's row is highlighted."""
        key = self.query_one(RunTable).cursor_key
        if key is None:
            return None, None
        if key.startswith(RUN_PREFIX):
            return self.run_named(key.removeprefix(RUN_PREFIX)), None
        path = key.removeprefix(CHECKPOINT_PREFIX)
        for run in self.runs:
            for checkpoint in run.checkpoints:
                if checkpoint.path == path:
                    return run, checkpoint
        return None, None

    @property
    def selected(self) -> Any | None:
        """The checkpoint the highlighted row acts on: its own, or a run's best (else latest); a damaged run's
        entry; None for a run without a checkpoint."""
        run, checkpoint = self.highlighted
        if checkpoint is not None or run is None:
            return checkpoint
        if run.problem is not None:
            return run.checkpoints[0]
        return run.model_checkpoint

    @on(DataTable.RowHighlighted, "#checkpoint-table")
    def row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_detail()

    def show_detail(self) -> None:
        run, checkpoint = self.highlighted
        detail = self.query_one("#checkpoint-config", Static)
        compared = [found for run_id in self.marked if (found := self.run_named(run_id)) is not None]
        self.query_one(RunCurvesPlot).show(run, compared if len(compared) >= 2 else [])
        if run is None:
            self.detail_run = None
            detail.update(Content.styled(EMPTY_TEXT if self.listed else "Loading the run list…", "$text-muted"))
            return
        content = detail_content(run, checkpoint, poet_home())
        if len(compared) >= 2:
            colours = [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in self.query_one(RunCurvesPlot).palette()]
            content = comparison_content(compared, colours) + Content("\n\n") + content
        detail.update(content)
        self.detail_run = run.run_id

    # ----- expanding, marking, sorting -----
    def action_toggle_expanded(self) -> None:
        run, checkpoint = self.highlighted
        if run is None or checkpoint is not None:
            return
        if not run.checkpoints or run.problem is not None:
            self.notify(f"Run {run.run_id} has no checkpoint to show yet.", timeout=2)
            return
        self.expanded ^= {run.run_id}
        self.fill_table()

    def action_collapse(self) -> None:
        run, _ = self.highlighted
        if run is None:
            return
        self.expanded.discard(run.run_id)
        self.fill_table(run_key(run.run_id))

    def action_toggle_mark(self) -> None:
        run, _ = self.highlighted
        if run is None:
            self.notify("No run is highlighted.", severity="warning")
            return
        if run.run_id in self.marked:
            self.marked.remove(run.run_id)
        elif run.problem is not None:
            self.notify(f"Run {run.run_id} is damaged: it has no curve to compare.", severity="warning")
            return
        else:
            self.marked.append(run.run_id)
        if len(self.marked) == 1:
            self.notify("Mark another run (space) to compare their validation bits/char.", timeout=2)
        self.fill_table()

    def action_sort(self) -> None:
        self.sort_key = SORTABLE[(SORTABLE.index(self.sort_key) + 1) % len(SORTABLE)]
        self.sort_reverse = False
        self.resort()

    def action_reverse(self) -> None:
        self.sort_reverse = not self.sort_reverse
        self.resort()

    @on(DataTable.HeaderSelected, "#checkpoint-table")
    def header_clicked(self, event: DataTable.HeaderSelected) -> None:
        key = str(event.column_key.value)
        if key not in SORTABLE:
            return
        self.sort_reverse = not self.sort_reverse if key == self.sort_key else False
        self.sort_key = key
        self.resort()

    def resort(self) -> None:
        self.fill_table()
        order = "descending" if self.sort_reverse else "ascending"
        self.notify(f"Sorted by {COLUMN_BY_KEY[self.sort_key].label}, {order}.", timeout=1.5)

    # ----- actions -----
    @on(DataTable.RowSelected, "#checkpoint-table")
    def open_selected(self) -> None:
        run, _ = self.highlighted
        summary = self.selected
        if run is None:
            return
        if summary is None:
            self.notify(f"Run {run.run_id} has no checkpoint yet; it writes one at its first evaluation.")
        elif self.usable(summary):
            self.post_message(OpenInRepl(summary.path))

    def usable(self, summary: Any) -> bool:
        if summary.problem is not None:
            self.notify(summary.problem, title="Damaged", severity="error")
            return False
        return True

    def action_resume(self) -> None:
        run, checkpoint = self.highlighted
        if run is None:
            self.notify("No run is highlighted.", severity="warning")
            return
        problem = run.problem or (checkpoint.problem if checkpoint is not None else None)
        if problem is not None:
            self.notify(problem, title="Damaged", severity="error")
            return
        self.post_message(ResumeRun(run.run_id))

    def action_delete(self) -> None:
        run, checkpoint = self.highlighted
        if run is None:
            self.notify("Nothing is highlighted to delete.", severity="warning")
            return
        if checkpoint is not None and checkpoint.stem:
            screen: ChoiceScreen[DeleteChoice] = DeleteScreen(run.run_id, checkpoint.stem)
        else:
            screen = ChoiceScreen(
                "Delete",
                f"Delete run {run.run_id} with all its checkpoints and metrics? This cannot be undone.",
                [("run", "Delete the whole run", "error"), ("cancel", "Keep everything", "primary")],
            )
        self.app.push_screen(screen, lambda choice: self.delete(run.run_id, checkpoint, choice))

    def delete(self, run_id: str, checkpoint: Any | None, choice: DeleteChoice | None) -> None:
        from poet_tui.errors import PoetError
        from poet_tui.runs import RunStore

        if choice is None or choice == "cancel":
            return
        store = RunStore()
        try:
            run = store.get(run_id)
            if choice == "run" or checkpoint is None or not checkpoint.stem:
                store.remove(run)
                self.notify(f"Deleted run {run.id} and all its checkpoints.")
            else:
                store.remove_checkpoint(run, checkpoint.stem)
                self.notify(f"Deleted checkpoint {checkpoint.stem} of run {run.id}.")
        except PoetError as error:
            self.notify(str(error), title="Not deleted", severity="error")
        self.reload()
