"""The corpus a Gutenberg add registers: one `.jsonl` file in the bundled layout (`title`, `author`, `text`, a
poem a line) that the existing reader loads, and a `.source.json` beside it naming the books it came from.

With `--as-prose` a book is kept whole, in documents of a few thousand characters cut at paragraph breaks, so a
training run can still hold out whole documents for validation.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from poet_tui.atomic import atomic_write_text

PROSE_DOCUMENT_CHARACTERS = 4000
LICENCE = "Public domain in the USA (Project Gutenberg; gutenberg.org/policy/license.html)"


@dataclass(frozen=True)
class CorpusDocument:
    title: str
    author: str
    text: str


@dataclass(frozen=True)
class BookSource:
    """One book in a corpus: enough to say where it came from and to fetch it again."""

    id: int
    title: str
    author: str
    url: str
    sha256: str
    report: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "author": self.author, "url": self.url, "sha256": self.sha256,
                "split": self.report}  # fmt: skip


def prose_documents(text: str, title: str, author: str) -> list[CorpusDocument]:
    """The whole text in pieces of about PROSE_DOCUMENT_CHARACTERS, cut only between paragraphs."""
    paragraphs = [part.strip("\n") for part in re.split(r"\n[ \t]*\n(?:[ \t]*\n)*", text) if part.strip()]
    pieces: list[list[str]] = [[]]
    size = 0
    for paragraph in paragraphs:
        if pieces[-1] and size + len(paragraph) > PROSE_DOCUMENT_CHARACTERS:
            pieces.append([])
            size = 0
        pieces[-1].append(paragraph)
        size += len(paragraph) + 2
    count = len(pieces)
    return [
        CorpusDocument(f"{title} ({number}/{count})" if count > 1 else title, author, "\n\n".join(piece))
        for number, piece in enumerate(pieces, start=1)
        if piece
    ]


def write_corpus(path: Path, documents: list[CorpusDocument]) -> None:
    """One JSON object a line; written atomically, so a registered corpus is never half a file."""
    lines = (
        json.dumps({"title": document.title, "author": document.author, "text": document.text}, ensure_ascii=False)
        for document in documents
    )
    atomic_write_text(path, "\n".join(lines) + "\n")


def source_path(corpus_path: Path) -> Path:
    return corpus_path.with_name(corpus_path.name.removesuffix(".jsonl") + ".source.json")


def write_source(corpus_path: Path, mirror: str, as_prose: bool, books: list[BookSource], added: str) -> None:
    document = {
        "format": 1,
        "source": "Project Gutenberg",
        "mirror": mirror,
        "licence": LICENCE,
        "as_prose": as_prose,
        "added": added,
        "books": [book.to_json() for book in books],
    }
    atomic_write_text(source_path(corpus_path), json.dumps(document, ensure_ascii=False, indent=2) + "\n")


def origin_line(books: list[BookSource], mirror: str) -> str:
    """One line for the registry and `poet corpora show`: the books by number, title and author, and the mirror."""
    shown = [f"#{book.id} {book.title or 'untitled'}" + (f" by {book.author}" if book.author else "") for book in books]
    if len(shown) > 5:
        shown = [*shown[:5], f"and {len(books) - 5} more"]
    return f"Project Gutenberg: {'; '.join(shown)} (from {mirror})"


def corpus_title(books: list[BookSource]) -> str:
    first = books[0].title or f"Gutenberg #{books[0].id}"
    return first if len(books) == 1 else f"{first} and {len(books) - 1} more"
