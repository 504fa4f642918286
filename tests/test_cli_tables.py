"""The CLI's tables: each has a title and units in its headers and comes from one helper (one box style);
`poet checkpoints show` prints only the tokenizer settings that apply to the run's tokenizer; a word run's
bits/char is marked as flattered by <unk>, with the footnote under the table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rich.console import Console

from poet_tui.cli.bench_command import results_table
from poet_tui.cli.main import main
from poet_tui.cli.output import FLATTERED_NOTE, TABLE_BOX
from poet_tui.runs import Run
from tests.helpers import poet, tiny_config

RULE = TABLE_BOX.head_row_horizontal * 3  # the line under a table's header, the same in every table


def printed(capsys: pytest.CaptureFixture[str], *arguments: str) -> str:
    assert main(list(arguments)) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return captured.out


def setting_rows(output: str) -> dict[str, str]:
    """The Settings table's `setting value` pairs."""
    section = output.split("Settings", 1)[1].split("Checkpoints", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = re.match(r"^\s*(?:\S.*?\s{2,})?(--[a-z-]+|[a-z][a-z ]+?)\s{2,}(\S.*?)\s*$", line)
        if match:
            rows[match.group(1)] = match.group(2)
    return rows


def train_word_run(tiny_corpus: Path) -> str:
    from poet_tui.train import train

    run, _ = train(tiny_config(tiny_corpus, kind="word", max_steps=2, eval_every_steps=2))
    return run.id


def test_corpora_list_and_show_are_titled_tables(capsys: pytest.CaptureFixture[str]) -> None:
    listed = printed(capsys, "corpora", "list")
    assert listed.lstrip().startswith("Corpora (5)") and RULE in listed
    header = next(line for line in listed.splitlines() if "name" in line and "poems" in line)
    assert header.split() == ["name", "title", "lang", "kind", "poems", "chars", "size"]
    sonnets = next(line for line in listed.splitlines() if line.lstrip().startswith("shakespeare-sonnets"))
    assert "bundled" in sonnets and sonnets.rstrip().endswith("KiB")
    shown = printed(capsys, "corpora", "show", "tang300", "--poems", "0")
    assert shown.lstrip().startswith("Corpus tang300")


def test_checkpoints_show_prints_only_the_settings_of_a_char_runs_tokenizer(
    trained_run: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    output = printed(capsys, "checkpoints", "show", trained_run.id)
    rows = setting_rows(output)
    assert rows["--tokenizer"] == "char"
    for other_kinds in ("--vocab-size", "--spm-model", "--min-count"):
        assert other_kinds not in rows and other_kinds not in output
    assert "vocab_size = 2000" not in output and "spm_model" not in output  # no raw run.toml either
    assert rows["--hidden"] and rows["--max-steps"] == "4"
    for title in ("Settings", "Checkpoints", "Last 2 evaluations"):
        assert re.search(rf"^{title}\b", output, re.MULTILINE), title
    assert output.count(RULE) >= 3  # every table in the same box style
    assert "nats/token" in output and "bits/char" in output
    assert FLATTERED_NOTE not in output and "*" not in output  # a char run's bits/char is not marked


def test_a_word_runs_bits_per_char_is_marked_with_a_footnote(
    tiny_corpus: Path, trained_run: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    word_run = train_word_run(tiny_corpus)
    listed = printed(capsys, "checkpoints", "list")
    word_rows = [line for line in listed.splitlines() if word_run in line]
    char_rows = [line for line in listed.splitlines() if trained_run.id in line]
    assert word_rows and all(re.search(r"\d\.\d{3}\*\s", line) for line in word_rows)
    assert char_rows and not any("*" in line for line in char_rows)
    assert FLATTERED_NOTE.split(":")[0] in listed  # the footnote, under the table

    shown = printed(capsys, "checkpoints", "show", word_run)
    rows = setting_rows(shown)
    assert rows["--tokenizer"] == "word" and rows["--min-count"].isdigit()
    assert "--vocab-size" not in rows and "--spm-model" not in rows
    evaluations = shown.split("Last evaluation", 1)[1]
    assert re.search(r"\d\.\d{3}\*", evaluations) and "flattered by <unk>" in evaluations


def test_the_bench_table_has_a_title_and_units(capsys: pytest.CaptureFixture[str]) -> None:
    result = {"case": "sample-char", "device": "cpu", "cpu_threads": 2, "tokens_per_s": 1234.0, "ms_per_token": 0.8}
    console = Console(width=120, record=True)
    console.print(results_table([result]))
    text = console.export_text()
    assert text.lstrip().startswith("poet bench on cpu ×2 (1 case)") and RULE in text
    for unit in ("tokens/s", "ms/token", "nats/char"):
        assert unit in text


def test_generate_interactive_settings_is_a_titled_table(trained_run: Run) -> None:
    result = poet("generate", "-i", trained_run.id, input_text=":temp 0.5\n:settings\n:quit\n")
    assert result.returncode == 0, result.stderr
    table = result.stdout.split("Sampling settings", 1)[1]
    assert RULE in table
    rows = {line.split()[0]: line.split()[1] for line in table.splitlines() if line.strip().startswith(":")}
    assert rows[":temp"] == "0.50" and rows[":len"] == "300" and rows[":novelty"] == "off"
    assert set(rows) >= {":temp", ":len", ":topk", ":topp", ":seed", ":poem", ":form", ":novelty"}


def test_at_80_columns_run_names_stay_whole_and_every_row_fits(trained_run: Run) -> None:
    from poet_tui.cli.checkpoints_command import print_summaries
    from poet_tui.run_catalog import checkpoint_summaries

    console = Console(width=80, record=True)
    print_summaries(console, "Checkpoints", checkpoint_summaries([trained_run]))
    lines = console.export_text().splitlines()
    rows = [line for line in lines if line.startswith(trained_run.id)]
    assert [row.split()[1] for row in rows] == ["best", "latest"]  # whole names, one line a checkpoint
    assert all(len(line.rstrip()) <= 80 for line in lines)
    assert "nats/token" in "\n".join(lines) and "bits/char" in "\n".join(lines)
