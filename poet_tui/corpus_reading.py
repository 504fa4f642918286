"""Reading a user's corpus files within bounds: regular files only, one size budget for a whole corpus
(gzip unpacked included), read in pieces so a refusal comes before memory holds more than the limit."""

from __future__ import annotations

import codecs
import errno
import gzip
import os
import stat
import unicodedata
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from poet_tui.errors import PoetError
from poet_tui.safe_files import describe_os_error, human_size, open_regular_file

# A corpus bigger than this is refused rather than read into memory whole: a file, a whole folder, unpacked gzip.
MAX_CORPUS_BYTES = 256 * 1024 * 1024
# Reads go in pieces this big, so a refusal comes before memory holds more than the limit.
READ_CHUNK_BYTES = 1024 * 1024
# UTF-16/32 text opens with one of these (byte order mark, codec, code unit); without a check it is only "binary".
BYTE_ORDER_MARKS = (
    (b"\xff\xfe\x00\x00", "utf-32-le", 4),
    (b"\x00\x00\xfe\xff", "utf-32-be", 4),
    (b"\xff\xfe", "utf-16-le", 2),
    (b"\xfe\xff", "utf-16-be", 2),
)


SHOWN_LONGEST = 240  # characters of a path or name a sentence shows; a pasted 5,000-character one is cut


def shown(value: object) -> str:
    """A path or name as a sentence shows it: control characters escaped, so the sentence stays on one line, and
    a very long one cut in the middle (its start and its file name are what tell it apart)."""
    text = str(value)
    if not text.isprintable():
        text = "".join(character if character.isprintable() else ascii(character)[1:-1] for character in text)
    if len(text) > SHOWN_LONGEST:
        text = f"{text[:160]}…{text[-60:]} ({len(text):,} characters)"
    return text


def expand_user_path(path: Path | str) -> Path:
    """`~` expanded; an unknown `~user` is a sentence, not the RuntimeError pathlib raises."""
    if "\x00" in str(path):
        raise PoetError(f"{shown(path)} holds a NUL character, which no file name can; check the path.")
    try:
        return Path(path).expanduser()
    except RuntimeError:
        raise PoetError(f"{shown(path)} starts with an unknown home folder (~user); give the full path.") from None


