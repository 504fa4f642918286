"""One declaration per option: the table alone drives `poet train --help`, the Train form, run.toml and
validation, and the command line and the form start a run with the same settings when nothing is changed."""

from __future__ import annotations

import argparse
import dataclasses
import re
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from rich.cells import cell_len

from poet_tui.cli.main import ArgumentParser
from poet_tui.cli.train_arguments import add_train_arguments, config_from_arguments
from poet_tui.config import RunConfig, save_run_config
from poet_tui.errors import PoetError
from poet_tui.options import OPTIONS, Option, budget_options, flagged
from poet_tui.training_child import resume_flags
from tests.helpers.pilot import run_train_form

if TYPE_CHECKING:
    from textual.pilot import Pilot

    from poet_tui.app.train_form import TrainForm

FAKE = Option(
    "training", "fake_knob", "int", 7, "a knob no engine reads yet", "--fake-knob", "fake knob",
    words="fake knob", low=1, high=9,
)  # fmt: skip
TABLE = (*OPTIONS, FAKE)


def parser_for(options: tuple[Option, ...]) -> argparse.ArgumentParser:
    parser = ArgumentParser(prog="poet train")
    add_train_arguments(parser, options)
    return parser


def test_a_new_option_in_the_table_reaches_help_flags_run_toml_and_validation(tmp_path: Path) -> None:
    parser = parser_for(TABLE)
    help_text = " ".join(parser.format_help().split())
    assert "--fake-knob FAKE_KNOB a knob no engine reads yet (default: 7)" in help_text

    # Not given: the default lands in run.toml; given: the value does, and reads back.
    config = config_from_arguments(parser.parse_args(["--corpus", "sonnets"]), TABLE)
    assert config.setting(FAKE) == 7
    config = config_from_arguments(parser.parse_args(["--corpus", "sonnets", "--fake-knob", "3"]), TABLE)
    save_run_config(config, tmp_path / "run.toml", TABLE)
    written = tomllib.loads((tmp_path / "run.toml").read_text())
    assert written["training"]["fake_knob"] == 3
    assert RunConfig.from_dict(written, TABLE).setting(FAKE) == 3

    # Validation names it by its flag on the command line …
    with pytest.raises(PoetError, match=r"^--fake-knob must be at most 9\.$"):
        config_from_arguments(parser.parse_args(["--corpus", "sonnets", "--fake-knob", "12"]), TABLE)
    # … and the child's flags carry it.
    assert "--fake-knob=3" in config.to_argv(TABLE)
    assert config_from_arguments(parser.parse_args(config.to_argv(TABLE)), TABLE) == config

    # The real table is untouched: the fake option exists only in the copy.
    assert "--fake-knob" not in parser_for(OPTIONS).format_help()


def test_a_new_option_in_the_table_gets_a_form_field_checked_in_form_words() -> None:
    from textual.widgets import Input

    async def script(form: TrainForm, pilot: Pilot[Any]) -> None:
        form.corpus = "shakespeare-sonnets"
        field = form.query_one("#field-fake_knob", Input)
        assert field.value == "7"
        field.value = "12"
        await pilot.pause()
        assert form.shown_error == "Fake knob must be at most 9."
        field.value = "4"
        await pilot.pause()
        assert form.shown_error is None
        assert form.config().setting(FAKE) == 4

    run_train_form(script, TABLE)


def test_the_form_and_the_command_line_start_the_same_run_when_nothing_is_changed() -> None:
    """The form's untouched fields (it opens on `auto`) and `poet train --corpus X --preset auto` give one config,
    and the same child flags."""

    async def script(form: TrainForm, pilot: Pilot[Any]) -> RunConfig:
        form.corpus = "shakespeare-sonnets"
        await pilot.pause()
        return form.config()

    from_form = run_train_form(script)
    arguments = parser_for(OPTIONS).parse_args(["--corpus", "shakespeare-sonnets", "--preset", "auto"])
    from_flags = config_from_arguments(arguments)
    assert from_form == from_flags != RunConfig(corpus="shakespeare-sonnets")  # auto sized it
    assert from_form.to_argv() == from_flags.to_argv()


def test_every_form_label_fits_the_forms_label_column() -> None:
    """A label wider than its grid column wraps onto a second line and misaligns the row beside it."""
    stylesheet = (Path(__file__).parents[1] / "poet_tui" / "app" / "poet.tcss").read_text(encoding="utf-8")
    widths = {int(width) for width in re.findall(r"\.form-grid[^{]*\{[^}]*grid-columns:\s*(\d+)\s", stylesheet)}
    assert widths, "the form's grid no longer names its label column's width"
    too_wide = [(item.name, item.form_label) for item in flagged(OPTIONS) if cell_len(item.form_label) > min(widths)]
    assert not too_wide, f"labels wider than {min(widths)} cells: {too_wide}"


def test_every_form_field_is_a_flag_and_every_flag_a_form_field() -> None:
    async def script(form: TrainForm, pilot: Pilot[Any]) -> set[str]:
        return {str(widget.id).removeprefix("field-") for widget in form.query("Input, Select") if widget.id}

    fields = run_train_form(script)
    assert fields == {item.dest for item in flagged()} | {"preset"}


@pytest.mark.parametrize(
    "flags",
    [
        ["--corpus", "-a name that looks like a flag"],
        ["--corpus", "x", "--batch-size", "auto", "--tied", "--lr", "1e-05", "--patience", "3", "--max-minutes", "0.5"],
        ["--corpus", "x", "--preset", "word-gpu", "--no-tied", "--tokenizer", "spm", "--vocab-size", "400"],
        ["--corpus=x y", "--random-windows", "--schedule", "plateau", "--eval-every-seconds", "2.5", "--seed", "0"],
    ],
)
def test_the_childs_flags_rebuild_exactly_the_config(flags: list[str]) -> None:
    parser = parser_for(OPTIONS)
    config = config_from_arguments(parser.parse_args(flags))
    assert config_from_arguments(parser.parse_args(config.to_argv())) == config


def test_a_preset_is_applied_in_one_place_and_flags_win() -> None:
    parser = parser_for(OPTIONS)
    config = config_from_arguments(parser.parse_args(["--corpus", "x", "--preset", "word-gpu", "--hidden", "64"]))
    expected = RunConfig(corpus="x")
    expected.apply_preset("word-gpu")
    expected.model.hidden_size = 64
    assert config == expected and config.model.tied


def test_resume_flags_carry_only_the_budget() -> None:
    parser = parser_for(OPTIONS)
    flags = resume_flags("-odd-run", {"max_steps": 10, "max_minutes": 1.5})
    arguments = parser.parse_args(flags)
    assert arguments.resume == "-odd-run" and arguments.max_steps == 10 and arguments.max_minutes == 1.5
    assert {item.name for item in budget_options()} == {"max_steps", "max_minutes", "epochs"}


def test_optional_settings_default_to_unset() -> None:
    """The child's flags leave unset values out, which is only exact if 'unset' is every optional default."""
    for item in OPTIONS:
        if item.optional:
            assert item.default is None, item.key


def test_a_config_field_changed_to_a_wrong_type_is_named_in_run_toml_words() -> None:
    config = dataclasses.replace(RunConfig(corpus="x"))
    config.training.auto_batch_size = "yes"  # type: ignore[assignment]
    with pytest.raises(PoetError, match=r"^\[training\] auto_batch_size must be true or false"):
        config.validate()
