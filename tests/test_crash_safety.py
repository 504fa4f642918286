"""Nothing lost, nothing executed: kills, NaNs, out-of-memory, full disks, torn files, hostile input."""

from __future__ import annotations

import errno
import json
import math
import os
import random
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import psutil
import pytest
import torch

import poet_tui.trainer as trainer_module
from poet_tui import pausing
from poet_tui.checkpoint import CheckpointFiles, load_model, pending, read_metadata, read_tensor_file, save_checkpoint
from poet_tui.config import load_run_config
from poet_tui.corpus import load_documents
from poet_tui.errors import PoetError
from poet_tui.events import EventLog, read_events
from poet_tui.generation import load_for_generation
from poet_tui.model import ModelConfig, RNNLanguageModel
from poet_tui.processes import process_state
from poet_tui.runs import RunStore
from poet_tui.sample import CompletionStats, SamplingSettings, complete, stream_completion
from poet_tui.schedule import PlateauState, learning_rate
from poet_tui.train import resume, train
from tests.forked import start_forked
from tests.helpers import events_of, read_until_first_step, spawn_training, tiny_config

CHECKPOINT_INTERVAL = 3


def test_kill_9_at_random_moments_never_loses_a_checkpoint(tiny_corpus: Path, poet_home: Path) -> None:
    """20 trials: kill -9 a training child at a random moment, then check everything on disk loads and
    the run resumes from its latest checkpoint with at most one checkpoint interval of work lost."""
    rng = random.Random(11)
    flags = ["--corpus", str(tiny_corpus), "--tokenizer", "char", "--embedding", "16", "--hidden", "32",
             "--batch-size", "4", "--bptt", "16", "--eval-every", str(CHECKPOINT_INTERVAL), "--log-every", "1",
             "--sample-length", "5", "--device", "cpu", "--max-steps", "100000", "--jsonl"]  # fmt: skip
    store = RunStore()
    for trial in range(20):
        child = start_forked("train", *flags)
        # Let it get past start-up (the first event; for a resume trial, the first checkpoint), then kill it
        # a random moment later. Waiting on events, never on the clock, keeps a loaded machine from
        # changing what is tested.
        must_see = '"checkpoint"' if trial % 5 == 0 else '"event"'
        deadline = time.monotonic() + 120  # a net against a hang only
        while must_see not in child.output() and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.8))
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait() == -signal.SIGKILL
        run = store.list()[-1]
        for files in run.checkpoints():
            _, metadata = load_model(files)  # every checkpoint on disk loads
            if metadata["has_training_state"]:
                read_tensor_file(files.training_state, metadata["step"])
        steps = [event["step"] for event in run.events() if event["event"] == "step"]  # a torn line is skipped
        latest_files = run.checkpoint("latest")
        # Killed before its first checkpoint, a run has lost less than one interval: it counts from step 0.
        latest = read_metadata(latest_files)["step"] if latest_files is not None else 0
        done_before_kill = max(steps, default=0)
        assert done_before_kill - latest <= CHECKPOINT_INTERVAL, (trial, done_before_kill, latest)
        if trial % 5 == 0:
            resumed: list[dict] = []
            config = load_run_config(run.config_path)
            resume(run, resumed.append, budget_overrides={"max_steps": latest + 2})
            assert resumed[0]["resumed_from_step"] == latest
            assert resumed[-1]["event"] == "done" and resumed[-1]["step"] == latest + 2
            assert config.training.max_steps == 100000
        else:
            assert run.status() == "interrupted"


