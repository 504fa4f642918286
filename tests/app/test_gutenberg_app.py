"""Add from Gutenberg in the app (ctrl+g in the Corpus pane), against a mirror on 127.0.0.1: search as you
type, a preview of what splitting finds, adding with a progress bar, a missing book in one sentence, a dropped
connection resumed, and a cancelled download resumed from its `.part` by the next add. No test waits on the
clock: a stall lasts until the test releases the server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Label, ProgressBar, Static

from poet_tui.app import gutenberg_work
from poet_tui.app.corpus_pane import CorpusPane
from poet_tui.app.gutenberg_dialog import BookTable, GutenbergScreen
from poet_tui.app.modals import ReplaceCorpusScreen
from poet_tui.corpus_registration import registered_entry
from poet_tui.corpus_registry import find_corpus
from poet_tui.gutenberg import GutenbergLibrary, NetworkSettings, download
from tests.helpers import gutenberg_books as books
from tests.helpers.gutenberg_server import MirrorServer, closed_port_url, running_mirror
from tests.helpers.pilot import RecordingApp, run_app, text_of, wait_until

BOOK_PATH = "/cache/epub/12242/pg12242.txt"


@pytest.fixture
def mirror(monkeypatch: pytest.MonkeyPatch) -> Iterator[MirrorServer]:
    """The catalogue and two books (1342 is catalogued, not served); 1 KiB reads, so a book arrives in pieces;
    retries without waiting."""
    monkeypatch.setattr(download, "CHUNK_BYTES", 1024)
    network = NetworkSettings(timeout_s=10, attempts=3, backoff_s=0, sleep=lambda _: None)
    monkeypatch.setattr(gutenberg_work, "NETWORK", network)
    for server in running_mirror(monkeypatch):
        server.catalogue(books.CATALOGUE)
        server.book(1041, books.SONNETS)
        server.book(12242, books.DICKINSON)
        yield server


@pytest.fixture
def cached(mirror: MirrorServer) -> MirrorServer:
    """The catalogue downloaded before the app starts, as after `poet corpora gutenberg search`."""
    GutenbergLibrary().catalogue()
    return mirror


def status(app: RecordingApp) -> str:
    return text_of(app.screen.query_one("#gutenberg-status", Label))


def message(app: RecordingApp) -> str:
    return text_of(app.screen.query_one("#gutenberg-message", Label))


def preview(app: RecordingApp) -> str:
    return text_of(app.screen.query_one("#gutenberg-preview", Static))


def listed(app: RecordingApp) -> list[int]:
    table = app.screen.query_one(BookTable)
    return [int(str(row.value)) for row in table.rows]


async def open_dialog(pilot: Pilot[Any], app: RecordingApp) -> GutenbergScreen:
    await wait_until(pilot, lambda: app.query_one(CorpusPane).highlighted is not None)
    await pilot.press("ctrl+g")
    await wait_until(pilot, lambda: isinstance(app.screen, GutenbergScreen))
    screen = app.screen
    assert isinstance(screen, GutenbergScreen)
    return screen


async def search(pilot: Pilot[Any], app: RecordingApp, words: str, expected: list[int]) -> None:
    await pilot.press(*words)
    await wait_until(pilot, lambda: sorted(listed(app)) == sorted(expected), timeout=20)


def test_search_as_you_type_preview_and_add_with_progress(cached: MirrorServer, poet_home: Path) -> None:
    app = RecordingApp(load_engine=False)

    async def script(pilot: Pilot[Any]) -> None:
        screen = await open_dialog(pilot, app)
        await wait_until(pilot, lambda: "Type words" in status(app))
        await search(pilot, app, "poe", [26, 1041, 1365, 4800, 12242])  # words match as typed
        await search(pilot, app, "ms dick", [12242])  # "poems dick": narrowed as the words grow
        assert "1 book" in status(app)
        await pilot.press("down")  # from the search box to the results
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: preview(app).startswith("#12242: ") and not screen.busy, timeout=20)
        assert preview(app).startswith("#12242: ")
        assert "dropped" in preview(app) and "Success is counted sweetest" in preview(app)
        assert "PREFACE" not in preview(app).split("\n", 1)[1]  # the preface is dropped, not shown as a poem
        await pilot.press("enter")  # choose it
        assert screen.chosen == [12242]
        assert screen.query_one("#gutenberg-name").placeholder == "gutenberg-12242"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")  # the book the preview fetched is added from the cache
        await wait_until(pilot, lambda: not isinstance(app.screen, GutenbergScreen), timeout=30)
        pane = app.query_one(CorpusPane)
        await wait_until(pilot, lambda: pane.highlighted == "gutenberg-12242")
        assert any("Added corpus 'gutenberg-12242': #12242" in note for note, _ in app.notes)
        assert not app.errors()

    run_app(app, script, size=(100, 30))
    entry = find_corpus("gutenberg-12242")
    assert entry is not None and entry.documents is not None and entry.documents > 3
    assert len(cached.requests_for(BOOK_PATH)) == 1  # the preview's download was used again, not fetched twice


def test_no_cached_catalogue_is_said_and_ctrl_r_downloads_it(mirror: MirrorServer) -> None:
    app = RecordingApp(load_engine=False)

    async def script(pilot: Pilot[Any]) -> None:
        await open_dialog(pilot, app)
        await wait_until(pilot, lambda: "No Gutenberg catalogue is cached yet" in status(app))
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: "Type words" in status(app), timeout=20)
        await search(pilot, app, "sonnets", [1041])

    run_app(app, script)


def test_a_book_missing_from_the_mirror_is_one_sentence_and_nothing_is_registered(cached: MirrorServer) -> None:
    app = RecordingApp(load_engine=False)

    async def script(pilot: Pilot[Any]) -> None:
        screen = await open_dialog(pilot, app)
        await search(pilot, app, "austen", [1342])  # in the catalogue, not on the mirror
        await pilot.press("down", "ctrl+s")
        await wait_until(pilot, lambda: app.errors() and not screen.busy, timeout=20)
        said = message(app)
        assert said.startswith("Book 1342 has no plain-text file on the mirror") and "\n" not in said
        assert "Traceback" not in said and app.errors() == [said]
        assert isinstance(app.screen, GutenbergScreen)  # the dialog stays for another choice

    run_app(app, script)
    assert registered_entry("gutenberg-1342") is None


def test_a_connection_dropped_mid_body_is_resumed_and_the_book_added(cached: MirrorServer) -> None:
    cached.book(12242, books.DICKINSON, drop_after=2048)
    app = RecordingApp(load_engine=False)

    async def script(pilot: Pilot[Any]) -> None:
        await open_dialog(pilot, app)
        await search(pilot, app, "dickinson", [12242])
        await pilot.press("down", "ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, GutenbergScreen), timeout=30)

    run_app(app, script)
    assert registered_entry("gutenberg-12242") is not None
    assert [seen.range for seen in cached.requests_for(BOOK_PATH)] == [None, "bytes=2048-"]


def test_cancel_mid_download_keeps_the_part_and_adding_again_resumes(cached: MirrorServer, poet_home: Path) -> None:
    cached.book(12242, books.DICKINSON, stall_after=2048)
    part = poet_home / "gutenberg" / "books" / "12242" / "pg12242.txt.part"
    app = RecordingApp(load_engine=False)

    async def script(pilot: Pilot[Any]) -> None:
        screen = await open_dialog(pilot, app)
        await search(pilot, app, "dickinson", [12242])
        await pilot.press("down", "ctrl+s")
        bar = screen.query_one("#gutenberg-progress", ProgressBar)
        await wait_until(pilot, lambda: cached.stalled.is_set() and bar.progress == 2048)
        assert bar.display and bar.total == len(books.DICKINSON.encode("utf-8"))
        assert message(app).startswith("Downloading book 12242: 2.0 KiB of ")
        await pilot.press("escape")  # cancels the download; the dialog stays
        cached.release.set()  # the stalled response ends, and the worker sees the cancel
        await wait_until(pilot, lambda: not screen.busy, timeout=20)
        assert "cancelled" in message(app) and "kept and resumed next time" in message(app)
        assert isinstance(app.screen, GutenbergScreen) and not app.errors()
        assert part.stat().st_size == 2048 and registered_entry("gutenberg-12242") is None
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, GutenbergScreen), timeout=30)

    run_app(app, script)
    assert registered_entry("gutenberg-12242") is not None and not part.exists()
    assert cached.requests_for(BOOK_PATH)[-1].range == "bytes=2048-"


def test_a_taken_name_asks_before_replacing(cached: MirrorServer, tiny_corpus: Path) -> None:
    from poet_tui.corpus_registration import add_corpus

    add_corpus(tiny_corpus, "verse")
    app = RecordingApp(load_engine=False)

    async def script(pilot: Pilot[Any]) -> None:
        await open_dialog(pilot, app)
        await search(pilot, app, "sonnets", [1041])
        await pilot.press("down", "enter", "tab", "tab", *"verse", "enter")  # table, preview, name
        await wait_until(pilot, lambda: isinstance(app.screen, ReplaceCorpusScreen))
        await pilot.press("escape")  # keep the registered one
        await wait_until(pilot, lambda: "Kept the registered corpus 'verse'" in message(app))
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ReplaceCorpusScreen))
        await pilot.press("left", "enter")  # "Replace it"
        await wait_until(pilot, lambda: not isinstance(app.screen, (GutenbergScreen, ReplaceCorpusScreen)), 30)

    run_app(app, script)
    entry = registered_entry("verse")
    assert entry is not None and "gutenberg" in str(entry.path)


def test_offline_without_a_catalogue_and_a_bad_name_are_one_sentence_each(
    mirror: MirrorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = RecordingApp(load_engine=False)

    async def script(pilot: Pilot[Any]) -> None:
        screen = await open_dialog(pilot, app)
        await wait_until(pilot, lambda: "No Gutenberg catalogue is cached yet" in status(app))
        monkeypatch.setattr(screen.session.library(), "mirror", closed_port_url())  # the network goes away
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: app.errors() and not screen.busy, timeout=20)
        assert message(app).startswith("No Gutenberg catalogue is cached yet, and ") and "\n" not in message(app)
        assert "No Gutenberg catalogue is cached yet: ctrl+r" in status(app)
        monkeypatch.setattr(screen.session.library(), "mirror", mirror.url)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: "Type words" in status(app), timeout=20)
        await search(pilot, app, "sonnets", [1041])
        await pilot.press("down", "enter", "tab", "tab", *"my [b]poems", "enter")
        await wait_until(pilot, lambda: len(app.errors()) == 2 and not screen.busy, timeout=20)
        assert message(app).startswith("'my [b]poems' is not a usable corpus name")  # shown as typed, not markup
        assert not mirror.requests_for("/cache/epub/1041/pg1041.txt")  # refused before any download

    run_app(app, script)
