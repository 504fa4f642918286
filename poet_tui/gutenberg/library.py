"""The Gutenberg library on this machine: the catalogue and the books downloaded so far, under
`$POET_HOME/gutenberg/`, fetched from the mirror only when missing, damaged or asked for.

    gutenberg/pg_catalog.csv   + pg_catalog.json (sha256, size, URL, when)   the catalogue
    gutenberg/books/<id>/pg<id>.txt + pg<id>.json                            one book, as the mirror serves it
    gutenberg/corpora/<name>.jsonl + <name>.source.json                      a corpus made from books (adding.py)

Nothing here imports textual; every method may run in a worker thread, reports progress through a callback
`progress(done_bytes, total_bytes_or_None)` and stops when its `cancel` event is set.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from poet_tui.corpus_reading import shown
from poet_tui.errors import PoetError
from poet_tui.gutenberg.cache_files import FileRecord, checked_file, forget, held_lock, now_iso, write_record
from poet_tui.gutenberg.catalogue import Catalogue, parse_catalogue
from poet_tui.gutenberg.download import (
    FileRequest,
    NetworkSettings,
    NotOnMirror,
    ProgressCallback,
    Unreachable,
    download_file,
)
from poet_tui.gutenberg.mirror import book_url, catalogue_url, checked_mirror, configured_mirror, parse_book_id
from poet_tui.gutenberg.stripping import decode_book
from poet_tui.paths import poet_home

if TYPE_CHECKING:
    from poet_tui.gutenberg.adding import AddedCorpus

NoticeCallback = Callable[[str], None]
BOOK_LIMIT_BYTES = 64 * 2**20  # the longest Gutenberg plain texts are under 20 MiB
CATALOGUE_LIMIT_BYTES = 256 * 2**20  # the real one is about 15 MiB


@dataclass(frozen=True)
class CachedBook:
    """A book's file, checked against its recorded checksum, and whether it was on disk already."""

    id: int
    path: Path
    record: FileRecord
    from_cache: bool
    data: bytes = field(repr=False)

    def text(self) -> str:
        """The file decoded: UTF-8 (a byte order mark dropped), `\\n` line endings; otherwise one sentence."""
        return decode_book(self.data, f"book {self.id}")


def ignore_notice(message: str) -> None:
    """The default notice callback: say nothing."""


