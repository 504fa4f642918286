"""One summary per run (the app's run browser): status from the log and the lock, the validation bits/char curve
on the run's own path, the best figures, a word run flagged, a damaged run listed with its reason."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from poet_tui.run_catalog import run_summaries, summarize_run
from poet_tui.runs import Run, RunStore
from tests.app.conftest import FIXED_RUN, write_fixed_run


def write_events(run_dir: Path, events: list[dict[str, object]]) -> None:
    with open(run_dir / "metrics.jsonl", "w", encoding="utf-8") as log:
        log.writelines(json.dumps(event) + "\n" for event in events)


def start() -> dict[str, object]:
    return {"event": "start", "run": FIXED_RUN, "device": "cpu", "params": 9000}


def evaluation(step: int, loss: float, bpc: float) -> dict[str, object]:
    return {"event": "eval", "step": step, "val_loss": loss, "val_bpc": bpc}


def step(number: int, loss: float = 2.0) -> dict[str, object]:
    return {"event": "step", "step": number, "epoch": 0.1, "loss": loss, "elapsed_s": number / 10}


def test_a_stopped_run_is_summarized_with_its_curve_best_figures_and_checkpoints(poet_home: Path) -> None:
    write_fixed_run(poet_home)
    (summary,) = run_summaries(RunStore().list())
    assert summary.run_id == FIXED_RUN
    assert summary.status == "stopped"
    assert (summary.corpus, summary.tokenizer, summary.cell, summary.layers, summary.hidden) == (
        "shakespeare-sonnets",
        "char",
        "lstm",
        1,
        24,
    )
    assert summary.parameters == 9000  # from the start event
    assert summary.vocab_size is not None and summary.vocab_size > 0
    assert summary.steps == 60
    assert [checkpoint.stem for checkpoint in summary.checkpoints] == ["best", "latest"]
    assert summary.model_checkpoint is not None and summary.model_checkpoint.stem == "best"
    assert summary.val_bpc_points == ((20, 2.0), (40, 2.0), (60, 2.0))
    assert summary.best_val_bpc == 2.0
    assert summary.best_val_loss is not None and summary.best_val_loss < 1.8
    assert not summary.is_word
    assert dict(summary.settings)["batch"] == "4 sequences × 16 tokens"


def test_status_comes_from_the_lock_and_the_last_sessions_goodbye(poet_home: Path) -> None:
    run_dir = write_fixed_run(poet_home)
    run = Run(run_dir)
    write_events(run_dir, [start(), step(5), {"event": "done", "step": 5, "reason": "max_steps"}])
    assert summarize_run(run).status == "done"
    write_events(run_dir, [start(), step(5), {"event": "error", "message": "out of memory"}])
    failed = summarize_run(run)
    assert (failed.status, failed.error) == ("failed", "out of memory")
    write_events(run_dir, [start(), step(5)])  # killed: no goodbye
    interrupted = summarize_run(run)
    assert (interrupted.status, interrupted.status_reason) == ("stopped", "interrupted")
    with run.lock():
        assert summarize_run(run).status == "training"


def test_a_resumed_runs_curve_keeps_only_the_path_it_went_on_from(poet_home: Path) -> None:
    run_dir = write_fixed_run(poet_home)
    write_events(
        run_dir,
        [
            start(),
            step(10),
            evaluation(10, 2.5, 1.5),
            step(20),
            evaluation(20, 2.0, 1.2),
            start(),  # killed after step 20; resumed from the checkpoint of step 10
            step(15),
            evaluation(15, 2.2, 1.3),
        ],
    )
    summary = summarize_run(Run(run_dir))
    assert summary.val_bpc_points == ((10, 1.5), (15, 1.3))
    assert summary.best_val_bpc == 1.3


def test_a_word_run_is_flagged_and_a_damaged_run_is_listed_with_its_reason(poet_home: Path) -> None:
    fixed = write_fixed_run(poet_home)
    word = poet_home / "runs" / "20250101-130000-shakespeare-sonnets-word"
    shutil.copytree(fixed, word)
    config = word / "run.toml"
    config.write_text(config.read_text().replace('kind = "char"', 'kind = "word"'))
    broken = poet_home / "runs" / "20250101-140000-shakespeare-sonnets-char"
    shutil.copytree(fixed, broken)
    (broken / "run.toml").write_text("this is [ not toml")
    summaries = {summary.run_id: summary for summary in run_summaries(RunStore().list())}
    assert summaries[word.name].is_word and not summaries[FIXED_RUN].is_word
    damaged = summaries[broken.name]
    assert damaged.status == "damaged" and damaged.problem
    assert damaged.model_checkpoint is None
    assert [checkpoint.problem for checkpoint in damaged.checkpoints] == [damaged.problem]


def test_a_log_is_folded_again_only_when_it_changed(poet_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import poet_tui.events

    run_dir = write_fixed_run(poet_home)
    reads: list[Path] = []
    read = poet_tui.events.read_typed_events
    monkeypatch.setattr(poet_tui.events, "read_typed_events", lambda path: reads.append(path) or read(path))
    run_summaries(RunStore().list())
    assert run_summaries(RunStore().list())[0].steps == 60
    assert len(reads) == 1
    with open(run_dir / "metrics.jsonl", "a", encoding="utf-8") as log:
        log.write(json.dumps(step(70)) + "\n")
    assert run_summaries(RunStore().list())[0].steps == 70
    assert len(reads) == 2
