"""Corpus formats, bad corpus input, the split, the bundled manifest and the user registry."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest

from poet_tui.corpus import Document, load_documents, split_documents
from poet_tui.corpus_registration import add_corpus, remove_corpus
from poet_tui.corpus_registry import all_corpora, bundled_corpora, resolve_corpus, user_corpora
from poet_tui.errors import PoetError
from poet_tui.paths import bundled_corpora_dir


def test_plain_text_documents_are_separated_by_two_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "poems.txt"
    path.write_text("First line\nsecond\n\nsame poem, new stanza\n\n\nAnother poem\n", encoding="utf-8")
    documents = load_documents(path)
    assert [document.text for document in documents] == [
        "First line\nsecond\n\nsame poem, new stanza",
        "Another poem",
    ]


def test_fortune_file_with_colour_codes(tmp_path: Path) -> None:
    path = tmp_path / "fortunes"
    path.write_text("\x1b[1;32m春晓\x1b[0m\n春眠不觉晓\n%\n处处闻啼鸟\n%\n", encoding="utf-8")
    assert [document.text for document in load_documents(path)] == ["春晓\n春眠不觉晓", "处处闻啼鸟"]


def test_chinese_poetry_json_layout(tmp_path: Path) -> None:
    path = tmp_path / "poet.tang.0.json"
    poems = [
        {"title": "静夜思", "author": "李白", "paragraphs": ["床前明月光，疑是地上霜。", "举头望明月，低头思故乡。"]}
    ]
    path.write_text(json.dumps(poems, ensure_ascii=False), encoding="utf-8")
    (document,) = load_documents(path)
    assert document == Document("床前明月光，疑是地上霜。\n举头望明月，低头思故乡。", "静夜思", "李白")


def test_directory_of_text_files_and_gzip(tmp_path: Path) -> None:
    folder = tmp_path / "poems"
    folder.mkdir()
    (folder / "a.txt").write_text("Poem A\n", encoding="utf-8")
    with gzip.open(folder / "b.txt.gz", "wt", encoding="utf-8") as handle:
        handle.write("Poem B\n")
    documents = load_documents(folder)
    assert [(document.title, document.text) for document in documents] == [("a", "Poem A"), ("b", "Poem B")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "holds no text"),
        (b"\n\n  \n", "holds no text"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"caf\xe9 au lait\n", "not valid UTF-8"),
    ],
    ids=["empty", "blank", "binary", "latin-1"],
)
def test_bad_corpus_files_are_refused_with_a_reason(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(PoetError, match=message):
        load_documents(path)


def test_split_is_by_documents_and_deterministic() -> None:
    documents = [Document(f"poem {index}") for index in range(100)]
    first = split_documents(documents, 0.1, seed=1)
    assert first == split_documents(documents, 0.1, seed=1)
    assert first != split_documents(documents, 0.1, seed=2)
    assert first.by_documents and len(first.validation) == 10 and len(first.train) == 90
    assert not set(first.validation) & set(first.train)


def test_few_documents_split_by_characters_at_a_line() -> None:
    text = "\n".join(f"line {index}" for index in range(100))
    split = split_documents([Document(text)], 0.1)
    assert not split.by_documents
    assert split.train[0].text + "\n" + split.validation[0].text == text


def test_bundled_corpora_match_their_manifest() -> None:
    manifest = json.loads((bundled_corpora_dir() / "manifest.json").read_text(encoding="utf-8"))
    names = {entry["name"] for entry in manifest["corpora"]}
    assert {"shakespeare-sonnets", "shakespeare-poems", "tang300", "song100", "shakespeare-plays"} <= names
    for entry in manifest["corpora"]:
        data = (bundled_corpora_dir() / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["name"]
        assert entry["source"]["package"] and entry["source"]["version"] and entry["licence"]
    sonnets = resolve_corpus("shakespeare-sonnets")
    assert len(sonnets.documents) == 154 and sonnets.stats().language == "en"
    tang = resolve_corpus("tang300")
    assert tang.stats().language == "zh" and all(document.author for document in tang.documents)
    plays = next(entry for entry in bundled_corpora() if entry.name == "shakespeare-plays")
    assert plays.characters >= 1_000_000


def test_register_list_and_forget_a_user_corpus(tiny_corpus: Path) -> None:
    entry = add_corpus(tiny_corpus, "mine")
    assert entry.documents == 40 and entry.language == "en"
    assert [corpus.name for corpus in user_corpora()] == ["mine"]
    assert "mine" in {corpus.name for corpus in all_corpora()}
    assert len(resolve_corpus("mine").documents) == 40
    remove_corpus("mine")
    assert user_corpora() == []
    assert tiny_corpus.exists()  # forgetting never deletes the user's file


def test_registering_refuses_bad_names_and_bundled_names(tiny_corpus: Path) -> None:
    with pytest.raises(PoetError, match="bundled"):
        add_corpus(tiny_corpus, "tang300")
    with pytest.raises(PoetError, match="not a usable corpus name"):
        add_corpus(tiny_corpus, "Has Spaces")
