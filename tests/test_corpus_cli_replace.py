"""`poet corpora add` never replaces a registered corpus silently: a taken name is refused in one sentence unless
`--replace` is given; a bundled corpus's name is refused outright. `rm` tells bundled from unknown names."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from poet_tui.cli.main import main
from poet_tui.corpus_registry import registry_file, user_corpora


def one_error_line(capsys: pytest.CaptureFixture[str], *arguments: str) -> str:
    code = main(list(arguments))
    captured = capsys.readouterr()
    assert code == 2 and "Traceback" not in captured.err and captured.out == "", captured
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("poet: "), captured.err
    return lines[0]


def registered_paths() -> dict[str, Path]:
    return {entry.name: entry.path for entry in user_corpora()}


def test_a_taken_name_is_refused_without_replace_and_replaced_with_it(
    tiny_corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = shutil.copy(tiny_corpus, tmp_path / "other-poems.txt")
    assert main(["corpora", "add", str(tiny_corpus), "--name", "mine"]) == 0
    assert capsys.readouterr().out.startswith("registered mine: 40 poems")
    before = registry_file().read_bytes()

    line = one_error_line(capsys, "corpora", "add", str(other), "--name", "mine")
    assert line == (
        f"poet: a corpus named 'mine' is already registered ({tiny_corpus}); add --replace to replace it, or pick "
        "another name with --name."
    )
    assert registry_file().read_bytes() == before  # the refusal changed nothing

    assert main(["corpora", "add", str(other), "--name", "mine", "--replace"]) == 0
    assert capsys.readouterr().out.startswith(f"replaced mine (it was {tiny_corpus}): 40 poems")
    assert registered_paths() == {"mine": Path(other)}


def test_the_default_name_from_the_file_is_protected_too(tiny_corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["corpora", "add", str(tiny_corpus)]) == 0
    capsys.readouterr()
    assert "'tiny-poems' is already registered" in one_error_line(capsys, "corpora", "add", str(tiny_corpus))
    assert main(["corpora", "add", str(tiny_corpus), "--replace"]) == 0
    assert capsys.readouterr().out.startswith("replaced tiny-poems: 40 poems")
    assert registered_paths() == {"tiny-poems": tiny_corpus}


def test_a_bundled_name_cannot_be_replaced_even_with_replace(
    tiny_corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = one_error_line(capsys, "corpora", "add", str(tiny_corpus), "--name", "tang300", "--replace")
    assert line == (
        "poet: 'tang300' is a bundled corpus, and bundled corpora cannot be replaced; pick another name with --name."
    )
    assert not registry_file().exists()


def test_rm_says_a_bundled_corpus_cannot_be_removed_and_an_unknown_one_is_unknown(
    capsys: pytest.CaptureFixture[str],
) -> None:
    line = one_error_line(capsys, "corpora", "rm", "shakespeare-sonnets")
    assert line == (
        "poet: 'shakespeare-sonnets' is a bundled corpus, and bundled corpora cannot be removed; only the ones you "
        "registered can."
    )
    line = one_error_line(capsys, "corpora", "rm", "nothing-here")
    assert line == "poet: no registered corpus named 'nothing-here'. `poet corpora list` shows them."
