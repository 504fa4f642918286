"""Every file read back is checked before use: a damaged or forged one is refused in one sentence naming it,
never a traceback, and one damaged run never breaks the listing of the others."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.torch import load_file, save_file

from poet_tui.checkpoint import load_model, read_metadata
from poet_tui.cli.main import main
from poet_tui.errors import PoetError
from poet_tui.events import parse_event_line
from poet_tui.generation import load_for_generation
from poet_tui.run_catalog import checkpoint_summaries
from poet_tui.runs import RunStore
from poet_tui.tokenizers import load_tokenizer
from poet_tui.train import resume, train
from tests.helpers import tiny_config

JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=8),
    ),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=6,
)


def set_path(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


METADATA_PATHS = [
    ("step",), ("format",), ("model",), ("model", "vocab_size"), ("model", "hidden_size"), ("model", "num_layers"),
    ("model", "embedding_size"), ("model", "cell"), ("model", "dropout"), ("model", "tied"), ("val_loss",),
    ("val_bpc",), ("parameters",), ("has_training_state",), ("training",), ("training", "progress"),
    ("training", "progress", "step"), ("training", "progress", "offset"), ("training", "progress", "lr_scale"),
    ("training", "progress", "best_validation_loss"), ("training", "optimizer_groups"), ("vocab_size",),
]  # fmt: skip


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(METADATA_PATHS), value=JSON_VALUES)
def test_damaged_metadata_is_refused_in_a_sentence_or_is_harmless(
    trained_run, pristine_run: Path, path: tuple[str, ...], value: Any
) -> None:
    files = trained_run.checkpoint("latest")
    metadata = json.loads((pristine_run / "checkpoints" / "latest.json").read_text())  # each example from whole
    set_path(metadata, path, value)
    files.metadata.write_text(json.dumps(metadata))
    try:
        load_model(files)
    except PoetError as error:
        assert str(files.metadata) in str(error) or str(files.weights) in str(error)
    summaries = checkpoint_summaries(RunStore().list())  # listing never raises
    assert {summary.stem for summary in summaries} >= {"best", "latest"}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('{"step": "abc", "model": {}}', "step should be a whole number"),
        ('{"format": null, "step": 1, "model": {"vocab_size": 5}}', "format should be a whole number"),
        ("[" * 100_000 + "]" * 100_000, "nested"),
        ('{"step": NaN, "model": {}}', "not valid JSON"),
        ('{"step": 1e999, "model": {}}', "whole number"),
        ('{"step": 1}', "no step or model"),
        ('{"step": 1, "model": {"vocab_size": 5, "num_layers": 1000000}}', "more than"),
        ('{"step": 1, "model": {"vocab_size": 5, "hidden_size": 1000000000}}', "more than"),
        ('{"step": 1, "model": {"vocab_size": 5, "evil": 1}}', "does not know"),
        ("\xff\xfe", "not UTF-8"),
    ],
)
def test_specific_damage_gets_one_sentence_naming_the_file(trained_run, text: str, fragment: str, capsys) -> None:
    files = trained_run.checkpoint("best")
    files.metadata.write_bytes(text.encode("latin-1") if text == "\xff\xfe" else text.encode())
    with pytest.raises(PoetError, match=fragment):
        read_metadata(files)
    assert main(["generate", trained_run.id, "--length", "3"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and str(files.metadata) in error
    assert main(["checkpoints", "list"]) == 0
    assert "damaged" in capsys.readouterr().out


@pytest.mark.parametrize(
    "tokens",
    [["<eod>", "a", "a"], ["<eod>", None], ["<eod>", 3], ["a", "b"], "abc", ["<eod>", "ab"], ["<eod>", ""]],
)
def test_a_damaged_tokenizer_is_refused(trained_run, tokens: Any, capsys) -> None:
    path = trained_run.directory / "tokenizer.json"
    payload = json.loads(path.read_text())
    payload["tokens"] = tokens
    path.write_text(json.dumps(payload))
    with pytest.raises(PoetError, match=r"tokenizer\.json is damaged"):
        load_tokenizer(trained_run.directory)
    assert main(["generate", trained_run.id]) == 2
    assert "tokenizer.json is damaged" in capsys.readouterr().err


@pytest.mark.parametrize(
    "damage",
    ["optimizer shape", "rng dtype", "rnn state shape", "unknown tensor", "loss vector"],
)
def test_a_forged_training_state_is_refused_before_it_is_used(trained_run, damage: str) -> None:
    path = trained_run.checkpoints_dir / "latest.optim.safetensors"
    tensors = load_file(path)
    if damage == "optimizer shape":
        key = next(key for key in tensors if key.endswith("exp_avg"))
        tensors[key] = torch.zeros(3, 3)
    elif damage == "rng dtype":
        tensors["rng.cpu"] = tensors["rng.cpu"].float()
    elif damage == "rnn state shape":
        tensors["rnn_state.hidden"] = torch.zeros(1, 1, 1)
    elif damage == "unknown tensor":
        tensors["evil"] = torch.zeros(1)
    else:
        tensors["loss_sum"] = torch.zeros(4)
    step = json.loads((trained_run.checkpoints_dir / "latest.json").read_text())["step"]
    save_file(tensors, path, metadata={"format": "1", "step": str(step)})
    with pytest.raises(PoetError, match=r"latest\.optim\.safetensors is damaged"):
        resume(trained_run, budget_overrides={"max_steps": 6})


def test_weights_smaller_than_the_metadata_claims_are_refused_before_building(trained_run) -> None:
    """Metadata may describe a model of a billion parameters; the weights file decides what is allocated."""
    files = trained_run.checkpoint("best")
    metadata = json.loads(files.metadata.read_text())
    metadata["model"]["hidden_size"] = 2_000
    files.metadata.write_text(json.dumps(metadata))
    with pytest.raises(PoetError, match="does not fit the model its metadata describes"):
        load_model(files)


@pytest.mark.parametrize(
    "toml",
    [
        "corpus = 3\n",
        'corpus = "x"\n[model]\nnum_layers = 1000000\nvocab_size = 5\n',
        'corpus = "x"\n[model]\nhidden_size = "wide"\n',
        'corpus = "x"\n[training]\nlearning_rate = nan\n',
        'corpus = "x"\n[training]\nbatch_size = true\n',
        'corpus = "x"\nseed = -1\n',
        'corpus = "x"\n[tokenizer]\nkind = "bytes"\n',
        "not toml at all [[[",
        'corpus = "x"\nmodel = 3\n',
    ],
)
def test_a_damaged_run_toml_is_refused_and_listed_as_damaged(trained_run, toml: str, capsys) -> None:
    trained_run.config_path.write_text(toml)
    with pytest.raises(PoetError, match=r"run\.toml"):
        trained_run.config()
    assert main(["train", "--resume", trained_run.id, "--max-steps", "6", "--jsonl"]) == 2
    assert "run.toml" in capsys.readouterr().err
    assert main(["checkpoints", "list"]) == 0
    assert "damaged" in capsys.readouterr().out


EVENT_FIELDS = st.sampled_from(["step", "val_loss", "val_bpc", "loss", "text", "config", "mem", "message", "best"])


@settings(max_examples=200, deadline=None)
@given(kind=st.sampled_from(["start", "step", "eval", "sample", "done", "error", "notice", "checkpoint"]),
       field=EVENT_FIELDS, value=JSON_VALUES)  # fmt: skip
def test_an_event_line_is_either_well_typed_or_skipped(kind: str, field: str, value: Any) -> None:
    line = json.dumps({"event": kind, "step": 3, "val_loss": 1.0, "message": "m", field: value})
    event = parse_event_line(line)
    used = {"step": ("step", "loss"), "eval": ("step", "val_loss", "val_bpc")}  # numbers the readers fold
    if event is not None and field in used.get(kind, ()):
        number = event.get(field)
        assert number is None or (isinstance(number, int | float) and not isinstance(number, bool))
        assert number is None or math.isfinite(number)


def test_damaged_events_never_break_show(trained_run, capsys) -> None:
    with open(trained_run.metrics_path, "a") as log:
        log.write('{"event":"eval","step":"x","val_loss":"y"}\n{"event":"eval","step":9,"val_loss":NaN}\n')
        log.write('{"event":"step","step":5,"loss":1e999}\n' + "[" * 10_000 + "\n")
    assert main(["checkpoints", "show", trained_run.id]) == 0


def test_one_damaged_run_never_hides_the_others(trained_run, tiny_corpus: Path, capsys) -> None:
    (trained_run.checkpoints_dir / "best.json").write_text("{")
    (trained_run.checkpoints_dir / "latest.json").write_text('{"step": -1, "model": {}}')
    healthy, _ = train(tiny_config(tiny_corpus, max_steps=2, eval_every_steps=2))
    assert main(["checkpoints", "list"]) == 0
    listing = capsys.readouterr().out
    damaged_rows = [line for line in listing.splitlines() if trained_run.id in line and "damaged" in line]
    assert len(damaged_rows) == 2 and healthy.id in listing
    assert load_for_generation(healthy.id).checkpoint.stem == "best"
