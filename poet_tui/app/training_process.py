"""Training outside the app's process: a `poet train ... --jsonl` child, or a run already training that the
app re-attaches to by following its `metrics.jsonl`. Both hand the Train pane batches of events."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections import deque
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from poet_tui.cpu_threads import RESERVED_CORES_VARIABLE
from poet_tui.errors import PoetError
from poet_tui.events import parse_event_line
from poet_tui.processes import process_alive
from poet_tui.safe_files import open_regular_file
from poet_tui.train_log import TrainLog, read_log_tail, train_log_path
from poet_tui.training_child import resumed_run, train_child_command

# Reads the child's stdout and stderr until it closes them, keeping stderr in the run's train.log (they are
# non-blocking: asyncio set them so). argv: stdout fd, stderr fd, the run's id ("" when not known yet).
DRAIN = """
import sys
from poet_tui.train_log import drain_child_pipes
drain_child_pipes(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] or None)
"""
if TYPE_CHECKING:
    from poet_tui.runs import Run  # the run store reads checkpoints (safetensors): not before the first frame

STDERR_LINES = 20
FOLLOW_INTERVAL_S = 0.25
READ_LIMIT = 1 << 22  # a start event carries the whole config; samples can be long lines too


class TrainingSource:
    """A training process the app can watch and signal: pause (SIGTSTP: the child stops itself and leaves the
    pause out of its clock, see pausing.py), continue (SIGCONT), stop (SIGINT)."""

    def __init__(self) -> None:
        self.paused = False
        self.stop_requested = False
        self.stderr_tail: deque[str] = deque(maxlen=STDERR_LINES)
        self.exit_code: int | None = None
        self.detached = False

    @property
    def log_path(self) -> Path | None:
        """The run's train.log, where the training process's stderr is kept, once there is one."""
        return None

    @property
    def pid(self) -> int | None:
        raise NotImplementedError

    def alive(self) -> bool:
        return self.pid is not None and process_alive(self.pid)

    def send(self, signal_number: int) -> None:
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal_number)

    def pause(self) -> None:
        self.send(signal.SIGTSTP)
        self.paused = True

    def resume(self) -> None:
        self.send(signal.SIGCONT)
        self.paused = False

    def stop(self) -> None:
        """The run checkpoints and exits with 130; a paused one must run again to do so."""
        self.stop_requested = True
        self.send(signal.SIGINT)
        if self.paused:
            self.resume()

    def detach(self) -> None:
        """The app is quitting and leaves the run training (once: the quit dialog and the pane's unmount may
        both ask)."""
        if self.detached:
            return
        self.detached = True
        if self.paused:
            self.resume()

    def events(self) -> AsyncIterator[list[dict[str, Any]]]:
        raise NotImplementedError


async def pipe_reader(pipe: IO[bytes]) -> asyncio.StreamReader:
    """An asyncio reader over a pipe we own: closing it later never kills the process on the other end."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=READ_LIMIT)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), pipe)
    return reader


def child_environment() -> dict[str, str]:
    """Ours, with one core left to the interface (cpu_threads.py) unless the user said how many to leave."""
    return {**os.environ, RESERVED_CORES_VARIABLE: os.environ.get(RESERVED_CORES_VARIABLE, "1")}


