"""Books to a registered corpus: fetch, strip the licence, split into poems (or keep as prose), write one
`.jsonl` under `$POET_HOME/gutenberg/corpora/`, and register it through the corpus registry's own functions, so
`poet corpora list|show`, the Corpus pane and training see it like any other corpus.

Everything that can be refused is refused before anything is written: a bad or taken name before any download, a
book that yields no poems before the corpus file; nothing is registered half-way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from poet_tui.corpus_reading import shown
from poet_tui.corpus_registration import BundledCorpusName, CorpusNameTaken, register_corpus, registered_entry
from poet_tui.corpus_registry import NAME_RULE, CorpusEntry, bundled_corpora, is_usable_name
from poet_tui.errors import PoetError
from poet_tui.formatting import plural
from poet_tui.gutenberg.cache_files import now_iso
from poet_tui.gutenberg.catalogue import reader_name
from poet_tui.gutenberg.corpus_file import (
    LICENCE,
    BookSource,
    CorpusDocument,
    corpus_title,
    origin_line,
    prose_documents,
    write_corpus,
    write_source,
)
from poet_tui.gutenberg.download import DownloadCancelled
from poet_tui.gutenberg.mirror import parse_book_id
from poet_tui.gutenberg.stripping import strip_licence
from poet_tui.gutenberg.verse_split import SplitReport, split_poems

if TYPE_CHECKING:
    from poet_tui.gutenberg.library import CachedBook, GutenbergLibrary, NoticeCallback

MAX_BOOKS = 200


@dataclass(frozen=True)
class AddedBook:
    """One book of an added corpus: what it is, how many documents it gave, and what splitting kept."""

    id: int
    title: str
    author: str
    documents: int
    report: SplitReport | None  # None with --as-prose
    from_cache: bool

    def summary(self) -> str:
        kept = (
            self.report.summary()
            if self.report is not None
            else f"kept whole as prose ({plural(self.documents, 'document')})"
        )
        return f"#{self.id} {self.title or 'untitled'}: {kept}"


@dataclass(frozen=True)
class AddedCorpus:
    entry: CorpusEntry
    replaced: CorpusEntry | None
    books: list[AddedBook]


def default_name(book_ids: Sequence[int]) -> str:
    """`gutenberg-1342`, `gutenberg-1342-2701`; many books: `gutenberg-1342-and-9-more` (names stay short)."""
    name = "gutenberg-" + "-".join(str(book_id) for book_id in book_ids)
    return name if len(name) <= 64 else f"gutenberg-{book_ids[0]}-and-{len(book_ids) - 1}-more"


def wanted_ids(book_ids: Sequence[int | str]) -> list[int]:
    numbers = list(dict.fromkeys(parse_book_id(book_id) for book_id in book_ids))
    if not numbers:
        raise PoetError("no book numbers given; find some with `poet corpora gutenberg search WORDS`.")
    if len(numbers) > MAX_BOOKS:
        raise PoetError(f"{len(numbers)} books at once is more than {MAX_BOOKS}; add them in smaller corpora.")
    return numbers


def check_name(name: str, replace: bool) -> None:
    """A bad, bundled or (without `replace`) taken name is refused before anything is downloaded."""
    if not is_usable_name(name):
        raise PoetError(f"'{shown(name)}' is not a usable corpus name; {NAME_RULE}.")
    if any(entry.name == name for entry in bundled_corpora()):
        raise BundledCorpusName(name)
    if not replace:
        taken = registered_entry(name)
        if taken is not None:
            raise CorpusNameTaken(taken)


def add_books(
    library: GutenbergLibrary,
    book_ids: Sequence[int | str],
    name: str | None = None,
    *,
    as_prose: bool = False,
    replace: bool = False,
    progress: Callable[[int, int, int | None], None] | None = None,
    cancel: threading.Event | None = None,
    notice: NoticeCallback | None = None,
) -> AddedCorpus:
    """Fetch each book (cached ones are not fetched again), make the corpus, register it as `name`."""
    numbers = wanted_ids(book_ids)
    corpus_name = name if name is not None else default_name(numbers)
    check_name(corpus_name, replace)
    say = notice or (lambda message: None)
    documents: list[CorpusDocument] = []
    added: list[AddedBook] = []
    sources: list[BookSource] = []
    for number in numbers:

        def book_progress(done: int, total: int | None, number: int = number) -> None:
            if progress is not None:
                progress(number, done, total)

        book = library.fetch_book(number, book_progress, cancel, say)
        book_documents, book_added, source = book_corpus(book, as_prose, say, catalogue_names(library))
        documents.extend(book_documents)
        added.append(book_added)
        sources.append(source)
    if cancel is not None and cancel.is_set():
        raise DownloadCancelled("cancelled before the corpus was written; the books downloaded are kept.")
    path = library.corpora_directory / f"{corpus_name}.jsonl"
    write_corpus(path, documents)
    write_source(path, library.mirror, as_prose, sources, now_iso())
    entry, replaced = register_corpus(
        path,
        corpus_name,
        replace=replace,
        title=corpus_title(sources),
        provenance={"origin": origin_line(sources, library.mirror), "licence": LICENCE},
    )
    return AddedCorpus(entry, replaced, added)


def catalogue_names(library: GutenbergLibrary) -> Callable[[int], tuple[str, str]]:
    """A book's title and author from the cached catalogue (parsed only if a book's header lacks them; the
    catalogue is never downloaded for this)."""

    def lookup(book_id: int) -> tuple[str, str]:
        catalogue = library.cached_catalogue()
        entry = catalogue.get(book_id) if catalogue is not None else None
        return (entry.title, entry.author) if entry is not None else ("", "")

    return lookup


def book_corpus(
    book: CachedBook,
    as_prose: bool,
    say: Callable[[str], None],
    names: Callable[[int], tuple[str, str]] = lambda book_id: ("", ""),
) -> tuple[list[CorpusDocument], AddedBook, BookSource]:
    """One book's documents: its poems, or its whole text as prose; a verse book with no poems is a sentence."""
    stripped = strip_licence(book.text())
    title = stripped.header_fields.get("title", "")
    author = reader_name(stripped.header_fields.get("author", ""))
    if not title or not author:
        catalogued_title, catalogued_author = names(book.id)
        title, author = title or catalogued_title, author or catalogued_author
    described = f"book {book.id}" + (f" ({title})" if title else "")
    if not stripped.had_markers:
        say(f"{described} has no Project Gutenberg start/end markers; all of its text is kept.")
    if not stripped.text.strip():
        raise PoetError(f"{described} holds no text once its licence header and footer are cut off.")
    report: SplitReport | None = None
    if as_prose:
        documents = prose_documents(stripped.text, title or f"Gutenberg #{book.id}", author)
    else:
        result = split_poems(stripped.text)
        report = result.report
        if not result.poems:
            raise PoetError(
                f"{described} yielded no poems (splitting dropped {report.dropped() or 'everything'}); if it is "
                "prose, add it with --as-prose to keep its whole text."
            )
        documents = [CorpusDocument(poem.title, author, poem.text) for poem in result.poems]
    added = AddedBook(book.id, title, author, len(documents), report, book.from_cache)
    source = BookSource(book.id, title, author, book.record.url, book.record.sha256, added.summary())
    return documents, added, source
