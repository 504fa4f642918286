"""The Gutenberg dialog's background work and the messages it posts: loading the catalogue, searching it,
fetching a book to preview and adding books as a corpus. Everything here runs in worker threads and only posts
messages (the dialog alone touches widgets); every failure arrives as one sentence, never a traceback.

One `GutenbergSession` lives as long as the Corpus pane, so the catalogue is parsed once per app however often
the dialog opens."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

from poet_tui.errors import PoetError

if TYPE_CHECKING:
    from poet_tui.corpus_registry import CorpusEntry
    from poet_tui.gutenberg import AddedCorpus, BookEntry, Catalogue, GutenbergLibrary, NetworkSettings

SEARCH_LIMIT = 200
PREVIEW_POEMS = 3
PREVIEW_LINES = 12
# How patient downloads are (None: the engine's defaults); tests set a quicker one.
NETWORK: NetworkSettings | None = None


class CatalogueReady(Message):
    """The catalogue was read from the cache or downloaded; None: there is none cached yet."""

    def __init__(self, catalogue: Catalogue | None, downloaded: bool = False) -> None:
        super().__init__()
        self.catalogue = catalogue
        self.downloaded = downloaded


class SearchFound(Message):
    """The books matching one search; `generation` tells a stale answer from the latest."""

    def __init__(self, generation: int, words: str, books: list[BookEntry], matches: int) -> None:
        super().__init__()
        self.generation = generation
        self.words = words
        self.books = books
        self.matches = matches


class TransferProgress(Message):
    """Bytes of one download so far. A newer one replaces a pending one: the bar shows only the latest."""

    def __init__(self, what: str, done: int, total: int | None) -> None:
        super().__init__()
        self.what = what
        self.done = done
        self.total = total

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, TransferProgress)


@dataclass(frozen=True)
class BookPreview:
    """What splitting makes of a book: the report's sentence and its first poems (title, text)."""

    book_id: int
    summary: str
    poems: list[tuple[str, str]]
    problem: str = ""  # set when splitting found no poems


class PreviewReady(Message):
    def __init__(self, preview: BookPreview) -> None:
        super().__init__()
        self.preview = preview


class BooksAdded(Message):
    def __init__(self, added: AddedCorpus) -> None:
        super().__init__()
        self.added = added


class AddNameTaken(Message):
    """The corpus name is registered already: the dialog asks before replacing (nothing was downloaded)."""

    def __init__(self, registered: CorpusEntry) -> None:
        super().__init__()
        self.registered = registered


class GutenbergFailed(Message):
    """A step failed (or was cancelled): one sentence; `cancelled` ones are not errors."""

    def __init__(self, sentence: str, cancelled: bool = False) -> None:
        super().__init__()
        self.sentence = sentence
        self.cancelled = cancelled


class GutenbergNotice(Message):
    """Something worth telling that is not a failure (a damaged cached copy fetched again)."""

    def __init__(self, sentence: str) -> None:
        super().__init__()
        self.sentence = sentence


Post = Callable[[Message], object]


def notice_poster(post: Post) -> Callable[[str], None]:
    def notice(sentence: str) -> None:
        post(GutenbergNotice(sentence))

    return notice


def sentence_of(error: PoetError) -> str:
    """A PoetError's sentence with a capital letter, as a line of the dialog."""
    text = str(error)
    return text[:1].upper() + text[1:]


