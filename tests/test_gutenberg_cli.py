"""`poet corpora gutenberg search | add | update` as a user runs them, against a mirror on 127.0.0.1: tables and
JSON on stdout, progress on stderr, one-line refusals with exit code 2, and Ctrl-C leaving a resumable part."""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from poet_tui.gutenberg import library as library_module
from tests.forked import start_forked
from tests.helpers import gutenberg_books as books
from tests.helpers import poet
from tests.helpers.gutenberg_server import MirrorServer, closed_port_url, running_mirror


@pytest.fixture
def mirror(monkeypatch: pytest.MonkeyPatch) -> Iterator[MirrorServer]:
    yield from running_mirror(monkeypatch)


def assert_one_line_error(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    """Exit code 2 and one "poet: " line (after any progress lines of a download that did happen)."""
    stderr = result.stderr
    assert result.returncode == 2, stderr
    lines = [line for line in stderr.strip().splitlines() if not line.startswith(("downloading ", "downloaded "))]
    assert len(lines) == 1 and lines[0].startswith("poet: ") and "Traceback" not in stderr, stderr
    assert fragment in lines[0], lines[0]


def quick_network() -> None:
    """A setup for a `poet` child: two tries with no wait between, so giving up takes no real time."""
    original = library_module.NetworkSettings
    library_module.NetworkSettings = functools.partial(original, attempts=2, backoff_s=0.0)  # type: ignore[misc]


def test_search_prints_a_table_dated_by_the_catalogue_and_json_on_request(mirror: MirrorServer) -> None:
    mirror.catalogue(books.CATALOGUE)
    result = poet("corpora", "gutenberg", "search", "dickinson")
    assert result.returncode == 0, result.stderr
    assert "Gutenberg catalogue of 20" in result.stdout and ": 1 book matching 'dickinson'" in result.stdout
    assert "12242" in result.stdout and "Poems, Series One" in result.stdout and "Emily Dickinson" in result.stdout
    assert "downloading the Gutenberg catalogue" in result.stderr  # no terminal: plain lines, on stderr
    as_json = poet("corpora", "gutenberg", "search", "poetry", "--language", "en", "--limit", "2", "--json")
    document = json.loads(as_json.stdout)
    assert document["matches"] == 4 and [book["id"] for book in document["books"]] == [26, 1041]
    assert document["mirror"] == mirror.url and len(document["catalogue_date"]) == 10
    assert as_json.stderr == ""  # the catalogue was cached: nothing downloaded, nothing said
    nothing = poet("corpora", "gutenberg", "search", "zebra")
    assert nothing.returncode == 0 and "no books in the Gutenberg catalogue of" in nothing.stdout
    assert len(mirror.requests) == 1


def test_add_registers_a_corpus_that_show_describes_with_its_origin_and_licence(mirror: MirrorServer) -> None:
    mirror.book(12242, books.DICKINSON)
    added = poet("corpora", "gutenberg", "add", "12242")
    assert added.returncode == 0, added.stderr
    assert "#12242 Poems, Series One: 5 poems (44 lines); dropped " in added.stdout
    assert "registered gutenberg-12242: 5 documents" in added.stdout
    shown = poet("corpora", "show", "gutenberg-12242")
    assert "origin" in shown.stdout and "#12242 Poems, Series One by Emily Dickinson" in shown.stdout
    assert "Public domain in the USA" in shown.stdout and "Success is counted sweetest" in shown.stdout
    document = json.loads(poet("corpora", "show", "gutenberg-12242", "--json").stdout)
    assert document["licence"].startswith("Public domain in the USA") and document["origin"].startswith(
        "Project Gutenberg"
    )
    assert "gutenberg-12242" in poet("corpora", "list").stdout
    again = poet("corpora", "gutenberg", "add", "12242")
    assert_one_line_error(again, "already registered")
    assert "--replace" in again.stderr


def test_refusals_are_one_line(mirror: MirrorServer) -> None:
    mirror.book(1342, books.NOVEL)
    assert_one_line_error(poet("corpora", "gutenberg", "add", "99999"), "book 99999 has no plain-text file")
    assert_one_line_error(poet("corpora", "gutenberg", "add", "1342"), "add it with --as-prose")
    assert_one_line_error(poet("corpora", "gutenberg", "add", "x1"), "not a Project Gutenberg book number")
    assert_one_line_error(poet("corpora", "gutenberg", "search"), "give some words to search for")
    assert_one_line_error(poet("corpora", "gutenberg"), "name an action")
    prose = poet("corpora", "gutenberg", "add", "1342", "--as-prose", "--name", "austen")
    assert prose.returncode == 0 and "kept whole as prose (1 document)" in prose.stdout


def test_offline_with_no_catalogue_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POET_GUTENBERG_MIRROR", closed_port_url())
    result = poet("corpora", "gutenberg", "search", "dickinson", setup=quick_network)
    assert_one_line_error(result, "no Gutenberg catalogue is cached yet, and could not download")


def test_a_bad_mirror_variable_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POET_GUTENBERG_MIRROR", "gopher://old.example")
    assert_one_line_error(poet("corpora", "gutenberg", "search", "x"), "POET_GUTENBERG_MIRROR")


def wait_for_size(path: Path, size: int) -> None:
    """Until the child has written `size` bytes (a net against a hang, not a timing assumption)."""
    deadline = time.monotonic() + 60
    while not (path.exists() and path.stat().st_size >= size):
        assert time.monotonic() < deadline, f"{path} never reached {size} bytes"
        time.sleep(0.02)


def test_ctrl_c_during_a_download_exits_130_and_the_next_add_resumes(mirror: MirrorServer, poet_home: Path) -> None:
    """The server sends 3,000 bytes and stalls until released; Ctrl-C then stops the child at once."""
    mirror.book(12242, books.DICKINSON, stall_after=3000)
    part = poet_home / "gutenberg" / "books" / "12242" / "pg12242.txt.part"
    child = start_forked("corpora", "gutenberg", "add", "12242")
    try:
        wait_for_size(part, 3000)
        os.kill(child.pid, signal.SIGINT)
        result = child.finish(60)
    finally:
        if child.process.is_alive():
            child.process.kill()
    assert result.returncode == 130, result.stderr
    assert "the same command resumes it" in result.stderr and "poet: interrupted." in result.stderr
    assert "Traceback" not in result.stderr
    assert part.stat().st_size == 3000
    resumed = poet("corpora", "gutenberg", "add", "12242")
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming after" in resumed.stderr
    assert mirror.requests_for("/cache/epub/12242/pg12242.txt")[-1].range == "bytes=3000-"
