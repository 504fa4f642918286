"""Closing the terminal under `poet train` stops the run like Ctrl-C: a checkpoint, then exit; no orphan trainer."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from poet_tui.runs import RunStore
from tests.helpers import events_of, kill_left_behind, wait_for_training

FLAGS = ["--embedding", "16", "--hidden", "24", "--batch-size", "4", "--bptt", "16", "--log-every", "1",
         "--max-steps", "100000", "--device", "cpu"]  # fmt: skip


def hangups(action: signal.Handlers) -> Callable[[], None]:
    """Set in the display before it starts: the test says what a hang-up does there rather than inheriting it
    (a suite itself started under nohup ignores hang-ups, and so would every display it starts)."""

    def set_action() -> None:
        signal.signal(signal.SIGHUP, action)

    return set_action


def start_display(tiny_corpus: Path, hangup: signal.Handlers) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "poet_tui", "train", "--corpus", str(tiny_corpus), *FLAGS]
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=hangups(hangup)
    )


@pytest.fixture
def no_orphans() -> Iterator[list[subprocess.Popen[str]]]:
    """Whatever a failing test leaves behind (the display and its training child, in its own session) is killed."""
    started: list[subprocess.Popen[str]] = []
    yield started
    kill_left_behind(started)


def test_a_hangup_stops_the_run_with_a_checkpoint(tiny_corpus: Path, no_orphans: list) -> None:
    display = start_display(tiny_corpus, signal.SIG_DFL)
    no_orphans.append(display)
    wait_for_training()
    display.send_signal(signal.SIGHUP)
    assert display.wait(timeout=120) == 130
    run = RunStore().list()[-1]
    assert not run.is_training()  # the child is not left training without a reader
    assert events_of(run, "done")[-1]["reason"] == "stopped"
    assert events_of(run, "checkpoint")[-1]["step"] == events_of(run, "done")[-1]["step"]


def test_under_nohup_a_hangup_is_ignored(tiny_corpus: Path, no_orphans: list) -> None:
    display = start_display(tiny_corpus, signal.SIG_IGN)
    no_orphans.append(display)
    try:
        wait_for_training()
        display.send_signal(signal.SIGHUP)
        time.sleep(1)
        run = RunStore().list()[-1]
        assert display.poll() is None and run.is_training()
    finally:
        display.send_signal(signal.SIGINT)
        assert display.wait(timeout=120) == 130
