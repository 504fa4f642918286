"""`--preset auto`: a row per time budget and corpus size, under whatever flags the user gives."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from poet_tui.budget_presets import CPU_ROWS, SMALL_CORPUS_DROPOUT, auto_settings, corpus_characters_estimate
from poet_tui.cli import train_arguments
from poet_tui.cli.main import build_parser
from poet_tui.cli.train_arguments import config_from_arguments
from poet_tui.options import DEFAULT_BUDGET_MINUTES, option
from poet_tui.presets import PRESETS

BIG = 5_000_000


def test_rows_cover_every_budget_and_grow_with_it() -> None:
    assert CPU_ROWS[-1].up_to_minutes == math.inf
    assert [row.up_to_minutes for row in CPU_ROWS] == sorted(row.up_to_minutes for row in CPU_ROWS)
    widths = [row.settings["model.hidden_size"] for row in CPU_ROWS]
    assert widths == sorted(widths) and widths[0] < widths[-1]  # small and fast for a minute, larger for ten
    for row in CPU_ROWS:
        for key, value in row.settings.items():
            assert option(key).problem(value) is None, (row.label, key)


def test_the_budget_picks_the_row() -> None:
    one_minute = auto_settings(1.0, BIG, "cpu").settings
    ten_minutes = auto_settings(10.0, BIG, "cpu").settings
    assert one_minute == CPU_ROWS[0].settings
    assert ten_minutes["model.hidden_size"] > one_minute["model.hidden_size"]
    assert auto_settings(None, BIG, "cpu").settings == auto_settings(DEFAULT_BUDGET_MINUTES, BIG, "cpu").settings


def test_a_small_corpus_gets_more_dropout_and_the_sentence_says_why() -> None:
    choice = auto_settings(10.0, 90_000, "cpu")
    assert choice.settings["model.dropout"] == SMALL_CORPUS_DROPOUT
    assert "90,000 characters" in choice.sentence and "small corpus" in choice.sentence
    assert "unknown-size" in auto_settings(10.0, None, "cpu").sentence


def test_a_gpu_gets_the_gpu_preset() -> None:
    assert auto_settings(1.0, BIG, "cuda").settings == PRESETS["char-gpu"]


def test_corpus_size_is_estimated_without_reading_it(tmp_path: Path) -> None:
    text = tmp_path / "poems.txt"
    text.write_text("x" * 1234, encoding="utf-8")
    assert corpus_characters_estimate(str(text)) == 1234
    assert corpus_characters_estimate(str(tmp_path / "missing.txt")) is None
    assert corpus_characters_estimate("shakespeare-sonnets") == 94_346  # the bundled manifest's count


def arguments(*flags: str):
    return build_parser().parse_args(["train", *flags])


def test_cli_auto_sizes_for_the_budget_and_flags_still_win(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(train_arguments, "training_device", lambda device, ask_torch=True: "cpu")
    corpus = tmp_path / "big.txt"
    corpus.write_text("a rose\n" * 200_000, encoding="utf-8")
    short = arguments("--corpus", str(corpus), "--preset", "auto", "--max-minutes", "1", "--device", "cpu")
    config = config_from_arguments(short)
    assert config.model.hidden_size == CPU_ROWS[0].settings["model.hidden_size"]
    assert "1 minutes" in short.auto_sentence
    long = config_from_arguments(arguments("--corpus", str(corpus), "--preset", "auto", "--max-minutes", "30"))
    assert long.model.hidden_size == CPU_ROWS[-1].settings["model.hidden_size"]
    mine = config_from_arguments(
        arguments("--corpus", str(corpus), "--preset", "auto", "--max-minutes", "30", "--hidden", "96")
    )
    assert (
        mine.model.hidden_size == 96 and mine.training.learning_rate == CPU_ROWS[-1].settings["training.learning_rate"]
    )
