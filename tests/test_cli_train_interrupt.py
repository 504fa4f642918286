"""Ctrl-C under `poet train` in a real terminal (a pty that is the display's controlling terminal, so the key
itself, not a signal sent by hand, stops the run): the live panel ends, then the step saved, where, and the
command that resumes the run are printed."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from poet_tui.runs import RunStore
from tests.helpers import events_of, kill_left_behind, wait_for_training

FLAGS = ["--embedding", "16", "--hidden", "24", "--layers", "1", "--batch-size", "4", "--bptt", "16",
         "--log-every", "1", "--eval-every", "1000", "--max-steps", "100000", "--device", "cpu"]  # fmt: skip
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


class Terminal:
    """A pty of 100×30 whose output is read into `text` by a thread, so the display never blocks writing."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        self.chunks: list[bytes] = []
        self.reader = threading.Thread(target=self.read, daemon=True)

    def read(self) -> None:
        while True:
            ready, _, _ = select.select([self.master], [], [], 1.0)
            if not ready:
                continue
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # EIO: every holder of the slave side has closed it
                return
            if not chunk:
                return
            self.chunks.append(chunk)

    @property
    def text(self) -> str:
        return ANSI.sub("", b"".join(self.chunks).decode("utf-8", errors="replace"))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.master)


def take_terminal() -> None:
    """In the display, after its new session began: make the pty its controlling terminal (and its process group
    the foreground one), as a shell does, so a typed Ctrl-C is the terminal's SIGINT and its echo."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    opened = Terminal()
    yield opened
    opened.close()


@pytest.fixture
def display_processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Whatever a failing test leaves behind (the display and its training child) is killed."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    kill_left_behind(started)


def test_ctrl_c_ends_the_panel_and_prints_the_step_saved_and_the_resume_command(
    tiny_corpus: Path, terminal: Terminal, display_processes: list[subprocess.Popen[bytes]]
) -> None:
    display = subprocess.Popen(
        [sys.executable, "-m", "poet_tui", "train", "--corpus", str(tiny_corpus), *FLAGS],
        stdin=terminal.slave,
        stdout=terminal.slave,
        stderr=terminal.slave,
        start_new_session=True,
        preexec_fn=take_terminal,
        env={**os.environ, "TERM": "xterm-256color"},
    )
    display_processes.append(display)
    os.close(terminal.slave)
    terminal.reader.start()
    wait_for_training()
    os.write(terminal.master, b"\x03")  # the Ctrl-C key
    assert display.wait(timeout=120) == 130
    terminal.reader.join(timeout=60)
    run = RunStore().list()[-1]
    done = events_of(run, "done")[-1]
    saved = [event for event in events_of(run, "checkpoint") if event["kind"] == "latest"][-1]
    assert done["reason"] == "stopped" and saved["step"] == done["step"]
    assert Path(saved["path"]).exists()
    text = terminal.text
    assert f"run {run.id}: stopped at step {done['step']} and saved." in text
    assert f"saved in: {saved['path']}" in text
    assert f"resume it with: poet train --resume {run.id}" in text
    # The terminal did not echo `^C` after the live panel's full-width last line: that echo wrapped the cursor
    # and left the old panel's top border on screen above every later frame.
    assert "^C" not in text
    # The panel's last frame says the run stopped, not that it is still saving.
    assert f"poet train — stopped at step {done['step']}" in text
