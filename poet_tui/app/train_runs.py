"""What the Train pane reads from the run store in its workers: the runs it can resume or watch, a run to
view, and a run's whole history before it resumes (so its plot and its best go on from there)."""

from __future__ import annotations

from textual.message import Message

from poet_tui.errors import PoetError
from poet_tui.run_progress import RunProgress


class EarlierRuns(Message):
    """Runs that can be resumed or watched: (run id, status, step)."""

    def __init__(self, runs: list[tuple[str, str, int]]) -> None:
        super().__init__()
        self.runs = runs


class RunViewed(Message):
    def __init__(self, progress: RunProgress) -> None:
        super().__init__()
        self.progress = progress


class HistoryLoaded(Message):
    """A run's whole metrics.jsonl, folded, read before resuming it: the plot and the best go on from there."""

    def __init__(self, run_id: str, progress: RunProgress | None, error: str | None = None) -> None:
        super().__init__()
        self.run_id = run_id
        self.progress = progress
        self.error = error


def scan_runs() -> list[tuple[str, str, int]]:
    from poet_tui.runs import RunStore

    found = []
    for run in reversed(RunStore().list()):
        try:
            progress = RunProgress.from_run(run)
        except PoetError:
            continue  # a damaged run: the Checkpoints pane lists it with its reason
        if progress.status in ("running", "interrupted", "stopped"):
            found.append((run.id, progress.status, progress.step))
    return found


def read_history(run_id: str) -> HistoryLoaded:
    """The run's metrics.jsonl folded (in a worker: a long run's log takes a moment), or why it cannot be."""
    from poet_tui.runs import RunStore

    try:
        return HistoryLoaded(run_id, RunProgress.from_run(RunStore().get(run_id)))
    except PoetError as error:
        return HistoryLoaded(run_id, None, str(error))
