"""Form statistics of a run: the share of its training poems in each form goes into the start event and every
checkpoint, each evaluation measures the share of unconstrained samples in the corpus's dominant forms, and a
damaged figure in a log or a checkpoint reads as absent, never as a reason to refuse the line or the file."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import poet_tui.form_adherence
from poet_tui.checkpoint import read_metadata
from poet_tui.event_types import EvalEvent, StartEvent, parse_event
from poet_tui.form_adherence import ADHERENCE_SAMPLES, corpus_forms, form_adherence, in_any_form
from poet_tui.forms import FORMS, satisfies
from poet_tui.run_progress import RunProgress
from poet_tui.runs import Run
from poet_tui.train import train
from tests.helpers import events_of, poet, tiny_config
from tests.test_forms import untrained_model

CJK = [chr(0x4E00 + 37 * index) for index in range(30)]
PROSE = "the river ran past the mill and the miller counted his sacks of grain before the rain came"


def wujue(rng: random.Random) -> str:
    """Four verses of five random CJK characters, one couplet a line: always a wujue."""
    verses = ["".join(rng.choice(CJK) for _ in range(5)) for _ in range(4)]
    return f"{verses[0]}，{verses[1]}。\n{verses[2]}，{verses[3]}。"


def write_corpus(path: Path, poems: list[str]) -> Path:
    path.write_text("\n\n\n".join(poems) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def wujue_corpus(tmp_path: Path) -> Path:
    rng = random.Random(11)
    return write_corpus(tmp_path / "wujue.txt", [wujue(rng) for _ in range(40)])


@pytest.fixture
def prose_corpus(tmp_path: Path) -> Path:
    """Paragraphs of one line each: English text in none of the known forms."""
    rng = random.Random(5)
    words = PROSE.split()
    return write_corpus(tmp_path / "prose.txt", [" ".join(rng.choices(words, k=30)) + "." for _ in range(40)])


# ----- reading the figures back -----
def start_line(**fields: Any) -> dict[str, Any]:
    return {"event": "start", "run": "r", **fields}


def test_a_start_event_carries_the_corpus_forms_largest_first() -> None:
    event = parse_event(start_line(forms={"qijue": 0.19, "wulv": 0.27, "villanelle": 0.5}))
    assert isinstance(event, StartEvent)
    assert list(event.forms.items()) == [("wulv", 0.27), ("qijue", 0.19)]  # a form this version lacks is left out
    assert parse_event(start_line()) == StartEvent(run="r")  # an old log has none: no form is known


@pytest.mark.parametrize(
    "forms",
    [{"wulv": 1.5}, {"wulv": -0.1}, {"wulv": math.nan}, {"wulv": "27%"}, {"wulv": True}, ["wulv"], "wulv", None],
)
def test_damaged_forms_in_a_start_event_read_as_absent(forms: Any) -> None:
    event = parse_event(start_line(forms=forms, device="cpu"))
    assert isinstance(event, StartEvent) and event.forms == {} and event.device == "cpu"


@pytest.mark.parametrize("value", [1.5, -0.25, math.inf, math.nan, "0.5", True, [0.5]])
def test_a_damaged_form_adherence_is_ignored_and_the_evaluation_kept(value: Any) -> None:
    event = parse_event({"event": "eval", "step": 6, "val_loss": 2.0, "form_adherence": value})
    assert event == EvalEvent(step=6, val_loss=2.0)
    kept = parse_event({"event": "eval", "step": 6, "val_loss": 2.0, "form_adherence": 0.25})
    assert isinstance(kept, EvalEvent) and kept.form_adherence == 0.25


# ----- measuring -----
@pytest.mark.parametrize(
    "text",
    [
        "春眠不觉晓，处处闻啼鸟。\n夜来风雨声，花落知多少。",
        "\n\n  春眠不觉晓，处处闻啼鸟。\n夜来风雨声，花落知多少。\n\n",
        "春眠不觉晓，处处闻啼鸟。\n夜来风雨声，花落知多少。\n又",
        "春眠不觉晓，处处闻啼鸟。\n夜来风雨声，",
        "春眠不觉晓，处处闻啼鸟。 \n夜来风雨声，花落知多少。",
        "One line\nTwo lines\nThree lines\nFour lines\n",
        "One line\nTwo lines\n\nThree lines\nFour lines",
        "",
        "   ",
    ],
)
def test_reading_pieces_as_far_as_needed_agrees_with_satisfies(text: str) -> None:
    forms = [FORMS["wujue"], FORMS["quatrain"]]
    expected = any(satisfies(text.strip(), form) for form in forms)
    assert in_any_form(iter(text), forms) == expected
    assert in_any_form([text[:7], text[7:]], forms) == expected


def test_reading_stops_once_the_text_has_left_every_form() -> None:
    read = []

    def pieces() -> Iterator[str]:
        for character in "abc\n" * 1000:
            read.append(character)
            yield character

    assert not in_any_form(pieces(), [FORMS["wujue"]])
    assert len(read) == 1


def scored(monkeypatch: pytest.MonkeyPatch, write: Any) -> float | None:
    """form_adherence with a stand-in sampler that writes `write(seed)`, or raises what `write` raises."""
    model, tokenizer = untrained_model(seed=1)

    def fake(model: Any, tokenizer: Any, prompt: str, settings: Any) -> Iterator[str]:
        assert prompt == "" and settings.stop_at_end_of_poem
        yield write(settings.seed)

    monkeypatch.setattr(poet_tui.form_adherence, "stream_completion", fake)
    return form_adherence(model, tokenizer, ["wujue", "qijue"], run_seed=3, step=6)


def test_adherence_is_the_share_of_samples_in_a_dominant_form(monkeypatch: pytest.MonkeyPatch) -> None:
    poem = "春眠不觉晓，处处闻啼鸟。\n夜来风雨声，花落知多少。"
    seeds: list[int] = []
    assert scored(monkeypatch, lambda seed: seeds.append(seed) or poem + "\n") == 1.0
    assert len(set(seeds)) == ADHERENCE_SAMPLES
    halves = iter([poem, "garbage"] * ADHERENCE_SAMPLES)
    assert scored(monkeypatch, lambda seed: next(halves)) == 0.5
    assert scored(monkeypatch, lambda seed: "\x00\ufffd" * 50) == 0.0

    def broken(seed: int) -> str:
        raise RuntimeError("the sampler broke")

    assert scored(monkeypatch, broken) is None  # no figure, and the run goes on


def test_the_measure_is_reproducible_and_needs_a_form() -> None:
    model, tokenizer = untrained_model(seed=2)
    first = form_adherence(model, tokenizer, ["wujue", "quatrain"], run_seed=3, step=12)
    assert first is not None and 0.0 <= first <= 1.0 and (first * ADHERENCE_SAMPLES).is_integer()
    assert form_adherence(model, tokenizer, ["wujue", "quatrain"], run_seed=3, step=12) == first
    assert form_adherence(model, tokenizer, [], run_seed=3, step=12) is None


def test_a_huge_corpus_is_counted_evenly_not_by_its_first_poems(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(poet_tui.form_adherence, "CORPUS_FORM_LIMIT", 10)
    rng = random.Random(3)
    poems = [wujue(rng) for _ in range(50)] + ["plain prose, one line."] * 50
    assert corpus_forms(poems) == {"wujue": 0.5}


# ----- a real run -----
def test_a_run_on_regulated_verse_reports_its_forms_and_adherence(wujue_corpus: Path) -> None:
    run, reason = train(tiny_config(wujue_corpus))
    assert reason == "max_steps"
    (start,) = events_of(run, "start")
    assert "wujue" in start["forms"] and start["forms"]["wujue"] == 1.0
    evaluations = events_of(run, "eval")
    assert [event["step"] for event in evaluations] == [6, 12]
    assert all(0.0 <= event["form_adherence"] <= 1.0 for event in evaluations)
    for stem in ("latest", "best"):
        files = run.checkpoint(stem)
        assert files is not None and read_metadata(files)["forms"] == {"wujue": 1.0}
    progress = RunProgress.from_run(run)
    assert progress.forms == {"wujue": 1.0} and progress.dominant_forms == ["wujue"]
    assert progress.form_adherence == evaluations[-1]["form_adherence"]
    assert [step for step, _ in progress.adherence_points] == [6, 12]
    shown = poet("checkpoints", "show", run.id)
    assert shown.returncode == 0, shown.stderr
    assert f"form adherence {progress.adherence_summary()}" in shown.stdout
    assert "(wujue) at step 12" in shown.stdout


def test_a_run_on_prose_has_no_forms_and_no_adherence(prose_corpus: Path) -> None:
    run, _ = train(tiny_config(prose_corpus))
    (start,) = events_of(run, "start")
    assert start["forms"] == {}
    evaluations = events_of(run, "eval")
    assert evaluations and all("form_adherence" not in event for event in evaluations)
    files = run.checkpoint("latest")
    assert files is not None and read_metadata(files)["forms"] == {}
    assert "form adherence" not in poet("checkpoints", "show", run.id).stdout


def damage_forms(run: Run, stem: str, forms: Any) -> None:
    files = run.checkpoint(stem)
    assert files is not None
    metadata = json.loads(files.metadata.read_text(encoding="utf-8"))
    metadata["forms"] = forms
    files.metadata.write_text(json.dumps(metadata), encoding="utf-8")


def test_damaged_forms_in_a_checkpoint_read_as_absent(trained_run: Run) -> None:
    files = trained_run.checkpoint("latest")
    assert files is not None
    for forms in ({"wujue": 2.0}, {"wujue": "most"}, [1, 2], "wujue"):
        damage_forms(trained_run, "latest", forms)
        metadata = read_metadata(files)
        assert "forms" not in metadata and metadata["step"] > 0
    damage_forms(trained_run, "latest", {"quatrain": 0.25, "villanelle": 0.5, "sonnet": 0.5})
    assert list(read_metadata(files)["forms"].items()) == [("sonnet", 0.5), ("quatrain", 0.25)]
