"""`poet corpora add` with hostile input, as a user types it: exit code 2, one `poet: ` line, nothing registered."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from poet_tui.cli.main import main
from poet_tui.corpus_registry import registry_file, user_corpora


def refused(capsys: pytest.CaptureFixture[str], *arguments: str) -> str:
    code = main(list(arguments))
    captured = capsys.readouterr()
    assert code == 2, captured
    assert "Traceback" not in captured.err and captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("poet: "), captured.err
    assert not registry_file().exists()  # a refusal writes nothing
    return lines[0]


def write(name: str, content: bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(content)
        return path

    return make


def folder_with(name: str, content: bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        corpus = folder / "poems"
        corpus.mkdir()
        (corpus / "good.txt").write_text("a good poem\n", encoding="utf-8")
        (corpus / name).write_bytes(content)
        return corpus

    return make


def gzipped(name: str, content: bytes) -> Callable[[Path], Path]:
    return write(name, gzip.compress(content))


def loop(folder: Path) -> Path:
    path = folder / "loop.txt"
    path.symlink_to(path)
    return path


def missing(folder: Path) -> Path:
    return folder / "nowhere.txt"


BAD_CORPORA: list[tuple[str, Callable[[Path], Path], str]] = [
    ("empty", write("a.txt", b""), "holds no text"),
    ("only-percent-lines", write("fortunes", b"%\n%\n%\n"), "holds no text"),
    ("binary-in-folder", folder_with("b.txt", b"GIF89a\x00\x01"), "b.txt looks like a binary file"),
    ("nul-deep-inside", write("a.txt", b"poem\n" * 20_000 + b"\x00"), "it holds NUL bytes"),
    ("utf8-broken-deep", write("a.txt", b"poem\n" * 20_000 + b"\xc3("), "not valid UTF-8 (bad byte at offset 100000"),
    ("utf16", write("a.txt", "a poem\n".encode("utf-16")), "is UTF-16 text; re-save it as UTF-8"),
    ("gzip-broken", write("a.txt.gz", b"\x1f\x8b\x08\x00broken"), "is not a whole gzip file"),
    ("gzip-nul", gzipped("a.txt.gz", b"poem\x00"), "it holds NUL bytes"),
    ("json-number", write("a.json", b"42"), "found a number."),
    ("json-string", write("a.json", b'"poem"'), "found text."),
    ("json-null-title", write("a.json", json.dumps([{"title": None, "paragraphs": ["x"]}]).encode()), "index 0"),
    ("json-nan", write("a.json", b'[{"text": NaN}]'), "NaN is not a number JSON allows"),
    ("json-deep", write("a.json", b"[" * 200_000), "nested too deeply"),
    ("jsonl-null-author", write("a.jsonl", b'{"text": "x", "author": null}\n'), 'line 1 has null as "author"'),
    ("link-loop", loop, "is a symbolic link loop"),
    ("missing", missing, "does not exist; check the path."),
    ("dev-zero", lambda folder: Path("/dev/zero"), "not a regular file"),
]


@pytest.mark.parametrize(("make", "message"), [case[1:] for case in BAD_CORPORA], ids=[case[0] for case in BAD_CORPORA])
def test_bad_corpora_are_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: Callable[[Path], Path], message: str
) -> None:
    assert message in refused(capsys, "corpora", "add", str(make(tmp_path)))


@pytest.mark.parametrize(
    "name",
    ["../evil", "a/b", "/abs", "..", ".", "名字", "Upper", "has space", "-dash-first", "x" * 65, "", "ok\n", "tab\t"],
)
def test_names_that_are_not_plain_slugs_are_refused(
    tiny_corpus: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    line = refused(capsys, "corpora", "add", str(tiny_corpus), f"--name={name}")
    assert "is not a usable corpus name; use lowercase letters, digits" in line


def test_a_bundled_name_is_refused(tiny_corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = refused(capsys, "corpora", "add", str(tiny_corpus), "--name", "tang300")
    assert "'tang300' is a bundled corpus, and bundled corpora cannot be replaced; pick another name" in line


def test_a_unicode_file_name_gets_a_usable_default_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "唐诗.txt"
    path.write_text("床前明月光\n", encoding="utf-8")
    assert main(["corpora", "add", str(path)]) == 0
    assert [entry.name for entry in user_corpora()] == ["corpus"]


def test_removing_unknown_and_bundled_corpora(capsys: pytest.CaptureFixture[str]) -> None:
    assert "no registered corpus named 'nope'" in refused(capsys, "corpora", "rm", "nope")
    assert "bundled corpora cannot be removed" in refused(capsys, "corpora", "rm", "tang300")


def test_an_empty_corpus_argument_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """`Path("")` is the current folder; an empty name must not read whatever folder poet was started in."""
    assert "no corpus given" in refused(capsys, "corpora", "show", "")


def test_a_path_that_is_not_utf8_cannot_be_recorded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = os.fsencode(tmp_path) + b"/caf\xe9.txt"
    with open(raw, "wb") as handle:
        handle.write(b"a poem\n")
    line = refused(capsys, "corpora", "add", os.fsdecode(raw), "--name", "cafe")
    assert "has a name that is not valid UTF-8, which the registry cannot record; rename it." in line
    assert "\\udce9" in line  # the undecodable byte is shown, escaped, on the one line


def test_user_text_is_printed_as_written_never_read_as_markup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A path with brackets keeps them, and a poem titled like a Rich closing tag is a title, not a crash."""
    path = tmp_path / "poems [draft].json"
    path.write_text(json.dumps([{"title": "[/bold] odd", "author": "[red]x", "paragraphs": ["a line"]}]), "utf-8")
    assert main(["corpora", "show", str(path)]) == 0
    shown = capsys.readouterr().out
    assert "poems [draft].json" in shown and "[/bold] odd — [red]x" in shown
    assert main(["corpora", "add", str(path), "--name", "draft"]) == 0
    registry_file().write_text(registry_file().read_text("utf-8").replace('title = "draft"', 'title = "[/i] t"'))
    capsys.readouterr()
    assert main(["corpora", "list"]) == 0
    assert "[/i] t" in capsys.readouterr().out


@pytest.mark.parametrize(
    "arguments",
    [("corpora", "show"), ("train", "--device", "cpu", "--corpus"), ("generate",), ("metrics",)],
)
def test_a_pasted_five_thousand_character_name_makes_a_short_sentence(
    poet_home: Path, capsys: pytest.CaptureFixture[str], arguments: tuple[str, ...]
) -> None:
    """The sentence names what was asked for, cut in the middle, not a 5,000-character line."""
    name = "x" * 2500 + "y" * 2500
    line = refused(capsys, *arguments, name)
    assert len(line) < 800 and "xxxx" in line and "yyyy" in line and "5,000 characters" in line
