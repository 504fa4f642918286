"""`poet generate --novelty`: what it reports holds against the run's own training text, whatever the model
samples; the index is built on first use and reused; `-i` marks copied spans; bad values are one sentence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from poet_tui.corpus import load_documents
from poet_tui.overlap import run_training_texts
from poet_tui.runs import Run
from tests.helpers import poet


def copied_prompt(run: Run) -> str:
    """A whole line of a poem the run trained on: continuing it starts with a copy of at least its length."""
    line = run_training_texts(run)[0].text.split("\n")[0]
    assert len(line) >= 12
    return line


def test_novelty_json_reports_spans_found_in_the_stated_line(trained_run: Run) -> None:
    prompt = copied_prompt(trained_run)
    arguments = ("generate", trained_run.id, "--prompt", prompt, "--length", "60", "--seed", "2", "-n", "2")
    first = poet(*arguments, "--novelty", "--json")
    assert first.returncode == 0, first.stderr
    assert "indexing the training text of run" in first.stderr
    documents = load_documents(Path(trained_run.config().corpus))
    for line in first.stdout.splitlines():
        record = json.loads(line)
        text = record["text"]
        assert 0.0 <= record["novelty"] < 1.0 and record["min_copy"] == 12
        assert any(span["start"] == 0 and span["end"] >= len(prompt) for span in record["copied_spans"])
        for span in record["copied_spans"]:
            assert span["end"] - span["start"] >= 12 and span["text"] == text[span["start"] : span["end"]]
            source = documents[span["document"]].text
            assert source[span["offset"] : span["offset"] + len(span["text"])] == span["text"]
            assert span["line"] == source.count("\n", 0, span["offset"]) + 1
    again = poet(*arguments, "--novelty", "--json", "--min-copy", "5")
    assert again.returncode == 0 and "indexing" not in again.stderr  # cached by the first command
    assert all(json.loads(line)["min_copy"] == 5 for line in again.stdout.splitlines())
    plain = poet(*arguments, "--json")
    assert all("novelty" not in json.loads(line) for line in plain.stdout.splitlines())


def test_novelty_line_follows_each_poem_on_stderr(trained_run: Run) -> None:
    result = poet("generate", trained_run.id, "--prompt", copied_prompt(trained_run), "--length", "20", "--novelty")
    assert result.returncode == 0, result.stderr
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("[novelty")]
    assert "copied span" in line and "of ≥ 12 characters]" in line


def test_the_repl_marks_copied_spans_with_brackets_under_no_color(
    trained_run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    prompt = copied_prompt(trained_run)
    session = f":len 10\n{prompt}\n:quit\n"
    result = poet("generate", trained_run.id, "-i", "--novelty", "--seed", "1", input_text=session)
    assert result.returncode == 0, result.stderr
    assert f"\n[{prompt}" in result.stdout and "\x1b[" not in result.stdout
    assert "[novelty " in result.stdout and "  1. poem " in result.stdout


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (["--novelty", "--min-copy", "0"], "--min-copy must be a whole number of characters from 1 to 10,000, not 0."),
        (["--novelty", "--min-copy", "99999999"], "--min-copy must be a whole number"),
        (["--min-copy", "8"], "--min-copy sets how long a copy --novelty counts"),
    ],
)
def test_bad_min_copy_is_one_sentence(trained_run: Run, flags: list[str], says: str) -> None:
    result = poet("generate", trained_run.id, "--length", "5", *flags)
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("poet: ") and says in line


def test_the_repl_turns_novelty_on_and_off_and_refuses_a_bad_length(
    trained_run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    prompt = copied_prompt(trained_run)
    session = f":len 10\n:novelty 0\n:novelty maybe\n{prompt}\n:novelty 12\n{prompt}\n:novelty off\n{prompt}\n:quit\n"
    result = poet("generate", trained_run.id, "-i", "--seed", "1", input_text=session)
    assert result.returncode == 0, result.stderr
    assert "':novelty N' takes N from 1 to 10,000 characters; it stays off." in result.stdout
    assert "':novelty' takes on, off or a length such as ':novelty 12'; it stays off." in result.stdout
    assert "novelty on: copies of ≥ 12 characters are marked after each poem" in result.stdout
    assert result.stdout.count("[novelty ") == 1  # the one poem written while it was on
    assert f"\n[{prompt}" in result.stdout and "novelty off" in result.stdout
