"""`poet lens` as a user runs it: the views, --json that parses, an HTML page that shows a hostile text as text,
and bad input said in one sentence with exit code 2."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from poet_tui.runs import Run
from poet_tui.train import train
from tests.helpers import poet, tiny_config
from tests.test_cli import assert_one_line_error

HOSTILE = 'The moon <script>alert("x")</script> & the sea\nmy love "doth" shine\n'


def alphabet_has(trained_run: Run, characters: str) -> bool:
    tokens = json.loads((trained_run.directory / "tokenizer.json").read_text(encoding="utf-8"))["tokens"]
    return all(character in tokens for character in characters)


def test_surprisal_json_parses_and_its_bits_add_up(trained_run: Run, tmp_path: Path) -> None:
    poem = tmp_path / "poem.txt"
    poem.write_text("The moon and the sea\nmy love\n", encoding="utf-8")
    result = poet("lens", trained_run.id, "--text", str(poem), "--json", "--top", "2")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    tokens = document["tokens"]
    assert "".join(token["text"] for token in tokens) == "The moon and the sea\nmy love\n"
    assert all(len(token["alternatives"]) == 2 for token in tokens)
    assert document["total_bits"] == pytest.approx(sum(token["surprisal_bits"] for token in tokens))
    assert document["bits_per_char"] == pytest.approx(document["total_bits"] / len(tokens))
    assert all(math.isclose(t["surprisal_bits"], -math.log2(t["probability"]), rel_tol=1e-6) for t in tokens)


def test_terminal_view_prints_the_text_a_legend_and_bits_per_char(trained_run: Run, tmp_path: Path) -> None:
    poem = tmp_path / "poem.txt"
    poem.write_text("The moon and the sea\n", encoding="utf-8")
    result = poet("lens", trained_run.id, "--text", str(poem))
    assert result.returncode == 0, result.stderr
    assert "The moon and the sea" in result.stdout
    assert "surprisal:" in result.stdout and "bits/char" in result.stdout


def test_html_page_escapes_a_hostile_text(tmp_path: Path) -> None:
    """A model trained (two steps) on markup, so the text and the alternatives hold <, > and &."""
    corpus = tmp_path / "hostile.txt"
    corpus.write_text("\n\n\n".join([HOSTILE * 3] * 12), encoding="utf-8")
    run, _ = train(tiny_config(corpus, max_steps=2, eval_every_steps=2))
    poem = tmp_path / "poem.txt"
    poem.write_text(HOSTILE, encoding="utf-8")
    page_path = tmp_path / "out" / "lens.html"
    page_path.parent.mkdir()
    result = poet("lens", run.id, "--text", str(poem), "--html", str(page_path), "--top", "40")
    assert result.returncode == 0, result.stderr
    page = page_path.read_text(encoding="utf-8")
    assert "<script" not in page.lower() and "&lt;" in page and "&amp;" in page
    assert "http://" not in page and "https://" not in page  # nothing fetched from the net
    assert 'title="p = ' in page and "alternatives:" in page
    assert [path.name for path in page_path.parent.iterdir()] == ["lens.html"]  # no temp file left


def test_cell_view_and_find_cells_on_the_validation_text(trained_run: Run, tmp_path: Path) -> None:
    result = poet("lens", trained_run.id, "--find-cells", "--json", "--top", "2")
    assert result.returncode == 0, result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert findings and all(-1 <= finding["correlation"] <= 1 for finding in findings)
    assert {finding["feature"] for finding in findings} >= {"position_in_line", "characters_to_line_end"}
    best = findings[0]
    page = tmp_path / "cell.html"
    cell = f"{best['layer']}:{best['unit']}"
    shown = poet("lens", trained_run.id, "--validation", "--cell", cell, "--json", "--html", str(page))
    assert shown.returncode == 0, shown.stderr
    trace = json.loads(shown.stdout)
    assert trace["layer"] == best["layer"] and all(-1 <= token["activation"] <= 1 for token in trace["tokens"])
    assert "tanh(cell)" in page.read_text(encoding="utf-8")
    table = poet("lens", trained_run.id, "--find-cells", "--layer", "0")
    assert table.returncode == 0 and "position_in_line" in table.stdout


def test_a_prompt_is_completed_and_scored(trained_run: Run) -> None:
    result = poet("lens", trained_run.id, "--prompt", "The moon", "--seed", "3", "--length", "20", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["prompt"] == "The moon" and document["source"] == "completion"
    assert 1 <= len(document["tokens"]) <= 20


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        (["--cell", "0"], "--cell takes LAYER:UNIT"),
        (["--cell", "9:0"], "layer 9 does not exist: this model has layers 0 to 1"),
        (["--cell", "0:999"], "unit 999 does not exist"),
        (["--find-cells", "--layer", "5"], "layer 5 does not exist"),
        (["--top", "0"], "--top must be between 1 and 100"),
        (["--seed", "3"], "give them with --prompt"),
        (["--text", "/nowhere/poem.txt"], "does not exist"),
        (["--cell", "0:1", "--find-cells"], "not allowed with argument"),
    ],
)
def test_bad_input_is_one_sentence_and_exit_2(trained_run: Run, arguments: list[str], fragment: str) -> None:
    assert_one_line_error(poet("lens", trained_run.id, *arguments), fragment)


def test_bad_files_and_targets(trained_run: Run, tmp_path: Path) -> None:
    binary = tmp_path / "image.png"
    binary.write_bytes(b"\x89PNG\r\n\x00\x00binary")
    assert_one_line_error(poet("lens", trained_run.id, "--text", str(binary)), "binary file")
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n\n", encoding="utf-8")
    assert_one_line_error(poet("lens", trained_run.id, "--text", str(empty)), "holds no text")
    assert not alphabet_has(trained_run, "☃")
    snowman = tmp_path / "snow.txt"
    snowman.write_text("The ☃ moon\n", encoding="utf-8")
    assert_one_line_error(poet("lens", trained_run.id, "--text", str(snowman)), "never saw: '☃'")
    poem = tmp_path / "poem.txt"
    poem.write_text("The moon\n", encoding="utf-8")
    assert_one_line_error(poet("lens", trained_run.id, "--text", str(poem), "--html", str(tmp_path)), "is a folder")
    missing = tmp_path / "no-such-folder" / "page.html"
    assert_one_line_error(poet("lens", trained_run.id, "--text", str(poem), "--html", str(missing)), "does not exist")


def test_an_export_folder_has_no_validation_text(trained_run: Run, tmp_path: Path) -> None:
    folder = tmp_path / "exported"
    assert poet("export", trained_run.id, str(folder)).returncode == 0
    assert_one_line_error(poet("lens", str(folder), "--find-cells"), "pass --text FILE")
    poem = tmp_path / "poem.txt"
    poem.write_text("The moon and the sea\n", encoding="utf-8")
    assert poet("lens", str(folder), "--text", str(poem), "--json").returncode == 0


def test_the_page_never_overwrites_the_text_it_reads(trained_run: Run, tmp_path: Path) -> None:
    poem = tmp_path / "poem.txt"
    poem.write_text("The moon\n", encoding="utf-8")
    result = poet("lens", trained_run.id, "--text", str(poem), "--html", str(poem))
    assert_one_line_error(result, "is the --text file being read")
    assert poem.read_text(encoding="utf-8") == "The moon\n"


def test_a_link_to_a_missing_folder_makes_no_folder(tmp_path: Path) -> None:
    from poet_tui.cli.lens_html import check_html_target, write_page
    from poet_tui.errors import PoetError

    link = tmp_path / "page.html"
    link.symlink_to(tmp_path / "nowhere" / "deeper" / "page.html")
    with pytest.raises(PoetError, match="does not exist; create it"):
        write_page(str(link), "<p>page</p>")
    assert not (tmp_path / "nowhere").exists()
    (tmp_path / "nowhere" / "deeper").mkdir(parents=True)
    check_html_target(str(link))
    write_page(str(link), "<p>page</p>")
    assert link.is_symlink() and (tmp_path / "nowhere" / "deeper" / "page.html").read_text() == "<p>page</p>"


def test_a_page_the_disk_refuses_is_one_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from poet_tui import atomic
    from poet_tui.cli.lens_html import write_page
    from poet_tui.errors import PoetError

    def full(path: Path, text: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic, "atomic_write_text", full)
    with pytest.raises(PoetError, match=r"could not be written to .*page.html \(No space left on device\)"):
        write_page(str(tmp_path / "page.html"), "<p>page</p>")


def test_a_huge_file_is_refused_by_its_size_unread(trained_run: Run, tmp_path: Path) -> None:
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as handle:
        handle.truncate(50_000_000)  # sparse: all NUL bytes, which a read would call binary
    assert_one_line_error(poet("lens", trained_run.id, "--text", str(huge)), "50,000,000 bytes; the lens reads")
    assert_one_line_error(poet("lens", trained_run.id, "--text", str(tmp_path)), "is a folder; give a text file")


def test_alternatives_the_lens_cannot_hold_are_refused(trained_run: Run, tmp_path: Path) -> None:
    """--top 100 --json over 50,000 characters would keep 5,000,000 alternatives; the terminal view keeps none."""
    poem = tmp_path / "long.txt"
    poem.write_text("the moon and the sea\n" * 2_400, encoding="utf-8")
    result = poet("lens", trained_run.id, "--text", str(poem), "--top", "100", "--json")
    assert_one_line_error(result, "keeps 5,040,000 alternatives, more than the 4,000,000 the lens holds")
    assert poet("lens", trained_run.id, "--text", str(poem), "--top", "100").returncode == 0


def test_the_validation_text_is_cut_at_a_poems_end(trained_run: Run) -> None:
    from poet_tui.generation import load_for_generation
    from poet_tui.lens.lens_text import lens_text_for, validation_documents
    from poet_tui.lens.tokens import POEM_JOINER

    loaded = load_for_generation(trained_run.id, device="cpu")
    poems = [document.text for document in validation_documents(loaded)]
    assert len(poems) >= 2 and lens_text_for(loaded) == POEM_JOINER.join(poems)
    two = len(POEM_JOINER.join(poems[:2]))
    assert lens_text_for(loaded, two + 1) == POEM_JOINER.join(poems[:2])
    assert lens_text_for(loaded, 5) == poems[0][:5]  # a first poem longer than the limit is cut