class ByteStream(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


@dataclass
class ReadBudget:
    """What is left of MAX_CORPUS_BYTES for one corpus: the files of a folder share it, and gzip counts unpacked.

    A folder's sizes are summed before anything is read, and every byte read (or unpacked) is taken from here,
    so neither many files nor one small .gz that unpacks to gigabytes can fill memory.
    """

    corpus: Path
    remaining: int

    @classmethod
    def for_corpus(cls, corpus: Path) -> ReadBudget:
        return cls(corpus, MAX_CORPUS_BYTES)

    def refuse_on_disk(self, path: Path, size: int) -> PoetError:
        """A file too big before it is read; inside a folder only a file that grew since the sum gets here."""
        if path != self.corpus:
            return self.refuse_while_reading(path)
        return PoetError(
            f"{shown(path)} is {human_size(size)}, more than the {human_size(MAX_CORPUS_BYTES)} poet-tui reads into "
            "memory; split it or take a part of it."
        )

    def refuse_folder(self, total: int) -> PoetError:
        return PoetError(
            f"{shown(self.corpus)} holds {human_size(total)} of poems, more than the {human_size(MAX_CORPUS_BYTES)} "
            "poet-tui reads into memory; register a part of it."
        )

    def refuse_while_reading(self, path: Path) -> PoetError:
        limit = human_size(MAX_CORPUS_BYTES)
        if path == self.corpus:
            return PoetError(
                f"{shown(path)} unpacks to more than the {limit} poet-tui reads into memory; take a part of it."
            )
        return PoetError(
            f"{shown(self.corpus)} holds more than the {limit} of poems poet-tui reads into memory once unpacked "
            f"(the limit was reached in {shown(path)}); register a part of it."
        )


def read_within_budget(stream: ByteStream, path: Path, budget: ReadBudget) -> bytearray:
    """Read to the end in chunks, refusing the moment the budget is passed: memory never holds more than it."""
    data = bytearray()
    while True:
        chunk = stream.read(min(READ_CHUNK_BYTES, budget.remaining - len(data) + 1))
        if not chunk:
            break
        data += chunk
        if len(data) > budget.remaining:
            raise budget.refuse_while_reading(path)
    budget.remaining -= len(data)
    return data


def regular_file_size(path: Path, fix: str) -> int:
    """The size of a corpus file, following a link, found without opening it: a FIFO, a device or a socket (which
    refuses to open at all) is refused here, before any read; so are a link loop and a dangling link."""
    try:
        status = os.stat(path)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise PoetError(f"{shown(path)} is a symbolic link loop; point it at a real corpus file.") from None
        if error.errno == errno.ENOENT:
            if os.path.islink(path):
                raise PoetError(f"{shown(path)} is a link to a file that does not exist; {fix}.") from None
            raise PoetError(f"{shown(path)} does not exist; check the path.") from None
        raise PoetError(
            f"{shown(path)} could not be read ({describe_os_error(error)}); check its permissions."
        ) from None
    if stat.S_ISDIR(status.st_mode):
        raise PoetError(f"{shown(path)} is a folder; {fix}.")
    if not stat.S_ISREG(status.st_mode):
        raise PoetError(f"{shown(path)} is not a regular file (a device, pipe or socket); {fix}.")
    return status.st_size


def read_corpus_bytes(path: Path, budget: ReadBudget) -> bytearray:
    """The bytes of one corpus file, unpacked if it is .gz; only a regular file is opened, so a FIFO never hangs."""
    regular_file_size(path, fix="give a regular corpus file")
    with open_regular_file(path, follow_symlinks=True, what="corpus file") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > budget.remaining:
            raise budget.refuse_on_disk(path, size)
        try:
            if path.suffix == ".gz":
                with gzip.GzipFile(fileobj=handle, mode="rb") as unpacked:
                    return read_within_budget(unpacked, path, budget)
            return read_within_budget(handle, path, budget)
        except (EOFError, zlib.error, gzip.BadGzipFile) as error:
            raise PoetError(
                f"{shown(path)} is not a whole gzip file ({error}); re-compress it or give the plain text."
            ) from None
        except OSError as error:
            raise PoetError(
                f"{shown(path)} could not be read ({describe_os_error(error)}); check that it is a readable file."
            ) from None


def other_unicode_encoding(raw: bytearray) -> str | None:
    """'UTF-16' or 'UTF-32' when the bytes open with that byte order mark and read as it: a clearer refusal."""
    for mark, codec, unit in BYTE_ORDER_MARKS:
        if raw.startswith(mark) and len(raw) % unit == 0:
            try:
                codecs.getincrementaldecoder(codec)().decode(bytes(raw[len(mark) : 65536]), final=False)
            except UnicodeDecodeError:
                continue
            return codec.upper()[:6]
    return None


def read_text_file(path: Path, budget: ReadBudget | None = None) -> str:
    """Read UTF-8 text (gzip allowed), refusing binary, non-UTF-8, non-regular and oversized files in plain words."""
    path = expand_user_path(path)
    raw = read_corpus_bytes(path, budget or ReadBudget.for_corpus(path))
    encoding = other_unicode_encoding(raw)
    if encoding:
        raise PoetError(f"{shown(path)} is {encoding} text; re-save it as UTF-8.")
    if b"\x00" in raw:
        raise PoetError(
            f"{shown(path)} looks like a binary file, not text (it holds NUL bytes); give a UTF-8 text file."
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise PoetError(
            f"{shown(path)} is not valid UTF-8 (bad byte at offset {error.start}, line {line}); "
            "re-save it as UTF-8 text."
        ) from None
    del raw
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
