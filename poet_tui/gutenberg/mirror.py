"""Where Project Gutenberg's files are fetched from, and where each one lives on a mirror.

`POET_GUTENBERG_MIRROR` names a mirror (http, https, or a `file://` folder copied in the same layout) for a user
behind a proxy or with a local copy; the default is Gutenberg's own site. Standard proxy variables (`https_proxy`,
`no_proxy`, …) are honoured by urllib itself.
"""

from __future__ import annotations

import os
import urllib.parse

from poet_tui.corpus_reading import shown
from poet_tui.errors import PoetError

DEFAULT_MIRROR = "https://www.gutenberg.org"
MIRROR_VARIABLE = "POET_GUTENBERG_MIRROR"
CATALOGUE_PATH = "cache/epub/feeds/pg_catalog.csv"
# Gutenberg ids are small whole numbers; a longer one is a typo, never a book.
MAX_BOOK_ID = 10**7


def configured_mirror() -> str:
    """The mirror from POET_GUTENBERG_MIRROR, checked, else Gutenberg's own site."""
    return checked_mirror(os.environ.get(MIRROR_VARIABLE) or DEFAULT_MIRROR)


def checked_mirror(mirror: str) -> str:
    """A mirror URL without its trailing slash; anything but http, https or file is one sentence."""
    text = mirror.strip()
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("http", "https", "file") or (parts.scheme != "file" and not parts.netloc):
        raise PoetError(
            f"the Gutenberg mirror '{shown(mirror)}' is not an http://, https:// or file:// address; "
            f"set {MIRROR_VARIABLE} to one, e.g. {DEFAULT_MIRROR}."
        )
    if parts.query or parts.fragment:
        raise PoetError(f"the Gutenberg mirror '{shown(mirror)}' has a query or fragment; give the bare address.")
    return text.rstrip("/")


def user_agent() -> str:
    """poet-tui names itself, as Gutenberg asks of programs that download from it."""
    import poet_tui

    return f"poet-tui/{poet_tui.__version__} (Project Gutenberg corpus download; Python urllib)"


def catalogue_url(mirror: str) -> str:
    return f"{mirror}/{CATALOGUE_PATH}"


def book_url(mirror: str, book_id: int) -> str:
    """The plain-text (UTF-8) file of one book: `cache/epub/{id}/pg{id}.txt`."""
    return f"{mirror}/cache/epub/{book_id}/pg{book_id}.txt"


def parse_book_id(text: str | int) -> int:
    """A Gutenberg book number as typed ("1342", "#1342", "pg1342"); anything else is one sentence."""
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    else:
        cleaned = str(text).strip().lower().removeprefix("#").removeprefix("pg")
        if not cleaned.isascii() or not cleaned.isdigit():
            raise PoetError(
                f"'{shown(text)}' is not a Project Gutenberg book number; "
                "find one with `poet corpora gutenberg search WORDS`."
            )
        value = int(cleaned)
    if not 0 < value < MAX_BOOK_ID:
        raise PoetError(f"{value} is not a Project Gutenberg book number (they run from 1 to about 80,000).")
    return value
