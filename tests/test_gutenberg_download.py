"""Books from a mirror on 127.0.0.1 that misbehaves on purpose: resumed after a dropped connection or a stall,
restarted when Range is ignored, refused when too big or missing, retried with backoff, cancelled and resumed,
and checked against their checksum every time they are read back. No test touches the real network, and no test
waits on the clock to pass: a stall lasts until the server is released, and only the client's timeout ends it."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from poet_tui.errors import PoetError
from poet_tui.gutenberg import download
from poet_tui.gutenberg import library as library_module
from poet_tui.gutenberg.download import DownloadCancelled, NetworkSettings
from poet_tui.gutenberg.library import GutenbergLibrary
from tests.helpers import gutenberg_books as books
from tests.helpers.gutenberg_server import MirrorServer, closed_port_url, running_mirror

BOOK = books.DICKINSON.encode("utf-8")
BOOK_PATH = "/cache/epub/12242/pg12242.txt"


@pytest.fixture
def mirror(monkeypatch: pytest.MonkeyPatch) -> Iterator[MirrorServer]:
    yield from running_mirror(monkeypatch)


@pytest.fixture
def waits() -> list[float]:
    """The backoff waits a download asked for, in order (none is really slept)."""
    return []


def library_for(url: str, waits: list[float], attempts: int = 4, timeout_s: float = 10.0) -> GutenbergLibrary:
    """Backoff waits recorded instead of slept; a timeout long enough that only a real stall reaches it."""
    network = NetworkSettings(timeout_s=timeout_s, attempts=attempts, backoff_s=0.01, sleep=waits.append)
    return GutenbergLibrary(mirror=url, network=network)


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """1 KiB reads, so a 6 KiB book arrives in several pieces that a cancel or a drop can fall between."""
    monkeypatch.setattr(download, "CHUNK_BYTES", 1024)


def test_a_book_downloads_once_and_is_then_read_from_the_cache(mirror: MirrorServer, waits: list[float]) -> None:
    mirror.book(12242, BOOK)
    library = library_for(mirror.url, waits)
    first = library.fetch_book(12242)
    again = library.fetch_book("12242")
    assert first.data == again.data == BOOK and not first.from_cache and again.from_cache
    assert first.record.sha256 == hashlib.sha256(BOOK).hexdigest() and first.record.size == len(BOOK)
    assert len(mirror.requests_for(BOOK_PATH)) == 1
    assert (mirror.requests_for(BOOK_PATH)[0].user_agent or "").startswith("poet-tui/")
    record = json.loads(first.path.with_suffix(".json").read_text(encoding="utf-8"))
    assert record["url"] == f"{mirror.url}{BOOK_PATH}" and record["sha256"] == first.record.sha256
    assert not list(first.path.parent.glob("*.part*")) and waits == []


def test_a_dropped_connection_is_resumed_with_a_range_request(mirror: MirrorServer, waits: list[float]) -> None:
    mirror.book(12242, BOOK, drop_after=2500)
    book = library_for(mirror.url, waits).fetch_book(12242)
    assert book.data == BOOK
    ranges = [seen.range for seen in mirror.requests_for(BOOK_PATH)]
    assert ranges == [None, "bytes=2500-"]
    assert mirror.requests_for(BOOK_PATH)[1].if_range == '"v1"'  # the version the part came from
    assert waits == [0.01]


def test_a_body_that_stalls_times_out_and_resumes(mirror: MirrorServer, waits: list[float]) -> None:
    """The server sends 3,000 bytes and then nothing until released (only at teardown): the read timeout ends
    the wait, and the next try asks for the rest."""
    mirror.book(12242, BOOK, stall_after=3000)
    book = library_for(mirror.url, waits, timeout_s=1.0).fetch_book(12242)
    assert book.data == BOOK and mirror.stalled.is_set()
    assert [seen.range for seen in mirror.requests_for(BOOK_PATH)] == [None, "bytes=3000-"]


def test_a_server_that_ignores_range_restarts_the_file_cleanly(mirror: MirrorServer, waits: list[float]) -> None:
    mirror.book(12242, BOOK, drop_after=2000, honour_range=False)
    book = library_for(mirror.url, waits).fetch_book(12242)
    assert book.data == BOOK  # not the first 2,000 bytes twice
    assert [seen.range for seen in mirror.requests_for(BOOK_PATH)] == [None, "bytes=2000-"]


def test_a_part_of_another_version_is_fetched_whole(mirror: MirrorServer, waits: list[float]) -> None:
    """If-Range: the file changed on the mirror since the part was written, so the server sends all of it."""
    mirror.book(12242, BOOK, drop_after=2000)
    library = library_for(mirror.url, waits, attempts=1)
    with pytest.raises(PoetError, match=r"after 1 try .*; the 2 KiB that arrived are kept and resumed"):
        library.fetch_book(12242)
    mirror.behaviours[BOOK_PATH].etag = '"v2"'
    assert library.fetch_book(12242).data == BOOK
    assert mirror.requests_for(BOOK_PATH)[-1].if_range == '"v1"'


def test_a_cancel_keeps_the_part_and_the_next_fetch_resumes_it(mirror: MirrorServer, waits: list[float]) -> None:
    mirror.book(12242, BOOK)
    library = library_for(mirror.url, waits)
    cancel = threading.Event()
    seen: list[tuple[int, int | None]] = []

    def progress(done: int, total: int | None) -> None:
        seen.append((done, total))
        if done >= 2048:
            cancel.set()  # checked before the next read: what arrived until now is on disk

    with pytest.raises(DownloadCancelled, match="kept and resumed next time"):
        library.fetch_book(12242, progress, cancel)
    part = library.book_path(12242).with_name("pg12242.txt.part")
    kept = seen[-1][0]
    assert 2048 <= kept < len(BOOK) and part.stat().st_size == kept and not library.book_path(12242).exists()
    assert seen[0] == (0, len(BOOK))
    book = library.fetch_book(12242)
    assert book.data == BOOK and mirror.requests_for(BOOK_PATH)[-1].range == f"bytes={kept}-"
    assert not part.exists()


def test_a_whole_part_answered_416_is_finished_without_a_body(mirror: MirrorServer, waits: list[float]) -> None:
    mirror.book(12242, BOOK)
    library = library_for(mirror.url, waits)
    path = library.book_path(12242)
    path.parent.mkdir(parents=True)
    path.with_name("pg12242.txt.part").write_bytes(BOOK)
    path.with_name("pg12242.txt.part.json").write_text(
        json.dumps({"url": f"{mirror.url}{BOOK_PATH}", "validator": '"v1"'}), encoding="utf-8"
    )
    assert library.fetch_book(12242).data == BOOK
    assert [seen.range for seen in mirror.requests_for(BOOK_PATH)] == [f"bytes={len(BOOK)}-"]


def test_a_missing_book_is_one_sentence_and_not_retried(mirror: MirrorServer, waits: list[float]) -> None:
    with pytest.raises(PoetError, match=r"book 99999 has no plain-text file on the mirror \(.*answered 404"):
        library_for(mirror.url, waits).fetch_book(99999)
    assert len(mirror.requests) == 1 and waits == []


def test_server_errors_are_retried_with_exponential_backoff(mirror: MirrorServer, waits: list[float]) -> None:
    mirror.book(12242, BOOK, status=503, status_times=3)
    assert library_for(mirror.url, waits).fetch_book(12242).data == BOOK
    assert waits == [0.01, 0.02, 0.04]


def test_offline_is_one_sentence_after_a_bounded_number_of_tries(waits: list[float]) -> None:
    with pytest.raises(PoetError) as caught:
        library_for(closed_port_url(), waits, attempts=3).fetch_book(12242)
    message = str(caught.value)
    assert "could not download book 12242" in message and "after 3 tries" in message
    assert "check the network connection" in message and "\n" not in message
    assert waits == [0.01, 0.02]


def test_a_book_over_the_size_cap_is_refused_and_nothing_kept(
    mirror: MirrorServer, waits: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(library_module, "BOOK_LIMIT_BYTES", 4096)
    mirror.book(12242, BOOK)  # announced by Content-Length
    mirror.book(1041, books.SONNETS * 3, send_length=False)  # found out while streaming
    library = library_for(mirror.url, waits)
    with pytest.raises(PoetError, match="more than the 4 KiB poet-tui accepts"):
        library.fetch_book(12242)
    with pytest.raises(PoetError, match="more than the 4 KiB poet-tui accepts"):
        library.fetch_book(1041)
    assert not [path for path in library.directory.rglob("*") if path.is_file() and "lock" not in path.name]


def test_a_damaged_cached_copy_is_downloaded_again_with_a_sentence(mirror: MirrorServer, waits: list[float]) -> None:
    mirror.book(12242, BOOK)
    library = library_for(mirror.url, waits)
    path = library.fetch_book(12242).path
    path.write_bytes(BOOK.replace(b"Success", b"Failure"))
    notices: list[str] = []
    book = library.fetch_book(12242, notice=notices.append)
    assert book.data == BOOK and not book.from_cache and len(mirror.requests_for(BOOK_PATH)) == 2
    assert notices == [
        "the cached copy of book 12242 is damaged (its checksum no longer matches the one recorded when it was "
        "downloaded); downloading it again."
    ]
    path.with_suffix(".json").write_text("{not json", encoding="utf-8")
    assert library.fetch_book(12242, notice=notices.append).data == BOOK
    assert "has no valid record of its checksum" in notices[-1]


def test_a_link_planted_as_the_part_is_refused(mirror: MirrorServer, waits: list[float], tmp_path: Path) -> None:
    mirror.book(12242, BOOK)
    library = library_for(mirror.url, waits)
    outside = tmp_path / "outside.txt"
    outside.write_text("mine", encoding="utf-8")
    part = library.book_path(12242).with_name("pg12242.txt.part")
    part.parent.mkdir(parents=True)
    part.symlink_to(outside)
    library.fetch_book(12242)
    assert outside.read_text(encoding="utf-8") == "mine"  # the link was dropped, never written through


def test_a_file_mirror_serves_a_local_copy(tmp_path: Path, waits: list[float]) -> None:
    book = tmp_path / "mirror" / "cache" / "epub" / "1041" / "pg1041.txt"
    book.parent.mkdir(parents=True)
    book.write_text(books.SONNETS, encoding="utf-8")
    library = library_for(f"file://{tmp_path / 'mirror'}", waits)
    assert library.fetch_book(1041).text() == books.SONNETS
    with pytest.raises(PoetError, match="book 1042 has no plain-text file on the mirror"):
        library.fetch_book(1042)


@pytest.mark.parametrize("bad", ["", "abc", "-3", "0", "1.5", "99999999999", "١٢"])
def test_a_bad_book_number_is_one_sentence(bad: str, waits: list[float]) -> None:
    with pytest.raises(PoetError, match="Project Gutenberg book number"):
        library_for(closed_port_url(), waits).fetch_book(bad)


@pytest.mark.parametrize("bad", ["ftp://example.org", "gutenberg.org", "http://", "https://x.org/?q=1"])
def test_a_bad_mirror_is_one_sentence(bad: str) -> None:
    with pytest.raises(PoetError, match="mirror"):
        GutenbergLibrary(mirror=bad)
