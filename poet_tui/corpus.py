"""A corpus is a list of documents (poems); this module reads them from the formats people have.

Formats: a .txt file (documents separated by two or more blank lines), a directory of .txt files, a fortune
file (`%` lines between entries), a JSON list in the chinese-poetry layout (`title`, `author`, `paragraphs`),
and the bundled `.jsonl` layout (`title`, `author`, `text`). Any of them may be gzip-compressed.
"""

from __future__ import annotations

import gzip
import json
import random
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from poet_tui.errors import PoetError

# A corpus bigger than this is refused rather than read into memory whole.
MAX_CORPUS_BYTES = 256 * 1024 * 1024
# Below this many documents a document-level split is meaningless; split the text by characters instead.
MIN_DOCUMENTS_FOR_DOCUMENT_SPLIT = 10

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
DOCUMENT_SEPARATOR = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


@dataclass(frozen=True)
class Document:
    """One poem (or play, or stanza): its body text, with title and author kept apart from it."""

    text: str
    title: str = ""
    author: str = ""


@dataclass(frozen=True)
class CorpusStats:
    characters: int
    lines: int
    documents: int
    distinct_characters: int
    language: str
    size_bytes: int


@dataclass
class Corpus:
    name: str
    documents: list[Document]
    source: str = ""
    size_bytes: int = 0

    def stats(self) -> CorpusStats:
        distinct: set[str] = set()
        characters = lines = 0
        for document in self.documents:
            distinct.update(document.text)
            characters += len(document.text)
            lines += document.text.count("\n") + 1
        return CorpusStats(
            characters=characters,
            lines=lines,
            documents=len(self.documents),
            distinct_characters=len(distinct),
            language=guess_language(self.documents),
            size_bytes=self.size_bytes,
        )


def guess_language(documents: Iterable[Document], sample_characters: int = 200_000) -> str:
    """A cheap guess from the script of the letters: 'zh', 'ja', 'ko', 'en', 'ru', 'el', or 'other'."""
    counts = {"han": 0, "kana": 0, "hangul": 0, "latin": 0, "cyrillic": 0, "greek": 0}
    seen = 0
    for document in documents:
        for character in document.text:
            if not character.isalpha():
                continue
            code = ord(character)
            if 0x3040 <= code <= 0x30FF:
                counts["kana"] += 1
            elif 0xAC00 <= code <= 0xD7AF:
                counts["hangul"] += 1
            elif 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF:
                counts["han"] += 1
            elif code < 0x250:
                counts["latin"] += 1
            elif 0x400 <= code <= 0x4FF:
                counts["cyrillic"] += 1
            elif 0x370 <= code <= 0x3FF:
                counts["greek"] += 1
            seen += 1
        if seen >= sample_characters:
            break
    if seen == 0:
        return "other"
    script = max(counts, key=lambda name: counts[name])
    if counts[script] < 0.5 * seen:
        return "other"
    if script == "han" and counts["kana"] > 0.05 * seen:
        return "ja"
    return {"han": "zh", "kana": "ja", "hangul": "ko", "latin": "en", "cyrillic": "ru", "greek": "el"}[script]


def read_text_file(path: Path) -> str:
    """Read UTF-8 text (gzip allowed), refusing binary, non-UTF-8, empty and oversized files in plain words."""
    path = Path(path)
    if not path.exists():
        raise PoetError(f"{path} does not exist; check the path.")
    size = path.stat().st_size
    if size > MAX_CORPUS_BYTES:
        raise PoetError(
            f"{path} is {size / 2**20:.0f} MiB, more than the {MAX_CORPUS_BYTES // 2**20} MiB poet-tui reads "
            "into memory; split it or take a part of it."
        )
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as compressed:
                raw = compressed.read(MAX_CORPUS_BYTES + 1)
        else:
            raw = path.read_bytes()
    except (OSError, EOFError) as error:
        raise PoetError(f"{path} could not be read ({error}); check that it is a readable file.") from error
    if len(raw) > MAX_CORPUS_BYTES:
        raise PoetError(f"{path} unpacks to more than {MAX_CORPUS_BYTES // 2**20} MiB; take a part of it.")
    if b"\x00" in raw[:65536]:
        raise PoetError(f"{path} looks like a binary file, not text; give a UTF-8 text file.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise PoetError(
            f"{path} is not valid UTF-8 (bad byte at offset {error.start}); re-save it as UTF-8 text."
        ) from None
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


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


