"""A corpus is a list of documents (poems); this module finds them in a file or folder and splits them.

Formats: a .txt file (documents separated by two or more blank lines), a directory of .txt files, a fortune
file (`%` lines between entries), a JSON list in the chinese-poetry layout (`title`, `author`, `paragraphs`),
and the bundled `.jsonl` layout (`title`, `author`, `text`). Any of them may be gzip-compressed. Reading within
bounds is corpus_reading.py; the formats are corpus_formats.py.
"""

from __future__ import annotations

import hashlib
import os
import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from poet_tui.corpus_formats import (
    Document,
    looks_like_fortune_file,
    parse_json_poems,
    parse_jsonl_poems,
    split_fortunes,
    split_plain_text,
)
from poet_tui.corpus_reading import (
    MAX_CORPUS_BYTES,
    ReadBudget,
    expand_user_path,
    read_text_file,
    regular_file_size,
    shown,
)
from poet_tui.errors import PoetError
from poet_tui.safe_files import describe_os_error

__all__ = [
    "MAX_CORPUS_BYTES",
    "Corpus",
    "Document",
    "Split",
    "corpus_fingerprint",
    "load_documents",
    "read_text_file",
    "split_documents",
]

CORPUS_SUFFIXES = (".txt", ".json", ".jsonl")
# Below this many documents a document-level split is meaningless; split the text by characters instead.
MIN_DOCUMENTS_FOR_DOCUMENT_SPLIT = 10


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


def corpus_fingerprint(corpus: Corpus) -> str:
    """sha256 of the documents' text: a run records it, so a resume (or an index of what the run trained on)
    can tell that the corpus has changed since. Torch-free, so the overlap index can ask too."""
    digest = hashlib.sha256()
    for document in corpus.documents:
        digest.update(document.text.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


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


def documents_from_file(path: Path, budget: ReadBudget) -> list[Document]:
    """One file's poems, by its name: .jsonl, .json, a fortune file, or plain text (any of them gzipped)."""
    text = read_text_file(path, budget)
    name = path.name.removesuffix(".gz")
    if name.endswith(".jsonl"):
        return parse_jsonl_poems(text, path)
    if name.endswith(".json"):
        return parse_json_poems(text, path)
    if looks_like_fortune_file(text):
        return split_fortunes(text)
    return split_plain_text(text)


def load_documents(path: Path) -> list[Document]:
    """Read any supported corpus file or directory; raise PoetError with a plain reason if it is unusable."""
    path = expand_user_path(path)
    budget = ReadBudget.for_corpus(path)
    documents = load_directory(path, budget) if path.is_dir() else documents_from_file(path, budget)
    if not documents:
        raise PoetError(f"{shown(path)} holds no text; give a file with some poems in it.")
    return documents


def is_corpus_file_name(name: str) -> bool:
    return name.removesuffix(".gz").endswith(CORPUS_SUFFIXES)


def corpus_files_in(directory: Path) -> list[Path]:
    """The .txt/.json/.jsonl files under a folder, sorted.

    Links to files are the user's own and are kept; links to folders are not followed (as `find` and rglob do),
    so a link to `..` or to `/` cannot loop or wander outside the tree. Hidden files and folders (`.git`,
    editors' lock links) are not poems and are left out.
    """
    found: list[Path] = []
    pending = [directory]
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as error:
            raise PoetError(
                f"{shown(folder)} could not be listed ({describe_os_error(error)}); check its permissions."
            ) from None
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                pending.append(Path(entry.path))
            elif is_corpus_file_name(entry.name) and not (entry.is_symlink() and os.path.isdir(entry.path)):
                found.append(Path(entry.path))
    return sorted(found)


def load_directory(directory: Path, budget: ReadBudget | None = None) -> list[Document]:
    """Every corpus file under a folder, their sizes summed against the budget before any is read."""
    budget = budget or ReadBudget.for_corpus(directory)
    files = corpus_files_in(directory)
    if not files:
        raise PoetError(
            f"{shown(directory)} has no .txt, .json or .jsonl files (links to folders are not followed); "
            "put some poems in it."
        )
    sizes = [(file, regular_file_size(file, fix="remove it from the folder")) for file in files]
    total = sum(size for _, size in sizes)
    if total > budget.remaining:
        raise budget.refuse_folder(total)
    documents: list[Document] = []
    for file, size in sizes:
        file_documents = documents_from_file(file, budget) if size else []
        if len(file_documents) == 1 and not file_documents[0].title:
            file_documents = [Document(file_documents[0].text, title=file.stem.removesuffix(".txt"))]
        documents.extend(file_documents)
    return documents


def directory_size(path: Path) -> int:
    """Bytes on disk of a corpus (its corpus files, for a folder); 0 when it cannot be looked at, never an error."""
    try:
        path = expand_user_path(path)
        if path.is_dir():
            return sum(os.stat(file).st_size for file in corpus_files_in(path) if os.path.isfile(file))
        return path.stat().st_size if path.is_file() else 0
    except (PoetError, OSError):
        return 0


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
