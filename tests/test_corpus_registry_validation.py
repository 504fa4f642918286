"""registry.toml is checked when read back: a damaged entry is set apart with its reason, a damaged file is a sentence.

Why entries are set apart rather than the whole file refused: one hand-edited entry should not take `poet corpora
list` or training on the other corpora down with it. `add` and `rm` refuse to rewrite the file while an entry is
damaged (rewriting would drop it silently); `rm` of the damaged entry itself is how it is settled.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from poet_tui.cli.main import main
from poet_tui.corpus_registration import add_corpus, remove_corpus, render_registry, write_registry
from poet_tui.corpus_registry import (
    CorpusEntry,
    damaged_corpora,
    find_corpus,
    read_registry,
    registry_file,
    resolve_corpus,
    user_corpora,
)
from poet_tui.errors import PoetError


def one_error_line(capsys: pytest.CaptureFixture[str], *arguments: str) -> str:
    code = main(list(arguments))
    captured = capsys.readouterr()
    assert code == 2, captured
    assert "Traceback" not in captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("poet: "), captured.err
    return lines[0]


def write_raw_registry(text: str) -> Path:
    path = registry_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def good_section(name: str, path: Path) -> str:
    return f'[corpora.{name}]\npath = "{path}"\ntitle = "{name}"\nlanguage = "en"\ndocuments = 40\n'


DAMAGED_ENTRIES = [
    ("[corpora.bad]\npath = 7\n", "its path is not text"),
    ('[corpora.bad]\ntitle = "no path"\n', "it has no path"),
    ('[corpora.bad]\npath = ""\n', "its path is not text"),
    ('[corpora.bad]\npath = "relative/poems.txt"\n', "its path is not absolute"),
    ('[corpora.bad]\npath = "/x/\\u0000.txt"\n', "its path holds a NUL character"),
    ('[corpora.bad]\npath = "/x.txt"\ndocuments = "forty"\n', "documents is not a whole number"),
    ('[corpora.bad]\npath = "/x.txt"\ndocuments = true\n', "documents is not a whole number"),
    ('[corpora.bad]\npath = "/x.txt"\ncharacters = -3\n', "characters is not a whole number"),
    ('[corpora.bad]\npath = "/x.txt"\ncharacters = nan\n', "characters is not a whole number"),
    ('[corpora.bad]\npath = "/x.txt"\ntitle = ["a"]\n', "title is not text"),
    ('[corpora.bad]\npath = "/x.txt"\nlanguage = 1\n', "language is not text"),
    ('[corpora.bad]\npath = "/x.txt"\nadded = [1]\n', "added is not a date"),
    ("[corpora]\nbad = 3\n", "it is not a table"),
]


@pytest.mark.parametrize(("section", "reason"), DAMAGED_ENTRIES, ids=[reason for _, reason in DAMAGED_ENTRIES])
def test_a_damaged_entry_is_set_apart_and_the_others_still_work(
    tiny_corpus: Path, capsys: pytest.CaptureFixture[str], section: str, reason: str
) -> None:
    if section.startswith("[corpora]\n"):
        text = section + "\n" + good_section("good", tiny_corpus)
    else:
        text = good_section("good", tiny_corpus) + "\n" + section
    write_raw_registry(text)
    assert [entry.name for entry in user_corpora()] == ["good"]
    assert [(damaged.name, damaged.reason) for damaged in damaged_corpora()] == [("bad", reason)]
    assert len(resolve_corpus("good").documents) == 40

    assert main(["corpora", "list"]) == 0
    captured = capsys.readouterr()
    assert "good" in captured.out and "Traceback" not in captured.err
    assert captured.err.strip().splitlines() == [
        f"poet: registered corpus 'bad' is damaged in {registry_file()} ({reason}); "
        "fix it there or forget it with `poet corpora rm bad`."
    ]
    assert f"'bad' is damaged in {registry_file()} ({reason})" in one_error_line(capsys, "corpora", "show", "bad")


def test_add_refuses_to_drop_a_damaged_entry_and_rm_settles_it(tiny_corpus: Path) -> None:
    path = write_raw_registry(good_section("good", tiny_corpus) + "\n[corpora.bad]\npath = 7\n")
    before = path.read_bytes()
    with pytest.raises(PoetError, match=r"has a damaged entry 'bad' \(its path is not text\); fix it there or forget"):
        add_corpus(tiny_corpus, "other")
    with pytest.raises(PoetError, match="has a damaged entry 'bad'"):
        remove_corpus("good")
    assert path.read_bytes() == before
    remove_corpus("bad")
    assert damaged_corpora() == [] and [entry.name for entry in user_corpora()] == ["good"]
    add_corpus(tiny_corpus, "other")
    assert [entry.name for entry in user_corpora()] == ["good", "other"]


def test_re_adding_under_a_damaged_name_replaces_it(tiny_corpus: Path) -> None:
    write_raw_registry('[corpora.mine]\npath = "/x.txt"\ndocuments = "many"\n')
    with pytest.raises(PoetError, match="'mine' is damaged"):
        find_corpus("mine")
    add_corpus(tiny_corpus, "mine")
    assert damaged_corpora() == [] and user_corpora()[0].documents == 40


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("Bad Name", "its name is not a usable corpus name"),
        ("a/b", "its name is not a usable corpus name"),
        ("..", "its name is not a usable corpus name"),
        ("ok\n", "its name is not a usable corpus name"),
        ("tang300", "it has the name of a bundled corpus"),
    ],
)
def test_registry_names_must_still_be_usable(tiny_corpus: Path, name: str, reason: str) -> None:
    key = name.replace("\n", "\\n")
    write_raw_registry(f'[corpora."{key}"]\npath = "{tiny_corpus}"\n')
    assert user_corpora() == []
    assert [(damaged.name, damaged.reason) for damaged in damaged_corpora()] == [(name, reason)]
    assert find_corpus("tang300") is not None and find_corpus("tang300").bundled  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"[corpora.x\npath = ", "is damaged (Expected ']'"),
        (b"\xff\xfe[corpora]", "is damaged (not UTF-8 text); fix or delete it"),
        (b"corpora = 3\n", 'is damaged ("corpora" is not a table)'),
        (b"x = " + b"[" * 5000 + b"]" * 5000, "is damaged ("),
    ],
    ids=["not-toml", "not-utf8", "corpora-not-table", "deep"],
)
def test_a_registry_that_is_not_ours_is_one_sentence(
    capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    path = registry_file()
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    line = one_error_line(capsys, "corpora", "list")
    assert line.startswith(f"poet: {path} ") and message in line
    assert path.read_bytes() == content  # reading never rewrites it


def test_a_registry_is_read_bounded_and_never_through_a_link_or_a_fifo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = registry_file()
    path.parent.mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere.toml"
    elsewhere.write_text('[corpora.x]\npath = "/x.txt"\n', encoding="utf-8")
    path.symlink_to(elsewhere)
    assert "is a symbolic link, which poet-tui does not follow here" in one_error_line(capsys, "corpora", "list")
    path.unlink()
    os.mkfifo(path)
    assert "not a regular file (a device, pipe or socket)" in one_error_line(capsys, "corpora", "list")
    path.unlink()
    with path.open("wb") as handle:
        handle.truncate(5 * 2**20)  # sparse: bigger than any registry poet-tui writes
    assert "more than a corpus registry can be" in one_error_line(capsys, "corpora", "list")


def test_a_name_with_a_trailing_newline_is_not_a_usable_name(tiny_corpus: Path) -> None:
    """NAME_PATTERN's `$` matches before a final newline; the whole name must match."""
    with pytest.raises(PoetError, match=r"'mine\\n' is not a usable corpus name"):
        add_corpus(tiny_corpus, "mine\n")
    assert not registry_file().exists()