class GutenbergLibrary:
    """The catalogue and books under `home/gutenberg` (home: POET_HOME), fetched from `mirror`
    (default: POET_GUTENBERG_MIRROR, else gutenberg.org) with `network`'s timeouts and retries."""

    def __init__(self, home: Path | None = None, mirror: str | None = None, network: NetworkSettings | None = None):
        self.directory = (home if home is not None else poet_home()) / "gutenberg"
        self.mirror = checked_mirror(mirror) if mirror else configured_mirror()
        self.network = network or NetworkSettings()
        self._parsed: tuple[str, Catalogue] | None = None  # (sha256, catalogue): parsed once per file
        self._parse_lock = threading.Lock()

    # ----- where things are
    @property
    def catalogue_path(self) -> Path:
        return self.directory / "pg_catalog.csv"

    def book_path(self, book_id: int) -> Path:
        return self.directory / "books" / str(book_id) / f"pg{book_id}.txt"

    @property
    def corpora_directory(self) -> Path:
        return self.directory / "corpora"

    # ----- the catalogue
    def cached_catalogue(self) -> Catalogue | None:
        """The catalogue on disk if there is a sound one; no network. For searching offline."""
        checked, _ = checked_file(self.catalogue_path, CATALOGUE_LIMIT_BYTES)
        if checked is None:
            return None
        try:
            return self.parsed(checked.data, checked.record)
        except PoetError:
            return None

    def catalogue(
        self,
        refresh: bool = False,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        notice: NoticeCallback = ignore_notice,
    ) -> Catalogue:
        """The cached catalogue, downloaded first when there is none, it is damaged, or `refresh` asks."""
        with held_lock(self.directory / "pg_catalog.lock", cancel, "the catalogue"):
            if not refresh:
                checked, problem = checked_file(self.catalogue_path, CATALOGUE_LIMIT_BYTES)
                if checked is not None:
                    try:
                        return self.parsed(checked.data, checked.record)
                    except PoetError as error:
                        problem = str(error)
                if problem:
                    notice(f"the cached catalogue is damaged ({problem}); downloading it again.")
            return self.download_catalogue(refresh, progress, cancel)

    def download_catalogue(
        self, refresh: bool, progress: ProgressCallback | None, cancel: threading.Event | None
    ) -> Catalogue:
        url = catalogue_url(self.mirror)
        request = FileRequest(url, self.catalogue_path, CATALOGUE_LIMIT_BYTES, "the Gutenberg catalogue")
        try:
            fetched = download_file(request, self.network, progress, cancel)
        except Unreachable as error:
            kept = self.cached_catalogue() if refresh else None
            if kept is not None:
                raise PoetError(f"{error} The catalogue of {kept.date} is still there to search.") from None
            raise PoetError(
                f"no Gutenberg catalogue is cached yet, and {str(error)[0].lower()}{str(error)[1:]}"
            ) from None
        record = FileRecord(url, fetched.sha256, fetched.size, now_iso())
        write_record(self.catalogue_path, record)
        checked, problem = checked_file(self.catalogue_path, CATALOGUE_LIMIT_BYTES)
        if checked is None:
            raise PoetError(f"the catalogue just downloaded could not be read back ({problem}); try again.")
        try:
            return self.parsed(checked.data, record)
        except PoetError:
            forget(self.catalogue_path)  # not a catalogue (an error page?): never searched, fetched again next time
            raise

    def parsed(self, data: bytes, record: FileRecord) -> Catalogue:
        """Parse once per file: the app searches the same in-memory index on every key."""
        with self._parse_lock:
            if self._parsed is not None and self._parsed[0] == record.sha256:
                return self._parsed[1]
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise PoetError(
                    "the downloaded catalogue is not UTF-8 text; download it again with "
                    "`poet corpora gutenberg update`."
                ) from None
            catalogue = parse_catalogue(text, record.date)
            self._parsed = (record.sha256, catalogue)
            return catalogue

    # ----- books
    def fetch_book(
        self,
        book_id: int | str,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        notice: NoticeCallback = ignore_notice,
    ) -> CachedBook:
        """The book's plain text from the cache, or from the mirror (resuming a `.part`) when missing or damaged."""
        number = parse_book_id(book_id)
        path = self.book_path(number)
        with held_lock(path.with_name("download.lock"), cancel, f"book {number}"):
            checked, problem = checked_file(path, BOOK_LIMIT_BYTES)
            if checked is not None:
                return CachedBook(number, path, checked.record, True, checked.data)
            if problem:
                notice(f"the cached copy of book {number} is damaged ({problem}); downloading it again.")
                forget(path)
            url = book_url(self.mirror, number)
            request = FileRequest(url, path, BOOK_LIMIT_BYTES, f"book {number}")
            try:
                fetched = download_file(request, self.network, progress, cancel)
            except NotOnMirror as error:
                raise PoetError(
                    f"book {number} has no plain-text file on the mirror ({shown(error.url)} answered {error.answer}); "
                    "check the number with `poet corpora gutenberg search`: some books are only audio or images."
                ) from None
            record = FileRecord(url, fetched.sha256, fetched.size, now_iso())
            write_record(path, record)
            checked, problem = checked_file(path, BOOK_LIMIT_BYTES)
            if checked is None:
                raise PoetError(f"book {number} could not be read back after downloading ({problem}); try again.")
            return CachedBook(number, path, record, False, checked.data)

    def cached_book_ids(self) -> list[int]:
        """The books downloaded so far (whether still sound is checked when one is read)."""
        books = self.directory / "books"
        if not books.is_dir():
            return []
        return sorted(int(entry.name) for entry in books.iterdir() if entry.name.isdigit() and entry.is_dir())

    # ----- corpora
    def add_books(
        self,
        book_ids: Sequence[int | str],
        name: str | None = None,
        *,
        as_prose: bool = False,
        replace: bool = False,
        progress: Callable[[int, int, int | None], None] | None = None,
        cancel: threading.Event | None = None,
        notice: NoticeCallback = ignore_notice,
    ) -> AddedCorpus:
        """Fetch the books, split them into poems (or keep them whole with `as_prose`) and register the corpus;
        `progress(book_id, done_bytes, total_bytes)`. See adding.add_books."""
        from poet_tui.gutenberg.adding import add_books

        return add_books(self, book_ids, name, as_prose=as_prose, replace=replace, progress=progress,
                         cancel=cancel, notice=notice)  # fmt: skip
