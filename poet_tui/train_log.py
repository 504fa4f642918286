"""`train.log`: a training child's stderr, kept in its run folder, so a crash that leaves no error event (a
segfault, a kill, a traceback after the last event) still says why, after the terminal or the app is gone.

The process that started the child (`poet train`'s display, the app, or the small drain the app leaves behind
when it quits with the run still training) reads the child's stderr and writes it here: a child that dies
cannot lose what it wrote. Until the run's folder is known (a new run names it in its start event), the first
lines wait in memory. The file is opened without following links, and bounded: past MAX_LOG_BYTES it moves to
`train.log.1` (replacing the one before) and a new one starts, so a runaway warning loop keeps the newest lines
and at most twice that on disk."""

from __future__ import annotations

import os
import select
import stat
import threading
import time
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from poet_tui.errors import PoetError
from poet_tui.rotating_file import RotatingFile
from poet_tui.safe_files import open_regular_file

TRAIN_LOG = "train.log"
PREVIOUS_TRAIN_LOG = "train.log.1"  # rotating_file.previous_path
MAX_LOG_BYTES = 4 * 2**20
MAX_LINE_CHARACTERS = 16_384  # a longer line is cut: one runaway line never fills memory or the log at once
TAIL_LINES = 20  # what a failure message shows
PENDING_LINES = 1000  # lines kept until the run's folder is known
TAIL_READ_BYTES = 256 * 1024
SESSION_HEADER = "a training session's stderr"
DRAIN_HEADER = "the app quit and left the run training; its stderr goes on"


def train_log_path(run_directory: Path) -> Path:
    return Path(run_directory) / TRAIN_LOG


def store_run_directory(run_id: str) -> Path | None:
    """The folder of a run of this store by its exact id, if it is a real folder (not a link) with a run.toml:
    the only place a training child's stderr is ever written."""
    from poet_tui.runs import RUN_ID, RunStore

    if not RUN_ID.match(run_id):
        return None
    directory = RunStore().root / run_id
    try:
        if not stat.S_ISDIR(os.lstat(directory).st_mode) or not stat.S_ISREG(os.lstat(directory / "run.toml").st_mode):
            return None
    except OSError:
        return None
    return directory


class TrainLog:
    """One training session's stderr: the last lines in memory (for a failure message) and every line appended
    to the run's `train.log` once `attach` names the run. Safe to feed from a reader thread while another
    thread attaches. A log that cannot be written (a link in its place, a full disk) is given up silently: the
    lines in memory still serve the failure message, and `path` names the file only once a line reached it."""

    def __init__(self, tail_lines: int = TAIL_LINES, heading: str = SESSION_HEADER) -> None:
        """`heading` (with the time) goes before the first line written, so sessions stand apart in the file."""
        self.heading = heading
        self.tail: deque[str] = deque(maxlen=tail_lines)
        self.lines = 0  # every line written, for "N earlier lines are in …"
        self.pending: deque[str] = deque(maxlen=PENDING_LINES)
        self.directory: Path | None = None
        self.file: RotatingFile | None = None
        self.header: str | None = None  # written before the session's first line: a silent session adds nothing
        self.lock = threading.Lock()

    @property
    def path(self) -> Path | None:
        """The log on disk, once a line went there (and could be written)."""
        return self.file.path if self.file is not None and self.file.written else None

    def attach(self, run_directory: Path) -> None:
        """Write to this run's log from now on, the lines that waited first; a second call changes nothing."""
        with self.lock:
            if self.directory is not None:
                return
            self.directory = Path(run_directory)
            self.file = RotatingFile(train_log_path(self.directory), MAX_LOG_BYTES)
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            self.header = f"--- {self.heading}, from {stamp} ---"
            while self.pending:
                self.append(self.pending.popleft())

    def attach_to_run(self, run_id: str) -> None:
        directory = store_run_directory(run_id)
        if directory is not None:
            self.attach(directory)

    def note_event(self, event: Mapping[str, Any]) -> None:
        """A start event names the run: attach to it (a resume may have been attached before it started)."""
        if self.directory is None and event.get("event") == "start" and isinstance(event.get("run"), str):
            self.attach_to_run(event["run"])

    def write(self, line: str) -> None:
        """One line of stderr (its newline, if any, is dropped)."""
        line = line.rstrip("\r\n")
        if len(line) > MAX_LINE_CHARACTERS:
            line = line[:MAX_LINE_CHARACTERS] + f" … (cut: {len(line):,} characters)"
        with self.lock:
            self.tail.append(line)
            self.lines += 1
            if self.directory is None:
                self.pending.append(line)
            else:
                self.append(line)

    def append(self, line: str) -> None:
        """With the lock held: the line (after the session's heading, before its first line) into the file."""
        if self.file is None:
            return
        header, self.header = self.header, None
        self.file.append("".join(f"{text}\n" for text in (header, line) if text is not None).encode("utf-8", "replace"))

    def close(self) -> None:
        with self.lock:
            if self.file is not None:
                self.file.close()


def read_log_tail(path: Path, lines: int = TAIL_LINES) -> list[str]:
    """The last lines of a run's log (read from its end, never through a link); [] when there is none."""
    try:
        with open_regular_file(path, what="log") as handle:
            size = os.fstat(handle.fileno()).st_size
            handle.seek(max(0, size - TAIL_READ_BYTES))
            text = handle.read(TAIL_READ_BYTES).decode("utf-8", "replace")
    except (OSError, PoetError):
        return []
    found = text.splitlines()
    if size > TAIL_READ_BYTES and found:
        found = found[1:]  # the first line read is probably cut
    return found[-lines:]


def drain_child_pipes(stdout_fd: int, stderr_fd: int, run_id: str | None) -> None:
    """What the app leaves behind when it quits with a run still training: read the child's pipes until it
    closes them, so its next line never kills it (EPIPE), and keep its stderr in the run's log. The events on
    stdout are already in metrics.jsonl; they only name the run when it was not known yet."""
    from poet_tui.events import parse_event_line

    log = TrainLog(heading=DRAIN_HEADER)
    if run_id:
        log.attach_to_run(run_id)
    partial = {stdout_fd: b"", stderr_fd: b""}
    open_fds = [stdout_fd, stderr_fd]
    while open_fds:
        for descriptor in select.select(open_fds, [], [])[0]:
            try:
                chunk = os.read(descriptor, 65536)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                open_fds.remove(descriptor)
                chunk = b"\n" if partial[descriptor] else b""
            *complete, partial[descriptor] = (partial[descriptor] + chunk).split(b"\n")
            partial[descriptor] = partial[descriptor][-4 * MAX_LINE_CHARACTERS :]  # a line never ending is cut
            for raw in complete:
                text = raw.decode("utf-8", "replace")
                if descriptor == stderr_fd:
                    log.write(text)
                elif log.directory is None and (event := parse_event_line(text)) is not None:
                    log.note_event(event)
    log.close()
