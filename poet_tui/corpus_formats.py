"""What a document is, and the formats poems come in: plain text (documents separated by two or more blank
lines), fortune files (`%` lines between entries), chinese-poetry JSON (`title`, `author`, `paragraphs`) and the
bundled `.jsonl` layout (`title`, `author`, `text`). Fields that are not text are refused, never repr'd."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from poet_tui.corpus_reading import shown
from poet_tui.errors import PoetError
from poet_tui.safe_files import reject_constant

# Where a poem's text is, in the order they are looked for (chinese-poetry uses paragraphs; others text/content).
BODY_FIELDS = ("paragraphs", "text", "content")
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
DOCUMENT_SEPARATOR = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


@dataclass(frozen=True)
class Document:
    """One poem (or play, or stanza): its body text, with title and author kept apart from it."""

    text: str
    title: str = ""
    author: str = ""


def clean_lines(text: str) -> str:
    """Strip colour codes and trailing spaces, drop leading and trailing blank lines."""
    lines = [line.rstrip() for line in ANSI_ESCAPE.sub("", text).split("\n")]
    return "\n".join(lines).strip("\n")


def split_plain_text(text: str) -> list[Document]:
    """Documents of a plain text file are separated by two or more blank lines."""
    parts = (clean_lines(part) for part in DOCUMENT_SEPARATOR.split(text))
    return [Document(part) for part in parts if part.strip()]


def split_fortunes(text: str) -> list[Document]:
    parts = (clean_lines(part) for part in re.split(r"(?m)^%[ \t]*$", text))
    return [Document(part) for part in parts if part.strip()]


def looks_like_fortune_file(text: str) -> bool:
    return len(re.findall(r"(?m)^%[ \t]*$", text)) >= 2


def json_kind(value: object) -> str:
    """What a JSON value is, in a user's words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "an object"


def parse_corpus_json(text: str, where: str) -> Any:
    """Strict JSON for a user's corpus: NaN, Infinity and absurd nesting are sentences, not values or crashes.

    The nesting check is CPython's own recursion guard rather than safe_files' character scan: a corpus may be
    256 MiB, and the layout is checked field by field right after, so nothing deep is ever walked.
    """
    try:
        return json.loads(text, parse_constant=reject_constant)
    except json.JSONDecodeError as error:
        raise PoetError(f"{where} is not valid JSON (line {error.lineno}: {error.msg}); fix or re-export it.") from None
    except ValueError as error:  # NaN or Infinity
        raise PoetError(f"{where} is not valid JSON ({error}); fix or re-export it.") from None
    except RecursionError:
        raise PoetError(f"{where} is nested too deeply to be a list of poems; fix or re-export it.") from None


def text_field(item: dict[str, Any], field: str, where: str) -> str:
    value = item.get(field, "")
    if not isinstance(value, str):
        raise PoetError(f'{where} has {json_kind(value)} as "{field}" where text belongs; fix or remove that poem.')
    return value


def poem_body(item: dict[str, Any], where: str) -> str | None:
    """The poem's text from `paragraphs` (a list of lines), `text` or `content`; None when it has none of them."""
    field = next((name for name in BODY_FIELDS if name in item), None)
    if field is None:
        return None
    body = item[field]
    if isinstance(body, list):
        for number, line in enumerate(body):
            if not isinstance(line, str):
                raise PoetError(
                    f'{where} has {json_kind(line)} at "{field}"[{number}] where a line of text belongs; '
                    "fix or remove that poem."
                )
        return "\n".join(body)
    if not isinstance(body, str):
        raise PoetError(
            f'{where} has {json_kind(body)} as "{field}" where text or a list of lines belongs; '
            "fix or remove that poem."
        )
    return body


def parse_json_poems(text: str, path: Path) -> list[Document]:
    """A JSON list of poems in the chinese-poetry layout: title, author, paragraphs (or text/content).

    Every field must be text (or a list of lines); a null or a number is refused, never turned into "None".
    An object with no text field at all (chinese-poetry's author lists) is skipped, so its whole folder reads.
    """
    data = parse_corpus_json(text, shown(path))
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise PoetError(
            f"{shown(path)} should hold a JSON list of poems like "
            f'[{{"title": ..., "author": ..., "paragraphs": [...]}}]; found {json_kind(data)}.'
        )
    documents = []
    for index, item in enumerate(data):
        where = f"{shown(path)}: the poem at index {index}"
        if not isinstance(item, dict):
            raise PoetError(
                f'{where} is {json_kind(item)}, not an object like {{"title": ..., "paragraphs": [...]}}; '
                "fix or remove it."
            )
        body = poem_body(item, where)
        title, author = text_field(item, "title", where), text_field(item, "author", where)
        cleaned = clean_lines(body) if body is not None else ""
        if cleaned.strip():
            documents.append(Document(cleaned, title, author))
    return documents


def parse_jsonl_poems(text: str, path: Path) -> list[Document]:
    """One poem per line: an object with `text` and, optionally, `title` and `author`, all of them text."""
    documents = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{shown(path)} line {number}"
        item = parse_corpus_json(line, where)
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise PoetError(f'{where} should be an object with a "text" field holding text; fix or remove that line.')
        title, author = text_field(item, "title", where), text_field(item, "author", where)
        if item["text"].strip():
            documents.append(Document(item["text"], title, author))
    return documents
