"""Novelty during training: the overlap index of exactly the training split is built when training starts, each
evaluation's sample is scored against it, and the eval and sample events carry the share of the sample outside
verbatim copies; a damaged figure in a log reads as absent, and a failure to measure never stops a run."""

from __future__ import annotations

import io
import math
import random
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

import poet_tui.sample_novelty
from poet_tui.cli.train_display import TrainingDisplay
from poet_tui.corpus import Document
from poet_tui.event_types import EvalEvent, SampleEvent, parse_event
from poet_tui.overlap import DEFAULT_MIN_COPY, training_texts
from poet_tui.run_progress import RunProgress
from poet_tui.sample_novelty import novelty_field, sample_novelty, training_index
from poet_tui.train import train
from tests.helpers import events_of, full_length_samples, poet, tiny_config

PROSE = "the river ran past the mill and the miller counted his sacks of grain before the rain came"
UNSEEN = "0123456789" * 4  # no digit is in the corpus, so no character of it can be a copy


def paragraphs(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choices(PROSE.split(" "), k=30)) + "." for _ in range(count)]


@pytest.fixture
def prose_corpus(tmp_path: Path) -> Path:
    path = tmp_path / "prose.txt"
    path.write_text("\n\n\n".join(paragraphs(40, 5)) + "\n", encoding="utf-8")
    return path


# ----- reading the figure back -----
@pytest.mark.parametrize("value", [1.5, -0.25, math.inf, math.nan, "0.5", True, [0.5], {"share": 0.5}])
def test_a_damaged_novelty_is_ignored_and_the_line_kept(value: Any) -> None:
    assert parse_event({"event": "eval", "step": 6, "val_loss": 2.0, "novelty": value}) == EvalEvent(
        step=6, val_loss=2.0
    )
    assert parse_event({"event": "sample", "step": 6, "text": "a", "novelty": value}) == SampleEvent(step=6, text="a")


def test_a_sound_novelty_is_read_on_both_events() -> None:
    evaluation = parse_event({"event": "eval", "step": 6, "val_loss": 2.0, "novelty": 0.75})
    sample = parse_event({"event": "sample", "step": 6, "text": "a", "novelty": 0})
    assert isinstance(evaluation, EvalEvent) and evaluation.novelty == 0.75
    assert isinstance(sample, SampleEvent) and sample.novelty == 0.0


# ----- measuring, through the trainer's own functions -----
def test_a_verbatim_copy_of_the_training_text_scores_0_and_unseen_text_1() -> None:
    documents = [Document(text) for text in paragraphs(40, 7)]
    index = training_index(documents, 0.1, 3)
    trained = training_texts(documents, 0.1, 3)
    assert index is not None and len(trained) < len(documents)  # a split by documents: some are held out
    copied = trained[0].text[:60]
    assert sample_novelty(index, copied) == 0.0
    assert sample_novelty(index, UNSEEN) == 1.0
    assert novelty_field(index, copied) == {"novelty": 0.0}
    # half copied, half new: the share is of characters, and a copy shorter than DEFAULT_MIN_COPY is no copy
    assert sample_novelty(index, copied[:40] + UNSEEN) == pytest.approx(1 - 40 / 80)
    assert sample_novelty(index, copied[: DEFAULT_MIN_COPY - 1] + UNSEEN) == 1.0


def test_only_the_training_split_counts_as_copied() -> None:
    """A held-out (validation) document was never trained on: quoting it is not memorisation."""
    documents = [Document(chr(0x4E00 + number) * 30) for number in range(40)]  # no two share a character
    trained = {text.number for text in training_texts(documents, 0.1, 3)}
    held_out = next(document for number, document in enumerate(documents) if number not in trained)
    learnt = documents[min(trained)]
    index = training_index(documents, 0.1, 3)
    assert sample_novelty(index, held_out.text) == 1.0
    assert sample_novelty(index, learnt.text) == 0.0


def test_no_index_or_a_failure_gives_no_figure(monkeypatch: pytest.MonkeyPatch) -> None:
    assert sample_novelty(None, "text") is None and novelty_field(None, "text") == {}
    documents = [Document(text) for text in paragraphs(40, 7)]
    index = training_index(documents, 0.1, 3)
    assert sample_novelty(index, "") is None  # nothing sampled: nothing to judge

    def broken(*arguments: Any) -> Any:
        raise MemoryError

    monkeypatch.setattr(poet_tui.sample_novelty, "measure", broken)
    assert sample_novelty(index, "the river") is None
    monkeypatch.setattr(poet_tui.sample_novelty.OverlapIndex, "build", broken)
    assert training_index(documents, 0.1, 3) is None


# ----- a real run -----
def test_each_evaluation_reports_its_samples_novelty(prose_corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    full_length_samples(monkeypatch)
    run, reason = train(tiny_config(prose_corpus))
    assert reason == "max_steps"
    evaluations, samples = events_of(run, "eval"), events_of(run, "sample")
    assert [event["step"] for event in evaluations] == [6, 12]
    assert all(event["text"] for event in samples)
    assert all(0.0 <= event["novelty"] <= 1.0 for event in evaluations)
    assert [(event["step"], event["novelty"]) for event in samples] == [
        (event["step"], event["novelty"]) for event in evaluations
    ]
    progress = RunProgress.from_run(run)
    assert progress.novelty == evaluations[-1]["novelty"]
    assert [step for step, _ in progress.novelty_points] == [6, 12]
    shown = poet("checkpoints", "show", run.id)
    assert shown.returncode == 0, shown.stderr
    assert f"novelty {progress.novelty_summary()}" in shown.stdout and "at step 12" in shown.stdout


def test_a_failure_to_measure_drops_the_figure_and_the_run_goes_on(
    prose_corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*arguments: Any) -> Any:
        raise RuntimeError("the index is damaged")

    monkeypatch.setattr(poet_tui.sample_novelty, "measure", broken)
    run, reason = train(tiny_config(prose_corpus, max_steps=6))
    assert reason == "max_steps"
    evaluations, samples = events_of(run, "eval"), events_of(run, "sample")
    assert evaluations and samples and all("novelty" not in event for event in evaluations + samples)
    assert "novelty" not in poet("checkpoints", "show", run.id).stdout


# ----- poet train's view -----
def test_poet_train_prints_the_novelty_on_eval_lines_and_in_its_panel() -> None:
    lines = Console(file=io.StringIO(), force_terminal=False, width=200)  # not a terminal: one line an event
    with TrainingDisplay(lines) as display:
        assert display.live is None
        display.show({"event": "eval", "step": 6, "val_loss": 2.0, "novelty": 0.75})
        display.show({"event": "eval", "step": 12, "val_loss": 1.9, "novelty": "damaged"})
    printed = lines.file.getvalue().splitlines()  # type: ignore[attr-defined]
    assert "sample 75% new" in printed[0] and "new" not in printed[1]
    panel = Console(file=io.StringIO(), force_terminal=True, width=200)
    with TrainingDisplay(panel) as display:
        display.show({"event": "eval", "step": 6, "val_loss": 2.0, "novelty": 0.75})
    assert "75% at step 6" in panel.file.getvalue()  # type: ignore[attr-defined]
