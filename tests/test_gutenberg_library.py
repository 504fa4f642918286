"""The catalogue (downloaded once, searched offline) and books added as registered corpora, against a mirror on
127.0.0.1: what the registry, the corpus reader and `poet corpora show` then see, and what is refused first."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from poet_tui.corpus import load_documents
from poet_tui.corpus_registration import CorpusNameTaken, add_corpus
from poet_tui.corpus_registry import find_corpus
from poet_tui.errors import PoetError
from poet_tui.gutenberg import GutenbergLibrary, NetworkSettings
from tests.helpers import gutenberg_books as books
from tests.helpers.gutenberg_server import MirrorServer, closed_port_url, running_mirror

CATALOGUE_PATH = "/cache/epub/feeds/pg_catalog.csv"


@pytest.fixture
def mirror(monkeypatch: pytest.MonkeyPatch) -> Iterator[MirrorServer]:
    yield from running_mirror(monkeypatch)


def library_for(url: str | None = None) -> GutenbergLibrary:
    return GutenbergLibrary(
        mirror=url, network=NetworkSettings(timeout_s=10, attempts=2, backoff_s=0, sleep=lambda _: None)
    )


@pytest.fixture
def stocked(mirror: MirrorServer) -> MirrorServer:
    """The catalogue and the test books, one in Windows line endings with a byte order mark, one not UTF-8."""
    mirror.catalogue(books.CATALOGUE)
    mirror.book(12242, books.DICKINSON)
    mirror.book(1041, b"\xef\xbb\xbf" + books.SONNETS.replace("\n", "\r\n").encode("utf-8"))
    mirror.book(1342, books.NOVEL)
    mirror.book(1365, books.GAPS)
    mirror.book(4800, "Po\u00e8mes saturniens\n\nLes sanglots longs\n".encode("latin-1"))
    mirror.book(26, books.NO_MARKERS)
    return mirror


def test_the_catalogue_is_downloaded_once_and_searched_offline(stocked: MirrorServer) -> None:
    catalogue = library_for().catalogue()
    assert [book.id for book in catalogue.search("dickinson")] == [12242]  # the recording (Type Sound) is not a book
    entry = catalogue.search("dickinson")[0]
    assert (entry.title, entry.author, entry.language, entry.issued) == (
        "Poems, Series One", "Emily Dickinson and others", "en", "2004-05-01")  # fmt: skip
    assert [book.id for book in catalogue.search("POETRY", language="fr")] == [4800]
    assert [book.id for book in catalogue.search("miserables")] == [17489]  # accents folded
    assert [book.id for book in catalogue.search("poems", author="longfellow")] == [1365]
    assert catalogue.search("", subject="courtship")[0].title == "Pride and Prejudice"
    assert catalogue.get(1365) is not None and catalogue.get(1365).title == "Poems Longfellow's shorter verse"
    assert [book.id for book in catalogue.search("1041")] == [1041]
    assert [book.id for book in catalogue.search("poetry", limit=2)] == [26, 1041]
    assert catalogue.search("no such words at all") == []
    assert len(catalogue.date) == 10 and catalogue.date[4] == "-"
    stocked.close()
    offline = GutenbergLibrary(mirror=closed_port_url())
    assert [book.id for book in offline.catalogue().search("sonnets")] == [1041]
    assert offline.cached_catalogue() is not None
    assert len(stocked.requests_for(CATALOGUE_PATH)) == 1


def test_no_catalogue_and_no_network_is_one_sentence() -> None:
    with pytest.raises(PoetError) as caught:
        library_for(closed_port_url()).catalogue()
    message = str(caught.value)
    assert message.startswith("no Gutenberg catalogue is cached yet, and could not download the Gutenberg catalogue")
    assert "\n" not in message


def test_a_refresh_that_cannot_connect_keeps_the_catalogue_there_was(stocked: MirrorServer) -> None:
    library_for().catalogue()
    stocked.close()
    with pytest.raises(PoetError, match=r"The catalogue of \d{4}-\d\d-\d\d is still there to search\."):
        library_for(closed_port_url()).catalogue(refresh=True)
    assert library_for(closed_port_url()).catalogue().search("dickinson")


def test_a_page_that_is_not_the_catalogue_is_refused_and_not_kept(mirror: MirrorServer) -> None:
    mirror.catalogue("<html><body>Welcome to our mirror</body></html>\n")
    library = library_for()
    with pytest.raises(PoetError, match=r"not Gutenberg's pg_catalog\.csv"):
        library.catalogue()
    assert library.cached_catalogue() is None and not library.catalogue_path.exists()


def test_a_damaged_catalogue_is_downloaded_again(stocked: MirrorServer) -> None:
    library = library_for()
    library.catalogue()
    library.catalogue_path.write_text(books.CATALOGUE_HEADER, encoding="utf-8")
    notices: list[str] = []
    assert library_for().catalogue(notice=notices.append).search("dickinson")
    assert len(stocked.requests_for(CATALOGUE_PATH)) == 2 and "checksum no longer matches" in notices[0]


def test_a_verse_book_becomes_a_registered_corpus_of_its_poems(stocked: MirrorServer, poet_home: Path) -> None:
    added = library_for().add_books([12242])
    entry = find_corpus("gutenberg-12242")
    assert entry is not None and entry.path == added.entry.path and added.replaced is None
    assert entry.path == poet_home / "gutenberg" / "corpora" / "gutenberg-12242.jsonl"
    assert entry.title == "Poems, Series One" and entry.documents == 5
    assert entry.extra["licence"].startswith("Public domain in the USA")
    assert (
        entry.extra["origin"] == f"Project Gutenberg: #12242 Poems, Series One by Emily Dickinson (from {stocked.url})"
    )
    documents = load_documents(entry.path)
    assert [document.title for document in documents][:2] == ["I. SUCCESS", "Our share of night to bear"]
    assert {document.author for document in documents} == {"Emily Dickinson"}
    assert documents[0].text.split("\n")[:2] == ["Success is counted sweetest", "By those who ne'er succeed."]
    source = json.loads(entry.path.with_name("gutenberg-12242.source.json").read_text(encoding="utf-8"))
    assert source["books"][0]["id"] == 12242 and source["mirror"] == stocked.url
    assert source["books"][0]["split"].startswith("#12242 Poems, Series One: 5 poems (44 lines); dropped ")
    assert added.books[0].report is not None and added.books[0].report.poems == 5


def test_a_cached_book_is_added_again_offline(stocked: MirrorServer) -> None:
    library_for().add_books([1041])
    stocked.close()
    added = library_for(closed_port_url()).add_books([1041], "offline-sonnets")
    assert added.books[0].from_cache and added.entry.documents == 2


def test_several_books_make_one_corpus_and_windows_line_endings_are_undone(stocked: MirrorServer) -> None:
    added = library_for().add_books(["12242", "#1041", "pg1365", "1041"])
    assert added.entry.name == "gutenberg-12242-1041-1365" and added.entry.documents == 5 + 2 + 3
    texts = [document.text for document in load_documents(added.entry.path)]
    assert not any("\r" in text or "\ufeff" in text for text in texts)
    assert "Shall I compare thee to a summer's day?" in texts[5]
    assert added.entry.title == "Poems, Series One and 2 more"


def test_a_prose_book_is_refused_as_verse_and_kept_whole_as_prose(stocked: MirrorServer) -> None:
    with pytest.raises(PoetError, match=r"book 1342 \(Pride and Prejudice\) yielded no poems .* --as-prose"):
        library_for().add_books([1342])
    assert find_corpus("gutenberg-1342") is None
    added = library_for().add_books([1342], as_prose=True, name="austen")
    text = "\n".join(document.text for document in load_documents(added.entry.path))
    assert "It is a truth universally acknowledged" in text and "Chapter 2" in text
    assert "Project Gutenberg" not in text and added.books[0].report is None
    assert len(stocked.requests_for("/cache/epub/1342/pg1342.txt")) == 1  # the refused add's download is reused


def test_a_book_that_is_not_utf8_is_refused_and_nothing_registered(stocked: MirrorServer) -> None:
    with pytest.raises(PoetError, match="book 4800 is not UTF-8 text"):
        library_for().add_books([12242, 4800])
    assert find_corpus("gutenberg-12242-4800") is None
    assert not (library_for().corpora_directory / "gutenberg-12242-4800.jsonl").exists()


def test_a_book_without_markers_is_kept_whole_and_the_user_told(stocked: MirrorServer) -> None:
    notices: list[str] = []
    added = library_for().add_books([26], notice=notices.append)
    assert notices == ["book 26 has no Project Gutenberg start/end markers; all of its text is kept."]
    assert load_documents(added.entry.path)[0].text.startswith("Tyger Tyger, burning bright,")
    assert added.entry.title == "Gutenberg #26"  # no header, no catalogue cached: nothing better to call it
    library_for().catalogue()
    named = library_for().add_books([26], "named")
    assert named.entry.title == "Paradise Lost" and named.books[0].author == "John Milton"


def test_a_taken_name_is_refused_before_anything_is_downloaded(stocked: MirrorServer, tiny_corpus: Path) -> None:
    add_corpus(tiny_corpus, "mine")
    with pytest.raises(CorpusNameTaken):
        library_for().add_books([12242], "mine")
    assert stocked.requests == []
    added = library_for().add_books([12242], "mine", replace=True)
    assert added.replaced is not None and added.replaced.path == tiny_corpus.resolve()
    registered = find_corpus("mine")
    assert registered is not None and registered.path == added.entry.path


@pytest.mark.parametrize(
    ("name", "fragment"),
    [("Has Spaces", "not a usable corpus name"), ("tang300", "bundled corpus"), ("", "not a usable corpus name")],
)
def test_a_bad_or_bundled_name_is_refused_before_anything_is_downloaded(
    stocked: MirrorServer, name: str, fragment: str
) -> None:
    with pytest.raises(PoetError, match=fragment):
        library_for().add_books([12242], name)
    assert stocked.requests == []


def test_nothing_is_written_outside_poet_home(stocked: MirrorServer, tmp_path: Path, poet_home: Path) -> None:
    library_for().catalogue()
    library_for().add_books([12242, 1041])
    outside = [path for path in tmp_path.rglob("*") if poet_home not in path.parents and path != poet_home]
    assert outside == []