class ChildTraining(TrainingSource):
    """`python -m poet_tui train <flags> --jsonl` in its own session, its stdout read as events."""

    def __init__(self, argv: list[str]) -> None:
        super().__init__()
        self.argv = argv
        self.process: subprocess.Popen[bytes] | None = None
        self.train_log = TrainLog(STDERR_LINES)
        self.stderr_tail = self.train_log.tail
        run_id = resumed_run(argv)  # a resumed run's log takes its stderr from the first line; a new run's
        if run_id is not None:  # is known from its start event
            self.train_log.attach_to_run(run_id)

    @property
    def log_path(self) -> Path | None:
        return self.train_log.path

    @property
    def command(self) -> list[str]:
        return train_child_command(self.argv)

    @property
    def pid(self) -> int | None:
        return None if self.process is None or self.process.returncode is not None else self.process.pid

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # the terminal's Ctrl-C and hangup never reach it; we signal it ourselves
            env=child_environment(),
        )

    def detach(self) -> None:
        """Keep the child's pipes drained after we exit, so its next line does not kill it (EPIPE).

        A small process of its own inherits our ends of the pipes and reads them until the child closes them.
        """
        if self.detached:
            return
        super().detach()
        if self.process is None or self.process.poll() is not None:
            return
        if self.process.stdout is None or self.process.stderr is None:
            return
        fds = [self.process.stdout.fileno(), self.process.stderr.fileno()]
        run_id = self.train_log.directory.name if self.train_log.directory is not None else ""
        self.train_log.close()  # the drain appends from here on
        with contextlib.suppress(OSError):
            subprocess.Popen(
                [sys.executable, "-c", DRAIN, *map(str, fds), run_id],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=fds,
                start_new_session=True,
            )

    async def collect_stderr(self, reader: asyncio.StreamReader) -> None:
        while True:
            try:
                line = await reader.readline()
            except ValueError:  # a line longer than the reader's limit: keep its start, skip the rest
                line = await reader.read(READ_LIMIT)
            if not line:
                return
            self.train_log.write(line.decode("utf-8", "replace").rstrip())

    async def events(self) -> AsyncIterator[list[dict[str, Any]]]:
        assert self.process is not None and self.process.stdout is not None and self.process.stderr is not None
        stdout = await pipe_reader(self.process.stdout)
        stderr_task = asyncio.create_task(self.collect_stderr(await pipe_reader(self.process.stderr)))
        try:
            while line := await stdout.readline():
                event = parse_event_line(line.decode("utf-8", "replace"))
                if event is not None:
                    self.train_log.note_event(event)
                    yield [event]
            await stderr_task
            while (code := self.process.poll()) is None:
                await asyncio.sleep(0.05)
            self.exit_code = code
        finally:
            stderr_task.cancel()
            self.train_log.close()


class FollowedRun(TrainingSource):
    """A run training in another process (one the app left running): tail its metrics.jsonl.

    It trains for as long as it holds the run's lock; its pid is only needed to send it signals."""

    def __init__(self, run: Run) -> None:
        super().__init__()
        self.run = run
        self.metrics_path = run.metrics_path
        self.followed_pid = run.training_pid()
        self.position = 0
        self.partial = b""

    @property
    def pid(self) -> int | None:
        return self.followed_pid

    @property
    def log_path(self) -> Path | None:
        path = train_log_path(self.run.directory)
        return path if path.is_file() else None

    def alive(self) -> bool:
        return self.run.is_training()

    def read_new_lines(self) -> list[dict[str, Any]]:
        try:
            with open_regular_file(self.metrics_path, what="event log") as file:
                file.seek(self.position)
                chunk = file.read(READ_LIMIT)
                self.position = file.tell()
        except PoetError:
            return []  # not there yet, or not a file poet-tui will read
        lines = (self.partial + chunk).split(b"\n")
        self.partial = lines.pop()  # a line still being written
        events = (parse_event_line(line.decode("utf-8", "replace")) for line in lines)
        return [event for event in events if event is not None]

    async def events(self) -> AsyncIterator[list[dict[str, Any]]]:
        while True:
            running = self.alive()
            events = await asyncio.to_thread(self.read_new_lines)
            if events:
                yield events
            if not running:
                # Whatever the trainer wrote to stderr was kept by whoever started it: the end of it, for a
                # failure message.
                self.stderr_tail.extend(await asyncio.to_thread(read_log_tail, train_log_path(self.run.directory)))
                return
            await asyncio.sleep(FOLLOW_INTERVAL_S)
