"""Download progress on stderr: a Rich bar (bytes, speed) on a terminal, one plain line per file otherwise, so
stdout stays clean for `--json` and pipes."""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from poet_tui.formatting import human_bytes


class DownloadDisplay:
    """Progress callbacks, one per file, drawing on stderr; `notice` prints a sentence above the bars."""

    def __init__(self) -> None:
        self.console = Console(stderr=True)
        self.progress: Progress | None = None
        if sys.stderr.isatty():
            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=self.console,
                transient=False,
            )
        self.tasks: dict[str, TaskID] = {}
        self.announced: set[str] = set()

    def __enter__(self) -> DownloadDisplay:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()

    def callback(self, label: str) -> Callable[[int, int | None], None]:
        def update(done: int, total: int | None) -> None:
            if self.progress is None:
                self.plain(label, done, total)
                return
            if label not in self.tasks:
                self.tasks[label] = self.progress.add_task(f"downloading {label}", total=total, completed=done)
            self.progress.update(self.tasks[label], completed=done, total=total)

        return update

    def plain(self, label: str, done: int, total: int | None) -> None:
        """Without a terminal: a line when a file starts (saying where it resumes) and one when it is whole."""
        if label not in self.announced:
            self.announced.add(label)
            size = f" ({human_bytes(total)})" if total else ""
            resumed = f", resuming after {human_bytes(done)}" if done else ""
            print(f"downloading {label}{size}{resumed}", file=sys.stderr, flush=True)
        if total is not None and done >= total:
            print(f"downloaded {label} ({human_bytes(done)})", file=sys.stderr, flush=True)

    def notice(self, message: str) -> None:
        self.console.print(f"note: {message}", markup=False, highlight=False)