def parse_json_poems(text: str, path: Path) -> list[Document]:
    """A JSON list of poems in the chinese-poetry layout: title, author, paragraphs (or text/content)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise PoetError(f"{path} is not valid JSON (line {error.lineno}: {error.msg}); fix or re-export it.") from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise PoetError(
            f"{path} should hold a JSON list of poems like "
            '[{"title": ..., "author": ..., "paragraphs": [...]}]; found something else.'
        )
    documents = []
    for item in data:
        body = item.get("paragraphs", item.get("text", item.get("content", "")))
        if isinstance(body, list):
            body = "\n".join(str(line) for line in body)
        body = clean_lines(str(body))
        if body.strip():
            documents.append(Document(body, str(item.get("title", "")), str(item.get("author", ""))))
    return documents


def parse_jsonl_poems(text: str, path: Path) -> list[Document]:
    documents = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            raise PoetError(f"{path} line {number} is not valid JSON; fix or remove that line.") from None
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise PoetError(f'{path} line {number} should be an object with a "text" field.')
        if item["text"].strip():
            documents.append(Document(item["text"], str(item.get("title", "")), str(item.get("author", ""))))
    return documents


def load_documents(path: Path) -> list[Document]:
    """Read any supported corpus file or directory; raise PoetError with a plain reason if it is unusable."""
    path = Path(path).expanduser()
    if path.is_dir():
        documents = load_directory(path)
    else:
        text = read_text_file(path)
        name = path.name.removesuffix(".gz")
        if name.endswith(".jsonl"):
            documents = parse_jsonl_poems(text, path)
        elif name.endswith(".json"):
            documents = parse_json_poems(text, path)
        elif looks_like_fortune_file(text):
            documents = split_fortunes(text)
        else:
            documents = split_plain_text(text)
    if not documents:
        raise PoetError(f"{path} holds no text; give a file with some poems in it.")
    return documents


def load_directory(directory: Path) -> list[Document]:
    files = sorted(
        file
        for file in directory.rglob("*")
        if file.is_file() and file.name.removesuffix(".gz").endswith((".txt", ".json", ".jsonl"))
    )
    if not files:
        raise PoetError(f"{directory} has no .txt, .json or .jsonl files; put some poems in it.")
    documents: list[Document] = []
    for file in files:
        file_documents = load_documents(file) if file.stat().st_size else []
        if len(file_documents) == 1 and not file_documents[0].title:
            file_documents = [Document(file_documents[0].text, title=file.stem.removesuffix(".txt"))]
        documents.extend(file_documents)
    return documents


def directory_size(path: Path) -> int:
    path = Path(path)
    if path.is_dir():
        return sum(file.stat().st_size for file in path.rglob("*") if file.is_file())
    return path.stat().st_size if path.exists() else 0


@dataclass(frozen=True)
class Split:
    train: list[Document]
    validation: list[Document]
    by_documents: bool


def split_documents(documents: list[Document], validation_fraction: float = 0.1, seed: int = 1337) -> Split:
    """Train/validation split by whole documents, deterministic by seed.

    With fewer than MIN_DOCUMENTS_FOR_DOCUMENT_SPLIT documents the text is cut instead: the last
    `validation_fraction` of the characters (at a line boundary) is the validation part, as nanoGPT does.
    """
    if not 0.0 < validation_fraction < 1.0:
        raise PoetError(f"the validation fraction must be between 0 and 1, not {validation_fraction}.")
    if len(documents) >= MIN_DOCUMENTS_FOR_DOCUMENT_SPLIT:
        order = list(range(len(documents)))
        random.Random(seed).shuffle(order)
        validation_count = max(1, round(len(documents) * validation_fraction))
        validation_indices = set(order[:validation_count])
        train = [doc for index, doc in enumerate(documents) if index not in validation_indices]
        validation = [doc for index, doc in enumerate(documents) if index in validation_indices]
        return Split(train, validation, by_documents=True)
    text = "\n\n\n".join(document.text for document in documents)
    cut = int(len(text) * (1.0 - validation_fraction))
    line_start = text.rfind("\n", 0, cut)
    if line_start > 0:
        cut = line_start + 1
    train_text, validation_text = text[:cut].strip("\n"), text[cut:].strip("\n")
    if not train_text or not validation_text:
        raise PoetError("the corpus is too small to hold back a validation part; give it more text.")
    return Split([Document(train_text)], [Document(validation_text)], by_documents=False)