def test_a_checkpoint_is_the_old_or_the_new_one_whichever_moment_a_crash_hits(tmp_path: Path, monkeypatch) -> None:
    model = RNNLanguageModel(ModelConfig(vocab_size=5, embedding_size=4, hidden_size=4, num_layers=1))
    files = CheckpointFiles(tmp_path, "latest")
    state = {"loss_sum": torch.zeros(())}
    save_checkpoint(files, model, {"step": 1}, state)
    old_weights = model.embedding.weight.detach().clone()
    with torch.no_grad():
        model.embedding.weight.add_(1.0)

    # Crash after the JSON committed step 2 but before the pending files settled.
    real_replace = os.replace
    calls = {"count": 0}

    def crash_after_commit(source, destination):
        if str(source).endswith(".pending"):
            raise KeyboardInterrupt("killed")
        calls["count"] += 1
        real_replace(source, destination)

    monkeypatch.setattr(os, "replace", crash_after_commit)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(files, model, {"step": 2}, state)
    monkeypatch.setattr(os, "replace", real_replace)
    loaded, metadata = load_model(files)
    assert metadata["step"] == 2 and torch.equal(loaded.embedding.weight, model.embedding.weight)
    assert pending(files.weights).exists()

    # Crash before the JSON commit of step 3: the reader still gets step 2 whole.
    def crash_before_commit(source, destination):
        if str(destination).endswith(".json"):
            raise KeyboardInterrupt("killed")
        real_replace(source, destination)

    with torch.no_grad():
        model.embedding.weight.add_(1.0)
    monkeypatch.setattr(os, "replace", crash_before_commit)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(files, model, {"step": 3}, state)
    monkeypatch.setattr(os, "replace", real_replace)
    loaded, metadata = load_model(files)
    assert metadata["step"] == 2 and not torch.equal(loaded.embedding.weight, old_weights)


def inject_non_finite_loss(monkeypatch, at_calls: set[int]) -> None:
    """Make the training loss NaN on chosen calls of cross_entropy (evaluation uses reduction='none')."""
    real = trainer_module.functional.cross_entropy
    calls = {"count": 0}

    def maybe_nan(*args, **kwargs):
        loss = real(*args, **kwargs)
        if kwargs.get("reduction", "mean") == "mean":
            calls["count"] += 1
            if calls["count"] in at_calls:
                return loss * float("nan")
        return loss

    monkeypatch.setattr(trainer_module.functional, "cross_entropy", maybe_nan)


def test_nan_loss_rolls_back_halves_the_rate_and_goes_on(tiny_corpus: Path, monkeypatch) -> None:
    inject_non_finite_loss(monkeypatch, {5})
    run, reason = train(tiny_config(tiny_corpus, max_steps=12, eval_every_steps=4, log_every_steps=2))
    assert reason == "max_steps"
    (notice,) = events_of(run, "notice")
    assert notice["kind"] == "nan_rollback" and "rolled back to step 4" in notice["message"]
    events = run.events()
    steps = [event for event in events if event["event"] == "step"]
    assert all(math.isfinite(event["loss"]) for event in steps)  # no NaN was ever reported as a loss
    training = load_run_config(run.config_path).training
    after_rollback = [event for event in events[events.index(notice) :] if event["event"] == "step"]
    assert after_rollback
    for event in after_rollback:  # the schedule's rate, halved
        step = event["step"] - 1
        expected = learning_rate(training, step, step / training.max_steps, PlateauState()) * 0.5
        assert event["lr"] == pytest.approx(expected)
    assert read_metadata(run.checkpoint("latest"))["training"]["progress"]["lr_scale"] == 0.5
    for evaluation in events_of(run, "eval"):
        assert evaluation["val_loss"] == evaluation["val_loss"]


def test_after_three_rollbacks_training_stops_and_keeps_the_last_good_checkpoint(
    tiny_corpus: Path, monkeypatch
) -> None:
    inject_non_finite_loss(monkeypatch, set(range(5, 10_000)))
    with pytest.raises(PoetError, match="even after 3 rollbacks"):
        train(tiny_config(tiny_corpus, max_steps=50, eval_every_steps=4, log_every_steps=2))
    run = RunStore().list()[-1]
    assert len(events_of(run, "notice")) == 3
    assert events_of(run, "error")[-1]["message"].startswith("the loss became NaN")
    model, metadata = load_model(run.checkpoint("latest"))
    assert metadata["step"] == 4
    assert all(torch.isfinite(parameter).all() for parameter in model.parameters())


