"""Every flag of `poet train` and `poet generate` is checked before anything happens: a bad value is one `poet:`
line, exit code 2, no traceback, and no run directory. run.toml values of the wrong type are PoetErrors too."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from poet_tui.cli.main import main
from poet_tui.config import ModelConfig, RunConfig, TokenizerConfig, TrainingConfig, load_run_config
from poet_tui.errors import PoetError
from poet_tui.options import OPTIONS, Option, flagged

# Small and short, so a bad value that slipped through would fail fast instead of training for ten minutes.
BASE_FLAGS = [
    "--device", "cpu", "--tokenizer", "char", "--embedding", "8", "--hidden", "8", "--layers", "1",
    "--batch-size", "2", "--bptt", "8", "--max-steps", "1", "--eval-every", "1000",
]  # fmt: skip
HUGE = "9" * 40
BAD_TRAIN_VALUES: dict[str, list[tuple[list[str], str]]] = {
    "tokenizer": [(["bpe"], "invalid choice")],
    "vocab_size": [
        (["100", "--tokenizer", "spm"], "--vocab-size must be at least 320 for spm"),
        (["0"], "--vocab-size must be at least 1."),
        (["5000000"], "--vocab-size must be at most 4194304."),
        (["1e3"], "invalid int value"),
    ],
    "spm_model": [(["wordpiece"], "invalid choice")],
    "min_count": [(["0"], "--min-count must be at least 1."), (["-1"], "--min-count must be at least 1.")],
    "cell": [(["rnn"], "invalid choice")],
    "layers": [
        (["0"], "--layers must be at least 1."),
        (["-0"], "--layers must be at least 1."),
        (["1000000"], "--layers must be at most 64."),
        ([HUGE], "--layers must be at most 64."),
        (["9" * 5000], "invalid int value: '999"),
        ([""], "invalid int value"),
        (["0x10"], "invalid int value"),
        (["2.5"], "invalid int value"),
    ],
    "hidden": [
        (["0"], "--hidden must be at least 1."),
        (["1000000000"], "--hidden must be at most 65536."),
        (["30000"], "--hidden 30000 with --layers 1 makes a model of"),
    ],
    "embedding": [(["0"], "--embedding must be at least 1."), (["100000"], "--embedding must be at most 65536.")],
    "dropout": [
        (["nan"], "--dropout must be a finite number, not nan."),
        (["inf"], "--dropout must be a finite number, not inf."),
        (["1e309"], "--dropout must be a finite number, not inf."),
        (["-0.1"], "--dropout must be in [0, 1)."),
        (["1"], "--dropout must be in [0, 1)."),
    ],
    "tied": [(["--tied=yes"], "ignored explicit argument")],
    "batch_size": [
        (["0"], "--batch-size must be at least 1."),
        (["-1"], "--batch-size must be at least 1."),
        (["1000000"], "--batch-size must be at most 65536."),
        (["big"], "must be a whole number or 'auto'"),
        (["nan"], "must be a whole number or 'auto'"),
    ],
    "bptt": [(["0"], "--bptt must be at least 1."), (["100000"], "--bptt must be at most 65536.")],
    "random_windows": [(["--random-windows=1"], "ignored explicit argument")],
    "hold_unseen_tokens": [(["--hold-unseen-tokens=3"], "ignored explicit argument")],
    "lr": [
        (["0"], "--lr must be positive."),
        (["-0"], "--lr must be positive."),
        (["-1"], "--lr must be positive."),
        (["nan"], "--lr must be a finite number, not nan."),
        (["inf"], "--lr must be a finite number, not inf."),
        (["--lr=-inf"], "--lr must be a finite number, not -inf."),
        (["1e309"], "--lr must be a finite number, not inf."),
        (["1" * 400], "--lr must be a finite number, not inf."),
    ],
    "weight_decay": [
        (["nan"], "--weight-decay must be a finite number, not nan."),
        (["-1"], "--weight-decay must be 0 or more."),
        (["inf"], "--weight-decay must be a finite number, not inf."),
    ],
    "grad_clip": [(["-1"], "--grad-clip must be zero (off) or positive."), (["nan"], "--grad-clip must be a finite")],
    "warmup": [(["-1"], "--warmup must be 0 or more."), (["1.5"], "invalid int value")],
    "schedule": [(["linear"], "invalid choice")],
    "max_steps": [
        (["0"], "--max-steps must be at least 1."),
        (["-1"], "--max-steps must be at least 1."),
        (["nan"], "invalid int value"),
        ([str(2**63)], "--max-steps must be at most 9223372036854775807."),
    ],
    "max_minutes": [
        (["0"], "--max-minutes must be positive."),
        (["-1"], "--max-minutes must be positive."),
        (["nan"], "--max-minutes must be a finite number, not nan."),
        (["inf"], "--max-minutes must be a finite number, not inf."),
    ],
    "epochs": [
        (["0"], "--epochs must be positive."),
        (["-1"], "--epochs must be positive."),
        (["nan"], "--epochs must be a finite number, not nan."),
        (["inf"], "--epochs must be a finite number, not inf."),
    ],
    "eval_every": [(["0"], "--eval-every must be at least 1.")],
    "eval_every_seconds": [
        (["0"], "--eval-every-seconds must be positive."),
        (["-1"], "--eval-every-seconds must be positive."),
        (["nan"], "--eval-every-seconds must be a finite number, not nan."),
        (["inf"], "--eval-every-seconds must be a finite number, not inf."),
    ],
    "patience": [(["0"], "--patience must be at least 1."), (["-1"], "--patience must be at least 1.")],
    "checkpoint_every": [(["0"], "--checkpoint-every must be at least 1."), (["-5"], "--checkpoint-every must be")],
    "log_every": [(["0"], "--log-every must be at least 1."), (["-1"], "--log-every must be at least 1.")],
    "sample_length": [
        (["0"], "--sample-length must be at least 1."),
        (["2000000"], "--sample-length must be at most 1000000."),
    ],
    "val_fraction": [
        (["0"], "--val-fraction must be between 0 and 1."),
        (["1"], "--val-fraction must be between 0 and 1."),
        (["-0.5"], "--val-fraction must be between 0 and 1."),
        (["nan"], "--val-fraction must be a finite number, not nan."),
    ],
    "min_lr_ratio": [
        (["-0.1"], "--min-lr-ratio must be between 0 and 1."),
        (["1.5"], "--min-lr-ratio must be between 0 and 1."),
        (["nan"], "--min-lr-ratio must be a finite number, not nan."),
    ],
    "device": [(["tpu"], "invalid choice")],
    "precision": [(["fp16"], "invalid choice")],
    "threads": [
        (["0"], "--threads must be at least 1."),
        (["2000"], "--threads must be at most 1024."),
        (["two"], "invalid int value"),
    ],
    "seed": [
        (["-1"], "--seed must be between 0 and 2**63 - 1 (9223372036854775807)."),
        ([str(2**63)], "--seed must be between 0 and 2**63 - 1"),
        ([str(2**64)], "--seed must be between 0 and 2**63 - 1"),
        (["1.5"], "invalid int value"),
    ],
    "preset": [(["huge"], "invalid choice")],
}
TRAIN_CASES = [
    pytest.param(flag, values, fragment, id=f"{flag}={values[0][:12]}")
    for flag, cases in BAD_TRAIN_VALUES.items()
    for values, fragment in cases
]


def assert_refused(code: int, capsys: pytest.CaptureFixture[str], poet_home: Path, fragment: str) -> tuple[str, str]:
    """Exit code 2, one `poet:` line on stderr holding the fragment, no traceback, no run directory."""
    captured = capsys.readouterr()
    assert code == 2, captured
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("poet: "), captured.err
    assert "Traceback" not in captured.err
    assert fragment in lines[0], lines[0]
    runs = poet_home / "runs"
    assert not runs.exists() or not any(runs.iterdir())
    return captured.out, lines[0]


def test_every_flag_has_bad_values_tested() -> None:
    assert set(BAD_TRAIN_VALUES) == {*(item.dest for item in flagged() if item.key != "corpus"), "preset"}


def test_every_typed_setting_of_a_run_has_an_option_and_its_default() -> None:
    """validate() checks each field of run.toml, and each field's default is the table's: one source of both."""
    expected = {
        ("", item.name)
        for item in fields(RunConfig)
        if item.name not in ("tokenizer", "model", "training", "other_settings")
    }
    sections = {"tokenizer": TokenizerConfig, "model": ModelConfig, "training": TrainingConfig}
    for section, section_class in sections.items():
        expected |= {(section, item.name) for item in fields(section_class)}
    assert {(item.section, item.name) for item in OPTIONS} == expected
    config = RunConfig(corpus="")
    for item in OPTIONS:
        if item.key != "corpus":
            assert config.setting(item) == item.default, item.key


@pytest.mark.parametrize("jsonl", [False, True], ids=["display", "jsonl"])
@pytest.mark.parametrize(("flag", "values", "fragment"), TRAIN_CASES)
def test_bad_train_flags_are_refused_before_anything_is_created(
    flag: str,
    values: list[str],
    fragment: str,
    jsonl: bool,
    tiny_corpus: Path,
    poet_home: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    given = values if values[0].startswith("--") else ["--" + flag.replace("_", "-"), *values]
    arguments = ["train", "--corpus", str(tiny_corpus), *BASE_FLAGS, *given, *(["--jsonl"] if jsonl else [])]
    output, line = assert_refused(main(arguments), capsys, poet_home, fragment)
    if jsonl and "--help" not in line:  # past argparse's own refusals: an error event on stdout too
        events = [json.loads(line) for line in output.splitlines()]
        assert events[-1]["event"] == "error" and fragment in events[-1]["message"]


@pytest.mark.parametrize("corpus", ["", "   "])
def test_an_empty_corpus_name_is_refused(corpus: str, poet_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert_refused(main(["train", "--corpus", corpus, *BASE_FLAGS]), capsys, poet_home, "--corpus")


@pytest.mark.parametrize(
    ("given", "listed"),
    [
        (["--hidden", "512"], "cannot take --hidden;"),
        (["--tokenizer", "word", "--lr", "0.1"], "cannot take --tokenizer and --lr;"),
        (["--corpus", "x", "--preset", "char-gpu", "--seed", "2"], "cannot take --corpus, --preset and --seed;"),
        (
            ["--device", "cpu"],
            "its device included, and changes only its budget (--max-steps, --max-minutes, --epochs), "
            "so it cannot take --device; leave it out, or start a new run with it.",
        ),
        (["--batch-size", "auto", "--max-steps", "5"], "cannot take --batch-size;"),
        (["--no-tied"], "cannot take --tied;"),
    ],
)
@pytest.mark.parametrize("jsonl", [False, True], ids=["display", "jsonl"])
def test_resume_refuses_flags_it_cannot_honour(
    given: list[str], listed: str, jsonl: bool, poet_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ["train", "--resume", "20250101-120000-x-char", *given, *(["--jsonl"] if jsonl else [])]
    assert_refused(main(arguments), capsys, poet_home, listed)


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        (["--max-steps", "0"], "--max-steps must be at least 1."),
        (["--max-minutes", "inf"], "--max-minutes must be a finite number, not inf."),
        (["--epochs", "nan"], "--epochs must be a finite number, not nan."),
        (["--max-steps", "10", "--max-minutes", "5", "--epochs", "2"], "no run named"),  # the budget is honoured
    ],
)
def test_resume_checks_its_budget_flags(
    given: list[str], fragment: str, poet_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert_refused(main(["train", "--resume", "no-such-run", *given]), capsys, poet_home, fragment)


def test_resume_with_an_empty_name_is_refused(poet_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert_refused(main(["train", "--resume", " "]), capsys, poet_home, "--resume needs a run name")


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        (["--temperature", "nan"], "--temperature must be a finite number, not nan."),
        (["--temperature", "inf"], "--temperature must be a finite number, not inf."),
        (["--temperature", "-1"], "--temperature must be 0 (greedy) or more."),
        (["--temperature", "1e309"], "--temperature must be a finite number, not inf."),
        (["--top-p", "nan"], "--top-p must be a finite number, not nan."),
        (["--top-p", "0"], "--top-p must be in (0, 1]."),
        (["--top-p", "1.5"], "--top-p must be in (0, 1]."),
        (["--top-k", "-1"], "--top-k must be 0 (off) or more."),
        (["--top-k", "1e999"], "invalid int value"),
        (["--length", "0"], "--length must be between 1 and 1000000."),
        (["--length", "-5"], "--length must be between 1 and 1000000."),
        (["--length", str(10**18)], "--length must be between 1 and 1000000."),
        (["--seed", "-1"], "--seed must be between 0 and 2**63 - 1"),
        (["--seed", str(2**63)], "--seed must be between 0 and 2**63 - 1"),
        (["--seed", "abc"], "invalid int value"),
    ],
)
def test_bad_generate_flags_are_refused_before_loading(
    given: list[str], fragment: str, poet_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert_refused(main(["generate", "no-such-run", *given]), capsys, poet_home, fragment)


@pytest.mark.parametrize("name", ["", "   ", "\t"])
def test_generate_needs_a_model_name(name: str, poet_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert_refused(main(["generate", name]), capsys, poet_home, "say which model to generate from")


# ----- run.toml: validate() raises only PoetError, whatever a field holds -----
WRONG_VALUES: list[Any] = ["12", "", True, False, None, [1], {"a": 1}, 1.5, float("nan"), float("inf"), -1, 10**30]
WRONG_VALUES.append(10**400)  # TOML readers take integers of any length; no float holds this one


@pytest.mark.parametrize("item", OPTIONS, ids=lambda item: item.key)
def test_a_run_toml_field_of_any_wrong_value_is_a_poet_error(item: Option) -> None:
    refused = 0
    for value in WRONG_VALUES:
        config = RunConfig(corpus="sonnets")
        config.set_setting(item, value)
        try:
            config.validate()
        except PoetError as error:
            refused += 1
            assert item.flag_name in str(error) or "makes a model" in str(error)
    assert refused >= 5  # every field refuses at least the types it cannot hold


def test_an_integer_too_long_for_a_float_is_not_a_finite_number(tmp_path: Path) -> None:
    path = tmp_path / "run.toml"
    path.write_text('corpus = "x"\n[training]\nlearning_rate = 1' + "0" * 400 + "\n")
    with pytest.raises(PoetError, match=r"run\.toml is damaged \(--lr must be a finite number, not 1000"):
        load_run_config(path)


def test_bools_are_not_numbers_in_run_toml() -> None:
    for section, name in (("", "seed"), ("model", "num_layers"), ("training", "learning_rate")):
        config = RunConfig(corpus="sonnets")
        setattr(getattr(config, section) if section else config, name, True)
        with pytest.raises(PoetError, match="not true"):
            config.validate()


@pytest.mark.parametrize(
    ("toml", "fragment"),
    [
        ('corpus = "x"\ntokenizer = 5\n', "[tokenizer] must be a table of settings, not 5"),
        ('corpus = "x"\nmodel = [1, 2]\n', "must be a table of settings"),
        ("seed = 1\n[model]\nhidden_size = 8\n", "is damaged"),
        ("corpus = \n", "is damaged"),
    ],
)
def test_a_run_toml_with_sections_of_the_wrong_shape_is_damaged(toml: str, fragment: str, tmp_path: Path) -> None:
    path = tmp_path / "run.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(PoetError, match="is damaged") as refused:
        load_run_config(path)
    assert fragment in str(refused.value)


def test_a_run_toml_with_wrong_value_types_is_refused_when_read(tmp_path: Path) -> None:
    path = tmp_path / "run.toml"
    path.write_text('corpus = "x"\nseed = true\n[model]\nnum_layers = "2"\n[training]\nlog_every_steps = 0\n')
    with pytest.raises(PoetError, match=r"run\.toml is damaged \(--seed must be a whole number, not true\)"):
        load_run_config(path)


# ----- the app's Train form builds its config through the same checks -----
@pytest.mark.parametrize(
    ("flag", "text", "error"),
    [
        ("lr", "nan", "Learning rate must be a finite number, not nan."),
        ("lr", "1e999", "Learning rate must be a finite number, not inf."),
        ("lr", "-0.1", "Learning rate must be positive."),
        ("max_minutes", "inf", "Minutes must be a finite number, not inf."),
        ("epochs", "-1", "Epochs must be positive."),
        ("dropout", "nan", "Dropout must be a finite number, not nan."),
        ("hidden", "-5", "Hidden must be at least 1."),
        ("layers", "100000", "Layers must be at most 64."),
        ("hidden", "40000", "Hidden 40000 with layers 2 makes a model of"),
        ("seed", "-1", "Seed must be between 0 and 2**63 - 1 (9223372036854775807)."),
        ("log_every", "0", "Log every must be at least 1."),
        ("batch_size", "99999999", "Batch size must be at most 65536."),
        ("layers", "9" * 5000, "Layers must be a whole number, not '99999999999999999...'."),
        ("corpus", "~nosuchuser-poet/poems.txt", "There is no corpus named '~nosuchuser-poet/poems.txt'"),
    ],
)
def test_the_train_form_shows_bad_values_on_its_error_line(flag: str, text: str, error: str) -> None:
    from textual.widgets import Input

    from tests.helpers.pilot import run_train_form

    async def script(form: Any, pilot: Any) -> None:
        form.corpus = "shakespeare-sonnets"
        await pilot.pause()
        assert form.validate_now() is None
        widget = form.query_one(f"#field-{flag}", Input)
        widget.value = text
        await pilot.pause()
        assert form.shown_error is not None and form.shown_error.startswith(error), form.shown_error
        assert pilot.app.is_running

    run_train_form(script)