class GutenbergSession:
    """The library and the parsed catalogue, shared by every opening of the dialog (one per Corpus pane)."""

    def __init__(self) -> None:
        self._library: GutenbergLibrary | None = None
        self.catalogue: Catalogue | None = None
        self.previews: dict[int, BookPreview] = {}
        self._lock = threading.Lock()

    def library(self) -> GutenbergLibrary:
        """Made on first use, so a bad POET_GUTENBERG_MIRROR is a sentence in the dialog, not at start."""
        from poet_tui.gutenberg import GutenbergLibrary

        with self._lock:
            if self._library is None:
                self._library = GutenbergLibrary(network=NETWORK)
            return self._library

    # ----- each of these runs in a worker thread and only posts
    def load_catalogue(self, post: Post, download: bool, cancel: threading.Event) -> None:
        catalogue: Catalogue | None
        try:
            if download:
                catalogue = self.library().catalogue(
                    refresh=self.catalogue is not None,
                    progress=progress_poster(post, "the Gutenberg catalogue"),
                    cancel=cancel,
                    notice=notice_poster(post),
                )
            else:
                catalogue = self.catalogue or self.library().cached_catalogue()
        except PoetError as error:
            post(GutenbergFailed(sentence_of(error), cancelled=cancel.is_set()))
            return
        self.catalogue = catalogue
        post(CatalogueReady(catalogue, downloaded=download))

    def search(self, post: Post, generation: int, words: str) -> None:
        catalogue = self.catalogue
        if catalogue is None:
            return
        found = catalogue.search(words, limit=None) if words.strip() else []
        post(SearchFound(generation, words, found[:SEARCH_LIMIT], len(found)))

    def preview(self, post: Post, book_id: int, cancel: threading.Event) -> None:
        from poet_tui.gutenberg import split_poems
        from poet_tui.gutenberg.stripping import strip_licence

        try:
            book = self.library().fetch_book(
                book_id,
                progress_poster(post, f"book {book_id}"),
                cancel,
                notice_poster(post),
            )
            stripped = strip_licence(book.text())
        except PoetError as error:
            post(GutenbergFailed(sentence_of(error), cancelled=cancel.is_set()))
            return
        result = split_poems(stripped.text)
        poems = [(poem.title, clipped(poem.text)) for poem in result.poems[:PREVIEW_POEMS]]
        problem = ""
        if not result.poems:
            dropped = result.report.dropped() or "everything"
            problem = f'Splitting found no poems (it dropped {dropped}); switch on "as prose" to keep the whole text.'
        preview = BookPreview(book_id, result.report.summary(), poems, problem)
        self.previews[book_id] = preview
        post(PreviewReady(preview))

    def add(
        self, post: Post, book_ids: list[int], name: str | None, as_prose: bool, replace: bool, cancel: threading.Event
    ) -> None:
        from poet_tui.corpus_registration import BundledCorpusName, CorpusNameTaken

        count = len(book_ids)

        def progress(book_id: int, done: int, total: int | None) -> None:
            place = f" ({book_ids.index(book_id) + 1} of {count})" if count > 1 and book_id in book_ids else ""
            post(TransferProgress(f"book {book_id}{place}", done, total))

        try:
            added = self.library().add_books(
                book_ids,
                name,
                as_prose=as_prose,
                replace=replace,
                progress=progress,
                cancel=cancel,
                notice=notice_poster(post),
            )
        except CorpusNameTaken as taken:
            post(AddNameTaken(taken.registered))
            return
        except BundledCorpusName as error:
            post(GutenbergFailed(f"'{error.name}' is a bundled corpus and cannot be replaced; pick another name."))
            return
        except PoetError as error:
            post(GutenbergFailed(app_sentence(sentence_of(error)), cancelled=cancel.is_set()))
            return
        post(BooksAdded(added))


def app_sentence(sentence: str) -> str:
    """The engine's advice names CLI flags; in the dialog the same choice is the "as prose" switch."""
    return sentence.replace("add it with --as-prose", 'add it with "as prose" switched on')


def progress_poster(post: Post, what: str) -> Callable[[int, int | None], None]:
    def progress(done: int, total: int | None) -> None:
        post(TransferProgress(what, done, total))

    return progress


def clipped(text: str) -> str:
    lines = text.split("\n")
    return "\n".join(lines[:PREVIEW_LINES]) + ("\n…" if len(lines) > PREVIEW_LINES else "")
