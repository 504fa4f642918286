"""train.log: a training child's stderr kept in its run folder — written by whoever started the child, so a
child that crashes cannot lose it; bounded; never written through a link; named by the failure message."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

import poet_tui.train_log
from poet_tui.runs import Run
from poet_tui.train_log import PREVIOUS_TRAIN_LOG, TRAIN_LOG, TrainLog, drain_child_pipes, read_log_tail
from tests.helpers import poet

# A training child that gets as far as naming its run, writes to stderr, and dies without an error event.
CRASHING_CHILD = """
import json, os, signal, sys
print(json.dumps({"event": "start", "run": os.environ["CRASH_RUN"], "device": "cpu", "params": 1}), flush=True)
for number in range(60):
    print(f"warning {number}: something is off", file=sys.stderr)
print("Fatal Python error: Segmentation fault", file=sys.stderr, flush=True)
os.kill(os.getpid(), getattr(signal, os.environ.get("CRASH_SIGNAL", "SIGSEGV")))
"""
# One that says why in an error event, then leaves a traceback.
FAILING_CHILD = """
import json, os, sys
print(json.dumps({"event": "start", "run": os.environ["CRASH_RUN"], "device": "cpu", "params": 1}), flush=True)
print(json.dumps({"event": "error", "message": "training failed unexpectedly: RuntimeError: boom"}), flush=True)
print("Traceback (most recent call last):\\nRuntimeError: boom", file=sys.stderr)
sys.exit(1)
"""


def fake_child() -> None:
    """A setup for `poet`: `poet train` starts the script in $CHILD_SCRIPT instead of a real trainer."""
    import poet_tui.training_child

    script = os.environ["CHILD_SCRIPT"]
    poet_tui.training_child.train_child_command = lambda flags: [sys.executable, "-c", script]  # type: ignore[assignment]


def test_a_crashing_child_leaves_its_stderr_in_train_log_and_the_message_names_it(
    trained_run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRASH_RUN", trained_run.id)
    monkeypatch.setenv("CHILD_SCRIPT", CRASHING_CHILD)
    result = poet("train", "--corpus", "shakespeare-sonnets", "--device", "cpu", setup=fake_child)
    assert result.returncode == 1
    log = trained_run.directory / TRAIN_LOG
    kept = log.read_text(encoding="utf-8").splitlines()
    assert kept[0].startswith("--- a training session's stderr, from ")
    assert kept[1:] == [f"warning {n}: something is off" for n in range(60)] + [
        "Fatal Python error: Segmentation fault"
    ]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("poet: the training process was killed by SIGSEGV") and str(log) in last
    assert "Fatal Python error: Segmentation fault" in result.stderr  # the end of it shown at once, too
    assert "warning 0:" not in result.stderr  # only the last lines: the rest is in the file
    assert "Traceback" not in result.stderr


def test_an_error_event_stays_one_sentence_and_the_traceback_goes_to_the_log(
    trained_run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRASH_RUN", trained_run.id)
    monkeypatch.setenv("CHILD_SCRIPT", FAILING_CHILD)
    result = poet("train", "--corpus", "shakespeare-sonnets", "--device", "cpu", setup=fake_child)
    assert result.returncode == 1
    log = trained_run.directory / TRAIN_LOG
    assert "RuntimeError: boom" in log.read_text(encoding="utf-8")
    said = [line for line in result.stderr.splitlines() if line.startswith("poet: ")]
    assert said == [
        "poet: training failed unexpectedly: RuntimeError: boom",
        f"poet: the training process exited with code 1; all of its stderr is kept in {log}.",
    ]
    assert "Traceback" not in result.stderr


def test_a_real_run_keeps_what_its_child_writes(tiny_corpus: Path, poet_home: Path) -> None:
    """A run that trains quietly gets no log; a resume is logged from its first line, so even a refusal
    before its start event is kept (while the terminal still shows the one sentence)."""
    from tests.test_cli import TINY_FLAGS, assert_one_line_error

    result = poet("train", "--corpus", str(tiny_corpus), *TINY_FLAGS, "--max-steps", "2")
    assert result.returncode == 0, result.stderr
    (run,) = (poet_home / "runs").iterdir()
    assert not (run / TRAIN_LOG).exists() or "already reached" not in (run / TRAIN_LOG).read_text()
    again = poet("train", "--resume", run.name[:10], "--max-steps", "2")
    assert_one_line_error(again, "already reached its budget")
    assert "already reached its budget" in (run / TRAIN_LOG).read_text(encoding="utf-8")


def test_lines_before_the_run_is_known_wait_then_go_first(trained_run: Run) -> None:
    log = TrainLog()
    log.write("loading the corpus\n")
    assert log.path is None
    log.note_event({"event": "step", "step": 1})
    log.note_event({"event": "start", "run": trained_run.id})
    log.write("after the start")
    log.close()
    assert log.path == trained_run.directory / TRAIN_LOG
    assert log.path.read_text(encoding="utf-8").splitlines()[1:] == ["loading the corpus", "after the start"]
    assert list(log.tail) == ["loading the corpus", "after the start"] and log.lines == 2


@pytest.mark.parametrize("name", ["../runs", "20990101-000000-nope-char", "", "x" * 300, "/etc"])
def test_only_a_run_of_the_store_is_ever_written(trained_run: Run, name: str) -> None:
    log = TrainLog()
    log.note_event({"event": "start", "run": name})
    log.write("a line")
    assert log.directory is None and log.path is None and list(log.tail) == ["a line"]


def test_a_link_in_the_runs_folder_is_not_a_run(trained_run: Run, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "run.toml").write_text("")
    linked = trained_run.directory.parent / "20990101-000000-linked-char"
    linked.symlink_to(outside)
    log = TrainLog()
    log.attach_to_run(linked.name)
    log.write("a line")
    assert log.path is None and list(outside.iterdir()) == [outside / "run.toml"]


def test_the_log_is_never_written_through_a_link(trained_run: Run, tmp_path: Path) -> None:
    target = tmp_path / "precious.txt"
    target.write_text("mine\n")
    (trained_run.directory / TRAIN_LOG).symlink_to(target)
    log = TrainLog()
    log.attach(trained_run.directory)
    log.write("a line")
    log.write("another")
    assert target.read_text() == "mine\n" and log.path is None
    assert list(log.tail) == ["a line", "another"]  # the failure message still has them


def test_a_runaway_child_keeps_the_newest_lines_within_the_bound(
    trained_run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(poet_tui.train_log, "MAX_LOG_BYTES", 40_000)
    log = TrainLog()
    log.attach(trained_run.directory)
    for number in range(5000):
        log.write(f"warning {number:04d}: the same thing again")
    log.write("y" * 100_000)  # one enormous line is cut
    log.close()
    current, previous = trained_run.directory / TRAIN_LOG, trained_run.directory / PREVIOUS_TRAIN_LOG
    assert current.stat().st_size <= 40_000 and previous.stat().st_size <= 40_000
    kept = previous.read_text().splitlines() + current.read_text().splitlines()
    assert kept[-1].startswith("y" * 100) and kept[-1].endswith("(cut: 100,000 characters)")
    assert kept[-2] == "warning 4999: the same thing again" and "warning 0000" not in kept[0]
    assert read_log_tail(current, 2) == current.read_text().splitlines()[-2:]


def test_the_drain_the_app_leaves_behind_keeps_stderr(trained_run: Run) -> None:
    """The app quit with the run training: a small process reads the child's pipes until it ends, and still
    finds the run from its start event when the app had not seen it yet."""
    child = subprocess.Popen(
        [sys.executable, "-c", CRASHING_CHILD],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "CRASH_RUN": trained_run.id, "CRASH_SIGNAL": "SIGKILL"},
    )
    assert child.stdout is not None and child.stderr is not None
    drain_child_pipes(child.stdout.fileno(), child.stderr.fileno(), None)
    assert child.wait(timeout=60) == -9
    kept = (trained_run.directory / TRAIN_LOG).read_text(encoding="utf-8").splitlines()
    assert kept[0].startswith("--- the app quit and left the run training; its stderr goes on, from ")
    assert kept[1:] == [f"warning {n}: something is off" for n in range(60)] + [
        "Fatal Python error: Segmentation fault"
    ]


def test_a_followed_run_that_died_shows_the_end_of_its_log(trained_run: Run) -> None:
    from poet_tui.app.training_process import FollowedRun

    (trained_run.directory / TRAIN_LOG).write_text("".join(f"line {n}\n" for n in range(50)))
    source = FollowedRun(trained_run)

    async def follow() -> None:
        async for _ in source.events():
            pass

    asyncio.run(follow())
    assert list(source.stderr_tail) == [f"line {n}" for n in range(30, 50)]
    assert source.log_path == trained_run.directory / TRAIN_LOG
