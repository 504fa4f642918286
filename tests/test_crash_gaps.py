"""The gaps a crash or a NaN used to leave: a rollback at the budget's end, the best baseline after a resume,
temp files of interrupted writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import poet_tui.trainer as trainer_module
from poet_tui.checkpoint import read_metadata
from poet_tui.errors import PoetError
from poet_tui.runs import RunStore
from poet_tui.train import resume, train
from tests.helpers import events_of, tiny_config
from tests.test_crash_safety import inject_non_finite_loss


def test_a_nan_at_the_last_evaluation_trains_again_when_the_budget_allows(tiny_corpus: Path, monkeypatch) -> None:
    """Steps 5–8 go NaN unseen (no step is logged before the end); the final evaluation rolls back to step 4,
    and the run trains steps 5–8 again instead of ending 'successfully' at step 4."""
    inject_non_finite_loss(monkeypatch, {7})
    run, reason = train(tiny_config(tiny_corpus, max_steps=8, eval_every_steps=4, log_every_steps=100))
    assert reason == "max_steps"
    (notice,) = events_of(run, "notice")
    assert "rolled back to step 4" in notice["message"]
    assert events_of(run, "done")[-1]["step"] == 8
    assert read_metadata(run.checkpoint("latest"))["step"] == 8


def test_a_nan_at_the_end_of_a_spent_time_budget_is_an_error_that_says_so(tiny_corpus: Path, monkeypatch) -> None:
    """Time never goes back: after the rollback the budget is still spent, so the run ends with an error."""
    seen = {"elapsed": 0.0}

    def elapsed(self: trainer_module.Trainer) -> float:
        seen["elapsed"] = max(seen["elapsed"], self.progress.step * 7.5)  # step 8 spends the one minute
        return seen["elapsed"]

    monkeypatch.setattr(trainer_module.Trainer, "elapsed", elapsed)
    inject_non_finite_loss(monkeypatch, {7})
    with pytest.raises(PoetError, match=r"at step 8, the end of the run's budget \(max minutes\)"):
        train(tiny_config(tiny_corpus, max_steps=None, max_minutes=1.0, eval_every_steps=4, log_every_steps=100))
    run = RunStore().list()[-1]
    assert "rolled back to step 4" in events_of(run, "error")[-1]["message"]
    assert not events_of(run, "done")
    assert read_metadata(run.checkpoint("latest"))["step"] == 4


def test_after_a_resume_only_a_better_model_replaces_best(tiny_corpus: Path) -> None:
    """`latest` may remember an older, worse best (its write came before best improved, or failed); the
    baseline is `best`'s own loss, so a worse model never overwrites it."""
    run, _ = train(tiny_config(tiny_corpus, max_steps=4, eval_every_steps=2))
    best_path = run.checkpoints_dir / "best.json"
    best = json.loads(best_path.read_text())
    best["val_loss"] = 0.001  # better than anything this run will reach
    best_path.write_text(json.dumps(best))
    latest_path = run.checkpoints_dir / "latest.json"
    latest = json.loads(latest_path.read_text())
    latest["training"]["progress"]["best_validation_loss"] = 99.0
    latest_path.write_text(json.dumps(latest))
    resumed: list[dict] = []
    resume(run, resumed.append, budget_overrides={"max_steps": 8})
    assert [event for event in resumed if event["event"] == "eval" and event["best"]] == []
    assert read_metadata(run.checkpoint("best"))["val_loss"] == 0.001
    assert read_metadata(run.checkpoint("best"))["step"] == 4


def test_temp_files_of_interrupted_writes_are_removed_by_the_next_session(tiny_corpus: Path) -> None:
    run, _ = train(tiny_config(tiny_corpus, max_steps=2, eval_every_steps=2))
    leftovers = [run.directory / ".run.toml.a1b2c3.tmp", run.checkpoints_dir / ".latest.json.x9y8z7.tmp"]
    for path in leftovers:
        path.write_text("half a file")
    keep = run.directory / "notes.tmp"  # not one of ours (no leading dot): left alone
    keep.write_text("mine")
    resume(run, budget_overrides={"max_steps": 3})
    assert not any(path.exists() for path in leftovers)
    assert keep.read_text() == "mine"


def test_a_budget_already_reached_is_refused_and_run_toml_is_not_rewritten(tiny_corpus: Path) -> None:
    run, _ = train(tiny_config(tiny_corpus, max_steps=4, eval_every_steps=2))
    before = run.config_path.read_bytes()
    with pytest.raises(PoetError, match="already reached its budget"):
        resume(run, budget_overrides={"max_steps": 3})
    with pytest.raises(PoetError, match="already reached its budget"):
        resume(run)
    assert run.config_path.read_bytes() == before
