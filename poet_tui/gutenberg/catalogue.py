"""Gutenberg's published catalogue (`pg_catalog.csv`) parsed once and searched in memory.

The columns are `Text#,Type,Issued,Title,Language,Authors,Subjects,LoCC,Bookshelves`; only `Text` rows are
books (the rest are recordings, images, data). A search is words that must all appear, in any case and with or
without accents, across title, authors, subjects and bookshelves; filters narrow by language, author, title or
subject. The real catalogue (~75,000 books) parses in about a second and searches in milliseconds, so the app
can parse it once in a worker and search it on every key.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from poet_tui.errors import PoetError

REQUIRED_COLUMNS = ("Text#", "Type", "Title", "Language", "Authors")
OPTIONAL_COLUMNS = ("Issued", "Subjects", "Bookshelves")
LIFE_DATES = re.compile(r",?\s*(?:-?\d{1,4}\??\s*(?:BCE?|AD)?\s*-\s*-?\d{0,4}\??\s*(?:BCE?|AD)?|active.*|fl\..*)$")
ROLE = re.compile(r"\s*\[[^\]]*\]\s*$")


@dataclass(frozen=True)
class BookEntry:
    """One book of the catalogue. `authors` as Gutenberg writes them ("Dickinson, Emily, 1830-1886")."""

    id: int
    title: str
    authors: tuple[str, ...]
    languages: tuple[str, ...]
    issued: str = ""
    subjects: str = ""
    bookshelves: str = ""

    @property
    def author(self) -> str:
        """The first author as a reader would say it ("Emily Dickinson"), "and others" when there are more."""
        if not self.authors:
            return ""
        first = reader_name(self.authors[0])
        return f"{first} and others" if len(self.authors) > 1 else first

    @property
    def language(self) -> str:
        return ", ".join(self.languages)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "author": self.author,
            "authors": list(self.authors),
            "languages": list(self.languages),
            "issued": self.issued,
            "subjects": self.subjects,
            "bookshelves": self.bookshelves,
        }


def reader_name(catalogue_name: str) -> str:
    """ "Dickinson, Emily, 1830-1886 [Editor]" -> "Emily Dickinson"; names without a comma stay as written."""
    name = LIFE_DATES.sub("", ROLE.sub("", catalogue_name)).strip().rstrip(",")
    last, comma, first = name.partition(", ")
    if comma and first and "," not in first:
        return f"{first} {last}"
    return name


def folded(text: str) -> str:
    """Lower case without accents, so "bronte" finds "Brontë"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(character for character in decomposed if not unicodedata.combining(character)).casefold()


def one_line(text: str) -> str:
    """Catalogue titles may hold line breaks ("Poems\\r\\nSecond series"): one line for a table."""
    return " ".join(text.split())


@dataclass
class Catalogue:
    """The parsed catalogue and its search index. `date` is the day it was downloaded (YYYY-MM-DD)."""

    books: list[BookEntry]
    date: str = ""
    skipped_rows: int = 0
    _by_id: dict[int, BookEntry] = field(init=False, repr=False)
    _everything: list[str] = field(init=False, repr=False)
    _titles: list[str] = field(init=False, repr=False)
    _authors: list[str] = field(init=False, repr=False)
    _subjects: list[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id = {book.id: book for book in self.books}
        self._titles = [folded(book.title) for book in self.books]
        self._authors = [folded(" ; ".join(book.authors)) for book in self.books]
        self._subjects = [folded(f"{book.subjects} ; {book.bookshelves}") for book in self.books]
        self._everything = [
            f"{title}\n{authors}\n{subjects}"
            for title, authors, subjects in zip(self._titles, self._authors, self._subjects, strict=True)
        ]

    def __len__(self) -> int:
        return len(self.books)

    def get(self, book_id: int) -> BookEntry | None:
        return self._by_id.get(book_id)

    def search(
        self,
        text: str = "",
        *,
        language: str | None = None,
        author: str | None = None,
        title: str | None = None,
        subject: str | None = None,
        limit: int | None = 50,
    ) -> list[BookEntry]:
        """Books matching every word of `text` and every filter; those with the words in the title or author
        first, then by number. A bare number finds that book."""
        words = folded(text).split()
        if len(words) == 1 and words[0].isdigit() and not (language or author or title or subject):
            book = self.get(int(words[0]))
            if book is not None:
                return [book]
        filters = [(self._authors, folded(author or "")), (self._titles, folded(title or "")),
                   (self._subjects, folded(subject or ""))]  # fmt: skip
        wanted_language = (language or "").strip().lower()
        scored: list[tuple[int, int, BookEntry]] = []
        for index, book in enumerate(self.books):
            everything = self._everything[index]
            if not all(word in everything for word in words):
                continue
            if any(needle and needle not in column[index] for column, needle in filters):
                continue
            if wanted_language and wanted_language not in book.languages:
                continue
            score = sum(
                3 if word in self._titles[index] else 2 if word in self._authors[index] else 1 for word in words
            )
            scored.append((-score, book.id, book))
        scored.sort(key=lambda item: (item[0], item[1]))
        found = [book for _, _, book in scored]
        return found if limit is None else found[: max(0, limit)]

    def languages(self) -> list[str]:
        """Every language code in the catalogue, the commonest first (for a filter's choices)."""
        counts: dict[str, int] = {}
        for book in self.books:
            for language in book.languages:
                counts[language] = counts.get(language, 0) + 1
        return sorted(counts, key=lambda code: (-counts[code], code))


def parse_catalogue(text: str, date: str = "") -> Catalogue:
    """The `Text` rows of pg_catalog.csv; a file without its header is a sentence, a malformed row is skipped."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise not_a_catalogue("it is empty") from None
    columns = {name.strip().lstrip("\ufeff"): index for index, name in enumerate(header)}
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise not_a_catalogue(f"it has no {', '.join(missing)} column")
    books, skipped = entries_from_rows(reader, columns)
    return Catalogue(books, date, skipped)


def entries_from_rows(rows: Iterable[list[str]], columns: dict[str, int]) -> tuple[list[BookEntry], int]:
    books: list[BookEntry] = []
    skipped = 0
    width = max(columns.values()) + 1

    def cell(row: list[str], name: str) -> str:
        index = columns.get(name)
        return row[index] if index is not None and index < len(row) else ""

    try:
        for row in rows:
            if len(row) < min(width, len(REQUIRED_COLUMNS)) or not cell(row, "Text#").strip().isdigit():
                skipped += bool(row)
                continue
            if cell(row, "Type").strip() != "Text":
                continue
            books.append(
                BookEntry(
                    id=int(cell(row, "Text#")),
                    title=one_line(cell(row, "Title")),
                    authors=tuple(part.strip() for part in cell(row, "Authors").split(";") if part.strip()),
                    languages=tuple(part.strip().lower() for part in cell(row, "Language").split(";") if part.strip()),
                    issued=cell(row, "Issued").strip(),
                    subjects=one_line(cell(row, "Subjects")),
                    bookshelves=one_line(cell(row, "Bookshelves")),
                )
            )
    except csv.Error as error:
        raise not_a_catalogue(f"it is not valid CSV: {error}") from None
    return books, skipped


def not_a_catalogue(detail: str) -> PoetError:
    return PoetError(
        f"the downloaded catalogue is not Gutenberg's pg_catalog.csv ({detail}); "
        "download it again with `poet corpora gutenberg update`, or check POET_GUTENBERG_MIRROR."
    )
