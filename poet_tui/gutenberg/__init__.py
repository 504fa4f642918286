"""Project Gutenberg as a source of corpora: search its catalogue, download plain-text books, keep verse as verse.

The engine API (no textual; every call may run in a worker thread and is cancellable through a
`threading.Event`; progress arrives through callbacks, never printed):

    library = GutenbergLibrary(home=None, mirror=None, network=None)   # POET_HOME, POET_GUTENBERG_MIRROR
    catalogue = library.catalogue(refresh=False, progress=cb, cancel=event)   # downloads once, then cached
    library.cached_catalogue()                      # -> Catalogue | None, never touches the network
    catalogue.search("dickinson", language="en", author=None, title=None, subject=None, limit=50)
        -> list[BookEntry]                          # BookEntry: id, title, author, languages, issued, ...
    catalogue.date                                  # the day it was downloaded, "2026-11-30"
    book = library.fetch_book(1342, progress=cb, cancel=event, notice=say)   # -> CachedBook (checked sha256)
    split_poems(text) -> SplitResult                # .poems [Poem(title, text)], .report.summary()
    added = library.add_books([12242], name=None, as_prose=False, replace=False,
                              progress=lambda book_id, done, total: ..., cancel=event, notice=say)
        -> AddedCorpus                              # .entry (the registered CorpusEntry), .books [AddedBook]

`cb(done_bytes, total_bytes_or_None)`; `say(sentence)` for things worth telling (a damaged cached copy fetched
again, a book without licence markers). Failures are PoetError sentences; a cancel is DownloadCancelled (a
PoetError too), and what arrived so far stays as a `.part` that the next call resumes.

Modules: mirror (where files are), download (resumable, bounded fetching), cache_files (records and checks),
catalogue (parse and search), stripping (licence header and footer), block_shapes and verse_split (poems),
corpus_file and adding (the registered corpus), library (ties them together).
"""

from poet_tui.gutenberg.adding import AddedBook, AddedCorpus
from poet_tui.gutenberg.catalogue import BookEntry, Catalogue
from poet_tui.gutenberg.download import DownloadCancelled, NetworkSettings
from poet_tui.gutenberg.library import CachedBook, GutenbergLibrary
from poet_tui.gutenberg.verse_split import Poem, SplitReport, SplitResult, split_poems

__all__ = [
    "AddedBook",
    "AddedCorpus",
    "BookEntry",
    "CachedBook",
    "Catalogue",
    "DownloadCancelled",
    "GutenbergLibrary",
    "NetworkSettings",
    "Poem",
    "SplitReport",
    "SplitResult",
    "split_poems",
]