def test_out_of_memory_halves_the_batch_and_retries(tiny_corpus: Path, monkeypatch) -> None:
    real_forward = RNNLanguageModel.forward

    def forward_that_runs_out_of_memory(self, tokens, state=None):
        if self.training and tokens.shape[0] > 2:
            raise MemoryError
        return real_forward(self, tokens, state)

    monkeypatch.setattr(RNNLanguageModel, "forward", forward_that_runs_out_of_memory)
    run, reason = train(tiny_config(tiny_corpus, batch_size=8, max_steps=6, eval_every_steps=3))
    assert reason == "max_steps"
    notices = events_of(run, "notice")
    assert [notice["batch_size"] for notice in notices] == [4, 2]
    assert all(notice["kind"] == "out_of_memory" for notice in notices)
    assert load_run_config(run.config_path).training.batch_size == 2
    assert events_of(run, "done")[-1]["step"] == 6


def test_a_full_disk_stops_with_a_clear_error_and_the_previous_checkpoint_intact(
    tiny_corpus: Path, monkeypatch
) -> None:
    real_save = trainer_module.save_checkpoint
    saves = {"count": 0}

    def disk_fills_up(files, model, metadata, tensors=None):
        saves["count"] += 1
        if metadata["step"] >= 4:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_save(files, model, metadata, tensors)

    monkeypatch.setattr(trainer_module, "save_checkpoint", disk_fills_up)
    with pytest.raises(PoetError, match=r"No space left on device\); the previous checkpoint \(step 0\) is intact"):
        train(tiny_config(tiny_corpus, max_steps=12, eval_every_steps=4))
    run = RunStore().list()[-1]
    assert run.status() == "failed"
    _, metadata = load_model(run.checkpoint("latest"))
    assert metadata["step"] == 0
    assert resume(run, budget_overrides={"max_steps": 2}) == "max_steps"


