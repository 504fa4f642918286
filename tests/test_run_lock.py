"""One run has at most one trainer: an OS lock taken before anything is loaded, released when the trainer dies."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from poet_tui.checkpoint import read_metadata
from poet_tui.errors import PoetError
from poet_tui.run_lock import RunLock
from poet_tui.runs import RunStore
from poet_tui.train import resume
from tests.helpers import events_of, read_until_first_step, spawn_training


def resume_command(run_id: str, max_steps: int) -> list[str]:
    return [sys.executable, "-m", "poet_tui", "train", "--resume", run_id, "--max-steps", str(max_steps), "--jsonl"]


def test_two_resumes_started_together_give_one_trainer(trained_run) -> None:
    """Both start at once; exactly one trains, the other says so and writes nothing to the run."""
    processes = [
        subprocess.Popen(resume_command(trained_run.id, 100_000), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 300  # a safety net against a hang, not a speed requirement
        while all(process.poll() is None for process in processes) and time.monotonic() < deadline:
            time.sleep(0.1)
        losers = [process for process in processes if process.poll() is not None]
        assert len(losers) == 1 and losers[0].returncode == 2
        loser_stderr = losers[0].communicate()[1].decode()
        assert "in use by another poet-tui process" in loser_stderr and "Traceback" not in loser_stderr
        winner = next(process for process in processes if process is not losers[0])
        assert winner.stdout is not None
        for line in winner.stdout:
            if json.loads(line)["event"] == "step":
                break
        assert trained_run.training_pid() == winner.pid
        winner.send_signal(signal.SIGINT)
        assert winner.wait(timeout=120) == 130
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert len(events_of(trained_run, "start")) == 2  # the first session and the one resume that ran
    assert len(events_of(trained_run, "error")) == 0  # the loser wrote nothing to the run's log
    assert not trained_run.pid_path.exists()


def test_the_run_is_training_exactly_while_its_trainer_lives(trained_run) -> None:
    process = spawn_training("--resume", trained_run.id, "--max-steps", "100000", stderr=subprocess.DEVNULL)
    try:
        read_until_first_step(process)
        assert trained_run.is_training() and trained_run.status() == "running"
        assert trained_run.training_pid() == process.pid
        with pytest.raises(PoetError, match="in use by another poet-tui process"):
            resume(trained_run)
        with pytest.raises(PoetError, match="in use by another poet-tui process"):
            RunStore().remove(trained_run)
        assert trained_run.pid_path.exists()  # the refused resume did not take the trainer's pid file away
    finally:
        process.send_signal(signal.SIGKILL)  # no goodbye: the kernel releases the lock all the same
        process.wait()
    assert not trained_run.is_training()
    assert trained_run.training_pid() is None  # a stale pid file names no trainer
    assert trained_run.status() == "interrupted"
    resumed: list[dict] = []
    latest = read_metadata(trained_run.checkpoint("latest"))["step"]
    resume(trained_run, resumed.append, budget_overrides={"max_steps": latest + 1})
    assert resumed[-1]["event"] == "done"


def test_a_lock_is_refused_while_held_and_free_once_released(trained_run) -> None:
    held = RunLock.acquire(trained_run.directory, trained_run.id)
    try:
        assert trained_run.is_training()
        with pytest.raises(PoetError, match="in use"):
            RunLock.acquire(trained_run.directory, trained_run.id)
    finally:
        held.release()
    assert not trained_run.is_training()
    RunLock.acquire(trained_run.directory, trained_run.id).release()


def test_a_lock_file_that_is_a_link_is_refused(trained_run, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.write_text("")
    (trained_run.directory / "train.lock").unlink(missing_ok=True)
    (trained_run.directory / "train.lock").symlink_to(target)
    with pytest.raises(PoetError, match="symbolic link"):
        resume(trained_run)
    assert target.read_text() == ""


def test_the_jsonl_stream_of_a_refused_resume_is_one_error_event(trained_run) -> None:
    with RunLock.acquire(trained_run.directory, trained_run.id):
        result = subprocess.run(resume_command(trained_run.id, 10), capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [event["event"] for event in events] == ["error"]
