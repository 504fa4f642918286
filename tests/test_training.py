"""Training on a tiny corpus: events, checkpoints, exact resume, bits per character, budgets."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from poet_tui.checkpoint import read_metadata
from poet_tui.config import load_run_config
from poet_tui.corpus import Document
from poet_tui.errors import PoetError
from poet_tui.events import read_events
from poet_tui.runs import RunStore
from poet_tui.tokenizers import count_characters
from poet_tui.train import resume, train
from poet_tui.trainer import bits_per_character
from tests.helpers import tiny_config


def losses(events: list[dict], kind: str = "step", key: str = "loss") -> dict[int, float]:
    return {event["step"]: event[key] for event in events if event["event"] == kind}


def test_a_run_writes_its_directory_and_events(tiny_corpus: Path) -> None:
    collected: list[dict] = []
    run, reason = train(tiny_config(tiny_corpus), collected.append)
    assert reason == "max_steps"
    assert (run.directory / "run.toml").exists() and (run.directory / "tokenizer.json").exists()
    events = list(read_events(run.metrics_path))
    assert events == collected  # the file and the listener see the same stream
    kinds = [event["event"] for event in events]
    assert kinds[0] == "start" and kinds[-1] == "done"
    assert {"step", "eval", "sample", "checkpoint"} <= set(kinds)
    assert [event["step"] for event in events if event["event"] == "eval"] == [6, 12]
    step = next(event for event in events if event["event"] == "step")
    assert step["tokens_per_s"] > 0 and step["mem"]["rss"] > 0 and "gpu_allocated" not in step["mem"]
    assert {files.stem for files in run.checkpoints()} == {"best", "latest"}
    assert read_metadata(run.checkpoint("latest"))["step"] == 12
    assert run.status() == "done" and not run.pid_path.exists()
    assert run.id.endswith("-tiny-poems-char")


def test_resume_continues_exactly_as_if_never_interrupted(tiny_corpus: Path) -> None:
    """Same seed, same losses, whether the run was stopped at step 5 and resumed or ran straight through."""
    steps_seen = []

    def stop_after_five() -> bool:
        return len(steps_seen) >= 5

    def count(event: dict) -> None:
        if event["event"] == "step":
            steps_seen.append(event["step"])

    config = tiny_config(tiny_corpus, max_steps=12, eval_every_steps=4, log_every_steps=1)
    interrupted, reason = train(config, count, stop_after_five)
    assert reason == "stopped"
    assert read_metadata(interrupted.checkpoint("latest"))["step"] == 5
    assert resume(interrupted) == "max_steps"

    config_straight = tiny_config(tiny_corpus, max_steps=12, eval_every_steps=4, log_every_steps=1)
    straight, _ = train(config_straight)
    expected = straight.events()
    got = interrupted.events()
    assert losses(got) == losses(expected)
    assert losses(got, "eval", "val_loss") == losses(expected, "eval", "val_loss")
    assert len(losses(expected)) == 12


def test_resume_with_random_windows_is_exact_too(tiny_corpus: Path) -> None:
    config = tiny_config(tiny_corpus, max_steps=8, eval_every_steps=4, log_every_steps=1, random_windows=True)
    straight, _ = train(config)
    stops = iter([False] * 3 + [True])
    interrupted, reason = train(
        tiny_config(tiny_corpus, max_steps=8, eval_every_steps=4, log_every_steps=1, random_windows=True),
        should_stop=lambda: next(stops, True),
    )
    assert reason == "stopped"
    resume(interrupted)
    assert losses(interrupted.events()) == losses(straight.events())


def test_bits_per_character_arithmetic() -> None:
    # 1000 characters predicted with a total of 1000·ln 2 nats is exactly one bit per character.
    assert bits_per_character(1000 * math.log(2), 1000) == pytest.approx(1.0)
    # Each document adds one character for the <eod> that follows it.
    assert count_characters([Document("abc"), Document("de")]) == 7


def test_char_model_bits_per_character_is_its_loss_in_bits(tiny_corpus: Path) -> None:
    """For a char tokenizer one token is one character, so val_bpc must equal val_loss / ln 2."""
    run, _ = train(tiny_config(tiny_corpus))
    evaluation = [event for event in run.events() if event["event"] == "eval"][-1]
    assert evaluation["val_bpc"] == pytest.approx(evaluation["val_loss"] / math.log(2), rel=1e-3)


@pytest.mark.parametrize("kind", ["word", "spm"])
def test_other_tokenizers_train_and_report_bits_per_character(tiny_corpus: Path, kind: str) -> None:
    run, _ = train(tiny_config(tiny_corpus, kind=kind, bptt=8))
    evaluation = [event for event in run.events() if event["event"] == "eval"][-1]
    assert evaluation["val_bpc"] > 0
    # Fewer tokens than characters: the same loss in bits is spread over more characters.
    assert evaluation["val_bpc"] < evaluation["val_loss"] / math.log(2)


def test_a_corpus_smaller_than_one_batch_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    small = tmp_path / "small.txt"
    small.write_text("A very short poem.\n")
    with pytest.raises(PoetError, match="fewer than one batch"):
        train(tiny_config(small, batch_size=64, bptt=64))
    assert RunStore().list() == []


def test_early_stopping_after_patience_evaluations_without_improvement(tiny_corpus: Path) -> None:
    # A learning rate this large wrecks the model after the first steps, so validation stops improving.
    config = tiny_config(tiny_corpus, max_steps=200, eval_every_steps=1, patience=3, warmup_steps=0)
    config.training.schedule = "constant"
    config.training.learning_rate = 5.0
    run, reason = train(config)
    assert reason == "early_stop"
    evaluations = [event for event in run.events() if event["event"] == "eval"]
    assert [event["best"] for event in evaluations[-3:]] == [False, False, False]
    assert evaluations[-4]["best"]
    assert read_metadata(run.checkpoint("best"))["step"] == evaluations[-4]["step"]


def test_plateau_schedule_halves_the_rate_after_bad_evaluations() -> None:
    from poet_tui.config import TrainingConfig
    from poet_tui.schedule import PlateauState, learning_rate

    training = TrainingConfig(learning_rate=1.0, warmup_steps=0, schedule="plateau")
    plateau = PlateauState(patience=2)
    plateau.observe(improved=True)
    plateau.observe(improved=False)
    assert learning_rate(training, 10, 0.5, plateau) == 1.0
    plateau.observe(improved=False)
    assert learning_rate(training, 10, 0.5, plateau) == 0.5


def test_cosine_schedule_warms_up_then_decays_to_the_floor() -> None:
    from poet_tui.config import TrainingConfig
    from poet_tui.schedule import PlateauState, learning_rate

    training = TrainingConfig(learning_rate=1.0, warmup_steps=4, schedule="cosine", min_lr_ratio=0.1)
    assert learning_rate(training, 0, 0.0, PlateauState()) == 0.25
    assert learning_rate(training, 4, 0.0, PlateauState()) == 1.0
    assert learning_rate(training, 50, 0.5, PlateauState()) == pytest.approx(0.55)
    assert learning_rate(training, 99, 1.0, PlateauState()) == pytest.approx(0.1)


def test_gru_and_tied_models_train(tiny_corpus: Path) -> None:
    config = tiny_config(tiny_corpus, max_steps=4, eval_every_steps=4)
    config.model.cell = "gru"
    config.model.tied = True
    run, _ = train(config)
    saved = load_run_config(run.config_path)
    assert saved.model.cell == "gru" and saved.model.tied
    metadata = read_metadata(run.checkpoint("best"))
    assert metadata["model"]["cell"] == "gru" and metadata["vocab_size"] == saved.model.vocab_size > 0


def test_stop_request_checkpoints_and_reports_stopped(tiny_corpus: Path) -> None:
    run, reason = train(tiny_config(tiny_corpus, max_steps=100), should_stop=lambda: True)
    assert reason == "stopped"
    assert run.status() == "stopped"
    latest = read_metadata(run.checkpoint("latest"))
    assert latest["step"] == 0 and latest["has_training_state"]


def test_checkpoints_are_only_safetensors_and_json(tiny_corpus: Path) -> None:
    run, _ = train(tiny_config(tiny_corpus, max_steps=2, eval_every_steps=2))
    names = sorted(path.name for path in run.checkpoints_dir.iterdir())
    assert names == ["best.json", "best.safetensors", "latest.json", "latest.optim.safetensors", "latest.safetensors"]
    for path in run.checkpoints_dir.glob("*.safetensors"):
        assert path.read_bytes()[8:9] == b"{"  # a safetensors JSON header, not a pickle or zip