def test_a_torn_metrics_line_is_skipped_and_the_next_event_starts_a_new_line(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    path.write_text('{"event":"step","step":1}\n{"event":"step","ste', encoding="utf-8")
    assert [event["step"] for event in read_events(path)] == [1]
    log = EventLog(path)
    log.emit("step", step=2)
    log.close()
    assert [event["step"] for event in read_events(path)] == [1, 2]


def test_a_one_gigabyte_corpus_is_refused_without_reading_it(tmp_path: Path) -> None:
    huge = tmp_path / "huge.txt"
    with open(huge, "wb") as handle:
        handle.truncate(1 << 30)  # sparse: costs no disk, and reading it would cost a gigabyte of memory
    tracemalloc.start()
    try:
        with pytest.raises(PoetError, match="MiB"):
            load_documents(huge)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20  # refused before reading: memory never held any of the gigabyte


def test_prompts_of_unknown_characters_or_far_longer_than_training_text(tiny_corpus: Path) -> None:
    run, _ = train(tiny_config(tiny_corpus, max_steps=2, eval_every_steps=2))
    loaded = load_for_generation(run.id)
    with pytest.raises(PoetError, match="never saw"):
        complete(loaded.model, loaded.tokenizer, "☃☃☃", SamplingSettings())
    long_prompt = "the moon and the sea " * 500  # 10,500 characters, longer than any poem it saw
    stats = CompletionStats()
    settings = SamplingSettings(max_tokens=5, seed=1, stop_at_end_of_poem=False)
    text = "".join(stream_completion(loaded.model, loaded.tokenizer, long_prompt, settings, stats))
    assert stats.tokens == 5 and text


def test_metadata_of_a_checkpoint_is_plain_json(tiny_corpus: Path) -> None:
    run, _ = train(tiny_config(tiny_corpus, max_steps=2, eval_every_steps=2))
    metadata = json.loads(run.checkpoint("latest").metadata.read_text())
    assert {"format", "step", "val_loss", "val_bpc", "corpus", "tokenizer", "created", "parameters"} <= set(metadata)


def test_a_training_child_whose_reader_goes_away_keeps_training(tiny_corpus: Path, poet_home: Path) -> None:
    """An app that quits and leaves the run training closes the child's stdout; the run must go on."""
    process = spawn_training(
        "--corpus", str(tiny_corpus), "--embedding", "16", "--hidden", "24", "--batch-size", "4", "--bptt", "16",
        "--eval-every", "20", "--max-steps", "40", "--device", "cpu", stderr=subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    process.stdout.readline()
    process.stdout.close()
    assert process.wait(timeout=120) == 0, process.stderr.read() if process.stderr else ""
    run = RunStore().list()[-1]
    assert events_of(run, "done")[-1]["step"] == 40 and not events_of(run, "error")


def test_a_paused_run_really_stops_and_then_goes_on(tiny_corpus: Path) -> None:
    """More steps than any machine runs during the test, so the pause always finds the run training (a run of a
    few steps may end before a busy machine delivers the signal); once continued it steps again and stops cleanly."""
    process = spawn_training(
        "--corpus", str(tiny_corpus), "--embedding", "16", "--hidden", "24", "--batch-size", "4", "--bptt", "16",
        "--log-every", "10", "--max-steps", "1000000", "--device", "cpu",
    )  # fmt: skip
    read_until_first_step(process)
    assert process.stdout is not None
    process.send_signal(signal.SIGTSTP)
    deadline = time.monotonic() + 60  # only a net against a hang: the handler runs when the machine lets it
    while process_state(process.pid) != psutil.STATUS_STOPPED and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process_state(process.pid) == psutil.STATUS_STOPPED
    process.send_signal(signal.SIGCONT)
    read_until_first_step(process)  # it trains on
    process.send_signal(signal.SIGINT)
    remaining = [json.loads(line) for line in process.stdout]
    assert process.wait(timeout=120) == 130
    assert remaining[-1]["event"] == "done" and remaining[-1]["reason"] == "stopped"


def test_time_spent_paused_is_taken_off_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pause handler stops the process and, once continued, adds the time it spent stopped; a fake clock
    makes the arithmetic exact whatever the machine is doing."""
    now = [1000.0]
    sent: list[int] = []

    def fake_kill(pid: int, signal_number: int) -> None:
        sent.append(signal_number)
        now[0] += 90.0  # stopped for 90 s, then SIGCONT

    clock = pausing.PauseClock()
    monkeypatch.setattr(pausing.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(pausing.os, "kill", fake_kill)
    clock.handle_pause(signal.SIGTSTP, None)
    clock.handle_pause(signal.SIGTSTP, None)
    assert sent == [signal.SIGSTOP, signal.SIGSTOP] and clock.paused_seconds == 180.0


def test_a_stale_pid_file_does_not_make_a_run_look_alive(tiny_corpus: Path) -> None:
    run, _ = train(tiny_config(tiny_corpus, max_steps=2, eval_every_steps=2))
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    while process_state(finished.pid) != psutil.STATUS_ZOMBIE:
        time.sleep(0.05)  # exited but not reaped yet: a zombie
    run.pid_path.write_text(str(finished.pid))
    assert run.training_pid() is None and run.status() == "done"
    finished.wait()
    unrelated = subprocess.Popen(["sleep", "30"])  # alive, but not a poet process (a pid reused after a reboot)
    try:
        run.pid_path.write_text(str(unrelated.pid))
        assert run.training_pid() is None
    finally:
        unrelated.kill()
        unrelated.wait()


def test_removing_one_checkpoint_takes_its_pending_files_too(tiny_corpus: Path) -> None:
    from poet_tui.checkpoint import remove_checkpoint

    run, _ = train(tiny_config(tiny_corpus, max_steps=2, eval_every_steps=2))
    latest = run.checkpoint("latest")
    pending(latest.weights).write_bytes(b"left by a crash")
    remove_checkpoint(latest)
    assert sorted(path.name for path in run.checkpoints_dir.iterdir()) == ["best.json", "best.safetensors"]
