"""A Gutenberg plain-text file down to the book: decoded, normalised, the licence header and footer cut off.

Gutenberg's `pg{id}.txt` is UTF-8 (often with a byte order mark and Windows line endings); anything else is
refused in one sentence rather than guessed at. The book lies between `*** START OF THE PROJECT GUTENBERG
EBOOK … ***` and `*** END OF … ***` (older files: `*END*THE SMALL PRINT!…*END*` then "End of the Project
Gutenberg EBook of …"); the credit lines that open many books ("Produced by …") go too. A file without the
markers is kept whole, and the result says so.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from poet_tui.errors import PoetError

START_MARKER = re.compile(
    r"^[ \t]*\*{3}[ \t]*START OF (?:THE|THIS) PROJECT GUTENBERG E-?(?:BOOK|TEXT)\b.*$", re.IGNORECASE | re.MULTILINE
)
END_MARKER = re.compile(
    r"^[ \t]*\*{3}[ \t]*END OF (?:THE|THIS) PROJECT GUTENBERG E-?(?:BOOK|TEXT)\b.*$", re.IGNORECASE | re.MULTILINE
)
OLD_HEADER_END = re.compile(r"^[ \t]*\*END\*THE SMALL PRINT!.*$", re.IGNORECASE | re.MULTILINE)
END_OF_BOOK_LINE = re.compile(r"^[ \t]*End of (?:the )?Project Gutenberg(?:'s)?\b.*$", re.IGNORECASE | re.MULTILINE)
CREDIT_BLOCK = re.compile(
    r"^(?:produced by|e-?text prepared by|transcribed (?:from .* )?by|this (?:e-?book|etext) was produced by)\b",
    re.IGNORECASE,
)
# The licence header names the book in lines like "Title: Poems"; read before it is cut.
HEADER_FIELD = re.compile(r"^(Title|Author|Language|Release [Dd]ate)\s*:\s*(.+)$", re.MULTILINE)


@dataclass(frozen=True)
class StrippedBook:
    """The book's own text, what the header said about it, and whether the markers were there."""

    text: str
    found_start: bool
    found_end: bool
    header_fields: dict[str, str]

    @property
    def had_markers(self) -> bool:
        return self.found_start or self.found_end


def decode_book(raw: bytes, what: str) -> str:
    """UTF-8 (a byte order mark dropped), line endings made `\\n`, NFC; binary or another encoding is a sentence."""
    if b"\x00" in raw[:1_000_000]:
        raise PoetError(f"{what} is not text (it holds NUL bytes); Gutenberg's plain-text files are UTF-8 text.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise PoetError(
            f"{what} is not UTF-8 text (a bad byte at offset {error.start}, line {line}); Gutenberg's "
            "plain-text files are UTF-8, so this copy is damaged or from an odd mirror."
        ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    return unicodedata.normalize("NFC", text)


def strip_licence(text: str) -> StrippedBook:
    """The text between the start and end markers, without opening credits; all of it when there are none."""
    fields = header_fields(text)
    start = START_MARKER.search(text)
    body_start = 0
    if start is not None:
        body_start = start.end()
    else:
        old = OLD_HEADER_END.search(text)
        if old is not None:
            body_start = old.end()
    end = END_MARKER.search(text, body_start)
    body_end = end.start() if end is not None else len(text)
    body = text[body_start:body_end]
    closing = END_OF_BOOK_LINE.search(body)
    if closing is not None:
        body = body[: closing.start()]
    found_start = start is not None or body_start > 0
    found_end = end is not None or closing is not None
    if not found_start:
        fields = {}  # with no header, "Title:" lines are the book's own
    return StrippedBook(drop_credits(body).strip("\n"), found_start, found_end, fields)


def header_fields(text: str) -> dict[str, str]:
    """`Title`, `Author`, `Language`, `Release date` from the licence header (before the start marker)."""
    start = START_MARKER.search(text)
    header = text[: start.start()] if start is not None else text[:5000]
    fields: dict[str, str] = {}
    for match in HEADER_FIELD.finditer(header):
        key = match.group(1).lower().replace(" ", "_")
        fields.setdefault(key, match.group(2).strip())
    return fields


def drop_credits(body: str) -> str:
    """Cut the first paragraphs of the body while they are credits ("Produced by …", "E-text prepared by …")."""
    paragraphs = re.split(r"\n[ \t]*\n", body.strip("\n"), maxsplit=3)
    kept = list(paragraphs)
    while kept and CREDIT_BLOCK.match(kept[0].strip()):
        kept.pop(0)
    if len(kept) == len(paragraphs):
        return body
    rest = body.strip("\n")
    for paragraph in paragraphs[: len(paragraphs) - len(kept)]:
        rest = rest[rest.index(paragraph) + len(paragraph) :]
    return rest
