"""`poet corpora combine`: a corpus made of others, registered like any other (list, show, rm, --json), every bad
definition refused in one sentence with the registry untouched, and a part forgotten later shown as damaged."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from poet_tui.cli.main import main
from poet_tui.combined_corpus import CombinedCorpus
from poet_tui.corpus_combination import Known, leaf_shares, parse_part
from poet_tui.corpus_registry import find_corpus, registry_file, resolve_corpus
from poet_tui.errors import PoetError


def ok(capsys: pytest.CaptureFixture[str], *arguments: str) -> str:
    code = main(list(arguments))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out


def one_error_line(capsys: pytest.CaptureFixture[str], *arguments: str) -> str:
    code = main(list(arguments))
    captured = capsys.readouterr()
    assert code == 2 and "Traceback" not in captured.err and captured.out == "", captured
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("poet: "), captured.err
    return lines[0]


@pytest.fixture
def tiny(tiny_corpus: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    ok(capsys, "corpora", "add", str(tiny_corpus), "--name", "tiny")
    return tiny_corpus


def test_combine_registers_a_corpus_that_lists_shows_and_loads_like_any_other(
    tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    said = ok(capsys, "corpora", "combine", "mix", "--from", "tiny:3", "song100")
    assert said.startswith("registered mix, combined: tiny ×3 + song100 ×1: 141 poems")
    listing = ok(capsys, "corpora", "list")
    row = next(line for line in listing.splitlines() if line.startswith("mix "))
    assert "combined" in row and "141" in row
    listed = json.loads(ok(capsys, "corpora", "list", "--json"))
    mix = next(item for item in listed["corpora"] if item["name"] == "mix")
    assert mix["parts"] == [{"name": "tiny", "weight": 3.0}, {"name": "song100", "weight": 1.0}]
    assert mix["path"] is None and mix["problem"] is None and mix["poems"] == 141 and not mix["bundled"]
    assert next(item for item in listed["corpora"] if item["name"] == "tiny")["parts"] is None

    corpus = resolve_corpus("mix")
    assert isinstance(corpus, CombinedCorpus) and len(corpus.documents) == 141
    assert [(part.name, part.share, part.start) for part in corpus.parts] == [("tiny", 0.75, 0), ("song100", 0.25, 40)]

    shown = json.loads(ok(capsys, "corpora", "show", "mix", "--json", "--poems", "3"))
    assert [(part["name"], part["weight"], part["poems"]) for part in shown["parts"]] == [
        ("tiny", 3.0, 40),
        ("song100", 1.0, 101),
    ]
    assert [part["text_share"] for part in shown["parts"]] == [0.75, 0.25]
    assert sum(part["poem_share"] for part in shown["parts"]) == pytest.approx(1.0)
    # the preview takes the parts in turn, each poem labelled with its part
    assert [item["part"] for item in shown["preview"]] == ["tiny", "song100", "tiny"]
    assert shown["preview"][1]["title"] == corpus.documents[40].title
    table = ok(capsys, "corpora", "show", "mix", "--poems", "2")
    assert "Parts" in table and "75.0%" in table and "[song100]" in table

    plain = json.loads(ok(capsys, "corpora", "show", "tiny", "--json", "--poems", "1"))
    assert plain["parts"] is None and plain["preview"][0]["part"] is None


def test_weights_and_nesting_flatten_to_each_file_corpus_share(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ok(capsys, "corpora", "combine", "inner", "--from", "tiny:1", "song100:3")
    ok(capsys, "corpora", "combine", "outer", "--from", "inner", "tang300", "tiny:2")
    shares = leaf_shares("outer", Known.now())
    # outer: inner ¼, tang300 ¼, tiny ½; inner: tiny ¼, song100 ¾ → tiny ½ + 1/16, reached twice and summed
    assert shares == pytest.approx({"tiny": 9 / 16, "song100": 3 / 16, "tang300": 1 / 4})
    corpus = resolve_corpus("outer")
    assert isinstance(corpus, CombinedCorpus)
    assert [part.name for part in corpus.parts] == ["tiny", "song100", "tang300"]  # each leaf read once
    assert len(corpus.documents) == 40 + 101 + 313


@pytest.mark.parametrize(
    ("part", "said"),
    [
        ("tiny:-1", "the weight in 'tiny:-1' is not a positive number"),
        ("tiny:nan", "the weight in 'tiny:nan' is not a positive number"),
        ("tiny:inf", "the weight in 'tiny:inf' is not a positive number"),
        ("tiny:", "'tiny:' has no weight after the ':'"),
        (":1", "':1' names no corpus before the ':'"),
        ("tiny:1e999", "the weight in 'tiny:1e999' is too big"),
        ("tiny:" + "9" * 400, "is too big"),
        ("tiny:0", "must be at least 0.000001"),
        ("tiny:0x10", "is not a positive number"),
        ("../tiny:1", "'../tiny' is not a corpus name; parts are corpus names"),
        ("/etc/passwd", "'/etc/passwd' is not a corpus name"),
        ("nope", "there is no corpus named 'nope' to take from."),
    ],
)
def test_bad_parts_are_one_sentence_and_change_nothing(
    tiny: Path, part: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = registry_file().read_bytes()
    assert said in one_error_line(capsys, "corpora", "combine", "mix", "--from", part, "song100")
    assert registry_file().read_bytes() == before


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["mix", "--from", "tiny"], "needs at least 2 different parts"),
        (["mix", "--from", "tiny", "tiny:2"], "'tiny' is given twice"),
        (["mix", "--from", "mix", "tiny"], "'mix' cannot be a part of itself"),
        (["../mix", "--from", "tiny", "song100"], "'../mix' is not a usable corpus name"),
        (["a/b", "--from", "tiny", "song100"], "'a/b' is not a usable corpus name"),
        (["my mix", "--from", "tiny", "song100"], "'my mix' is not a usable corpus name"),
        (["tang300", "--from", "tiny", "song100", "--replace"], "'tang300' is a bundled corpus"),
        (["tiny", "--from", "tang300", "song100"], "a corpus named 'tiny' is already registered"),
    ],
)
def test_bad_definitions_are_refused(
    tiny: Path, arguments: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = registry_file().read_bytes()
    assert said in one_error_line(capsys, "corpora", "combine", *arguments)
    assert registry_file().read_bytes() == before


def test_a_cycle_is_refused_naming_it_and_replace_works_otherwise(
    tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ok(capsys, "corpora", "combine", "a", "--from", "tiny", "song100")
    ok(capsys, "corpora", "combine", "b", "--from", "a", "tang300")
    line = one_error_line(capsys, "corpora", "combine", "a", "--from", "b", "song100", "--replace")
    assert "its parts take from each other in a cycle (a → b → a)" in line
    taken = one_error_line(capsys, "corpora", "combine", "a", "--from", "tang300", "song100")
    assert "already registered (combined: tiny ×1 + song100 ×1); add --replace" in taken
    said = ok(capsys, "corpora", "combine", "a", "--from", "tang300:2", "song100", "--replace")
    assert said.startswith("replaced a (it was combined: tiny ×1 + song100 ×1), combined: tang300 ×2 + song100 ×1")
    # a file corpus can take a combined corpus's name only when asked, and says what it replaced
    taken = one_error_line(capsys, "corpora", "add", str(tiny), "--name", "a")
    assert "already registered (combined: tang300 ×2 + song100 ×1)" in taken


def test_a_hand_made_cycle_or_bad_parts_in_the_registry_are_sentences(
    tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ok(capsys, "corpora", "combine", "a", "--from", "tiny", "song100")
    ok(capsys, "corpora", "combine", "b", "--from", "a", "tang300")
    text = registry_file().read_text(encoding="utf-8")
    text = text.replace('{ name = "tiny", weight = 1.0 }', '{ name = "b", weight = 1.0 }')
    text += '\n[corpora.broken]\nparts = [{ name = "tiny", weight = -2 }, { name = "song100", weight = 1 }]\n'
    registry_file().write_text(text, encoding="utf-8")
    with pytest.raises(PoetError, match=r"cannot be used: its parts take from each other in a cycle \(a → b → a\)"):
        resolve_corpus("a")
    with pytest.raises(PoetError, match=r"cycle \(b → a → b\)"):
        resolve_corpus("b")
    with pytest.raises(PoetError, match=r"'broken' is damaged .*part 'tiny' has a weight out of range"):
        find_corpus("broken")
    main(["corpora", "list"])
    err = capsys.readouterr().err
    assert "'a' cannot be used: its parts take from each other in a cycle" in err
    assert "'broken' is damaged" in err


def test_a_forgotten_part_leaves_the_combination_damaged_not_a_crash(
    tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ok(capsys, "corpora", "combine", "mix", "--from", "tiny:3", "song100")
    ok(capsys, "corpora", "combine", "outer", "--from", "mix", "tang300")
    assert main(["corpora", "rm", "tiny"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("forgot corpus tiny")
    assert "the combined corpora 'mix', 'outer' take from 'tiny'" in captured.err

    assert main(["corpora", "list"]) == 0
    captured = capsys.readouterr()
    row = next(line for line in captured.out.splitlines() if line.startswith("mix "))
    assert "damaged" in row
    assert "'mix' cannot be used: its part 'tiny' is not registered any more" in captured.err
    listed = json.loads(ok(capsys, "corpora", "list", "--json"))
    problems = {item["name"]: item["problem"] for item in listed["corpora"]}
    assert problems["mix"] == "its part 'tiny' is not registered any more"
    assert problems["outer"] == "its part 'tiny' (outer → mix → tiny) is not registered any more"

    line = one_error_line(capsys, "train", "--corpus", "mix", "--device", "cpu", "--max-steps", "1")
    assert line == (
        "poet: the combined corpus 'mix' cannot be used: its part 'tiny' is not registered any more; add it again "
        "with `poet corpora add PATH --name tiny`, or give 'mix' other parts with `poet corpora combine mix --from "
        "... --replace`."
    )
    assert "'tiny' (outer → mix → tiny)" in one_error_line(capsys, "corpora", "show", "outer")
    # the combined corpus itself is forgotten like any other
    assert ok(capsys, "corpora", "rm", "outer").startswith("forgot corpus outer")
    assert find_corpus("outer") is None


def test_a_part_whose_file_is_gone_is_named(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    moved = shutil.copy(tiny, tmp_path / "gone.txt")
    ok(capsys, "corpora", "add", str(moved), "--name", "gone")
    ok(capsys, "corpora", "combine", "mix", "--from", "gone", "song100")
    Path(moved).unlink()
    with pytest.raises(PoetError, match=rf"its part 'gone' points at {moved}, which is gone; re-add it"):
        resolve_corpus("mix")
    listed = json.loads(ok(capsys, "corpora", "list", "--json"))
    assert next(item for item in listed["corpora"] if item["name"] == "mix")["problem"] == (
        f"its part 'gone' points at {moved}, which is gone"
    )
    line = one_error_line(capsys, "corpora", "combine", "other", "--from", "gone", "song100")
    assert "which is gone" in line


def test_parse_part_reads_names_and_weights() -> None:
    assert parse_part("shakespeare-sonnets") == ("shakespeare-sonnets", 1.0)
    assert parse_part("a:0.5") == ("a", 0.5)
    assert parse_part("a:2.") == ("a", 2.0)
    assert parse_part("a:.25") == ("a", 0.25)
    assert parse_part("a:1e3") == ("a", 1000.0)
    assert parse_part("a:1000000") == ("a", 1e6)
    with pytest.raises(PoetError, match="too big"):
        parse_part("a:1000001")
    with pytest.raises(PoetError, match="not a positive number"):
        parse_part("a:1:2")