def test_a_hand_written_unquoted_date_is_accepted(tiny_corpus: Path) -> None:
    write_raw_registry(good_section("good", tiny_corpus) + "added = 2024-05-01T12:00:00Z\n")
    (entry,) = user_corpora()
    assert entry.extra["added"] == "2024-05-01T12:00:00+00:00"


PATH_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=30)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.from_regex(r"\A[a-z0-9][a-z0-9_-]{0,20}\Z"),
    path_text=PATH_TEXT,
    title=st.text(st.characters(codec="utf-8"), max_size=30),
    language=st.text(st.characters(codec="utf-8"), max_size=5),
    documents=st.integers(min_value=0, max_value=2**62),
)
def test_what_is_written_reads_back_the_same(
    name: str, path_text: str, title: str, language: str, documents: int
) -> None:
    """Any title or path text round-trips, DEL and control characters included (TOML forbids them raw)."""
    if name in {"tang300", "song100"} or name.startswith("shakespeare"):
        name = "x" + name[:20]
    entry = CorpusEntry(
        name=name,
        path=Path("/" + path_text),
        bundled=False,
        title=title,
        language=language,
        documents=documents,
        characters=documents,
        extra={"added": "2024-01-01T00:00:00+00:00"},
    )
    write_registry([entry])
    registry = read_registry()
    assert registry.damaged == []
    assert registry.entries == [entry]
    assert render_registry(registry.entries) == render_registry([entry])
