"""model_size.py: the parameter count by arithmetic, the caps, and refusals that never build or allocate anything."""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

import pytest

from poet_tui.config import ModelConfig, RunConfig, TokenizerConfig
from poet_tui.errors import PoetError
from poet_tui.model_size import (
    MAX_LAYERS,
    MAX_PARAMETERS,
    MAX_VOCAB,
    MAX_WIDTH,
    cpu_available_bytes,
    model_parameter_count,
    model_size_problem,
    training_memory_bytes,
)
from tests.helpers import loaded_among, modules_loaded_by

SIZES = [(8, 8), (8, 12), (12, 8), (5, 7)]  # (embedding, hidden): equal, and different either way


@pytest.mark.parametrize(
    ("cell", "tied", "layers", "sizes", "vocab"),
    list(itertools.product(("lstm", "gru"), (False, True), (1, 2, 3), SIZES, (1, 13))),
)
def test_parameter_count_is_exactly_what_the_model_has(
    cell: str, tied: bool, layers: int, sizes: tuple[int, int], vocab: int
) -> None:
    from poet_tui.model import RNNLanguageModel

    embedding, hidden = sizes
    config = ModelConfig(vocab, cell, embedding, hidden, layers, dropout=0.1, tied=tied)
    model = RNNLanguageModel(config)
    assert model_parameter_count(config) == model.parameter_count()
    assert (model.projection is not None) == (tied and embedding != hidden)  # both branches are covered


@pytest.mark.parametrize(
    ("field", "value", "phrase"),
    [
        ("num_layers", 10**6, f"a layer count of 1000000, more than the {MAX_LAYERS} poet-tui builds"),
        ("num_layers", MAX_LAYERS + 1, f"more than the {MAX_LAYERS} poet-tui builds"),
        ("hidden_size", 10**9, f"a hidden size of 1000000000, more than the {MAX_WIDTH} poet-tui builds"),
        ("embedding_size", MAX_WIDTH + 1, "an embedding size of"),
        ("vocab_size", MAX_VOCAB + 1, "a vocabulary of"),
        ("num_layers", 0, "less than 1"),
        ("hidden_size", -5, "less than 1"),
        ("num_layers", "2", "not a whole number"),
        ("hidden_size", True, "not a whole number"),
        ("embedding_size", 64.0, "not a whole number"),
        ("vocab_size", None, "not a whole number"),
        ("num_layers", [2], "not a whole number"),
        ("cell", "transformer", "does not build"),
        ("cell", None, "does not build"),
    ],
)
def test_each_size_is_capped_and_typed_and_the_phrase_names_no_flag(field: str, value: Any, phrase: str) -> None:
    config = replace(ModelConfig(vocab_size=100), **{field: value})
    problem = model_size_problem(config)
    assert problem is not None
    assert phrase in problem
    assert "--" not in problem


def test_a_model_over_the_parameter_cap_is_refused_and_one_just_under_is_not() -> None:
    def config(hidden: int) -> ModelConfig:
        return ModelConfig(vocab_size=1000, embedding_size=64, hidden_size=hidden, num_layers=3)

    low, high = 1, MAX_WIDTH  # find the widest hidden size still under the cap
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if model_parameter_count(config(middle)) <= MAX_PARAMETERS else (low, middle - 1)
    assert model_parameter_count(config(low)) <= MAX_PARAMETERS < model_parameter_count(config(low + 1))
    assert model_size_problem(config(low)) is None
    problem = model_size_problem(config(low + 1))
    assert problem is not None
    assert problem.startswith("a model of 2.1 G parameters, more than the 2.1 G poet-tui builds")


def test_memory_for_training_is_checked_only_when_given() -> None:
    config = ModelConfig(vocab_size=100, hidden_size=256)
    needed = training_memory_bytes(model_parameter_count(config))
    assert needed >= 16 * model_parameter_count(config)  # weights, gradients and two AdamW moments at least
    assert model_size_problem(config) is None
    assert model_size_problem(config, available_bytes=needed) is None
    problem = model_size_problem(config, available_bytes=needed - 1)
    assert problem is not None and "to train, more than the" in problem and "of memory available" in problem
    assert "--" not in problem


def test_available_memory_is_read_without_torch() -> None:
    checks = (
        "from poet_tui.model_size import cpu_available_bytes, model_size_problem\n"
        "from poet_tui.config import ModelConfig\n"
        "assert cpu_available_bytes() > 0\n"
        "assert model_size_problem(ModelConfig(0, num_layers=10**6)) is not None\n"
        "assert model_size_problem(ModelConfig(0, hidden_size=10**9)) is not None\n"
    )
    assert loaded_among(modules_loaded_by("poet_tui.model_size", then=checks), "torch") == []
    assert isinstance(cpu_available_bytes(), int)


@pytest.mark.parametrize(
    ("model", "sentence"),
    [
        (
            {"hidden_size": 20000},
            "--hidden 20000 with --layers 2 makes a model of 4.8 G parameters, more than the 2.1 G poet-tui builds; "
            "choose a smaller --hidden or --layers.",
        ),
        ({"num_layers": 10**6}, "--layers must be at most 64."),
        ({"hidden_size": 10**9}, "--hidden must be at most 65536."),
        ({"embedding_size": 0}, "--embedding must be at least 1."),
        ({"embedding_size": 60000, "hidden_size": 8000}, "--embedding 60000 with --hidden 8000 and --layers 2 makes"),
    ],
)
def test_validate_refuses_huge_models_naming_the_flags(model: dict[str, Any], sentence: str) -> None:
    config = RunConfig(corpus="sonnets")
    config.model = replace(config.model, **model)
    with pytest.raises(PoetError) as refused:
        config.validate()
    assert str(refused.value).startswith(sentence)


def test_spm_vocabulary_counts_before_the_tokenizer_exists() -> None:
    config = RunConfig(corpus="sonnets", tokenizer=TokenizerConfig(kind="spm", vocab_size=MAX_VOCAB))
    config.model = replace(config.model, embedding_size=1024)
    with pytest.raises(PoetError, match=r"^--vocab-size 4194304 with --embedding 1024 makes a model of 5\.4 G"):
        config.validate()
    config.tokenizer.kind = "char"  # a char run's vocabulary is not known yet: only the layers count
    config.validate()


def test_a_known_vocabulary_counts_too() -> None:
    config = RunConfig(corpus="sonnets")
    config.model = replace(config.model, vocab_size=MAX_VOCAB, embedding_size=1024)
    with pytest.raises(PoetError, match=r"^a vocabulary of 4194304 tokens with --embedding 1024 makes a model of"):
        config.validate()


def test_validate_checks_memory_when_asked() -> None:
    config = RunConfig(corpus="sonnets")
    config.validate(available_bytes=None)
    with pytest.raises(PoetError, match=r"^--hidden 256 with --layers 2 makes a model of .* of memory available; "):
        config.validate(available_bytes=1000)
