"""Indexes on disk: built once, read back checked, rebuilt when the text changes or a file is damaged.

An index lives in `$POET_HOME/indexes/<key>/`, where the key is a hash of exactly the texts it holds (with their
document numbers, titles and authors) and of the file format. A corpus that changes, or a run that trained on
another split of it, hashes to another key, so it gets a fresh index and a stale one is never used; the same
text is never indexed twice. The folder holds one `.npy` file per array and `index.json` (sizes, titles,
authors, and each array's dtype, shape and BLAKE2 hash), written last: it is what commits an index.

Every file is written atomically and read back checked: its hash, an `.npy` header parsed here (plain integer
dtypes only, never a pickle) and the bounds the matcher relies on. Anything that does not check out is rebuilt.
A build holds `build.lock` in the folder, so two commands asking at once build it once. Only the
KEEP_INDEXES most recently used indexes are kept.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import io
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from poet_tui.atomic import atomic_write_text, atomic_write_with, remove_stale_temp_files
from poet_tui.errors import PoetError
from poet_tui.overlap.index import UNICODE_SIZE, IndexArrays, IndexedText, OverlapIndex
from poet_tui.paths import poet_home
from poet_tui.safe_files import SMALL_FILE_LIMIT, read_bounded_bytes, read_json_file

FORMAT = 1
KEEP_INDEXES = 8
METADATA = "index.json"
LOCK = "build.lock"
KEY = re.compile(r"^[0-9a-f]{32}$")
HEADER_LIMIT = 4096  # an .npy header poet-tui writes is 128 bytes
# dtype of each array, little-endian as written; the shapes follow from the sizes in index.json
DTYPES = {
    "alphabet": "<u4",
    "char_starts": "<i8",
    "bwt_positions": "<i4",
    "suffix_array": "<i4",
    "text_starts": "<i8",
    "line_starts": "<i8",
    "numbers": "<i8",
    "offsets": "<i8",
    "first_lines": "<i8",
}
Announce = Callable[[str], None]


class Damaged(Exception):
    """A cached index that cannot be used as it is; it is rebuilt."""


def indexes_dir() -> Path:
    return poet_home() / "indexes"


def texts_key(texts: Sequence[IndexedText]) -> str:
    """A hash of everything an index is built from: equal keys, equal indexes."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"poet-tui overlap index {FORMAT}\n".encode())
    for item in texts:
        for part in (item.text, item.title, item.author):
            encoded = part.encode("utf-8", "surrogatepass")
            digest.update(len(encoded).to_bytes(8, "little"))
            digest.update(encoded)
        digest.update(np.array([item.number, item.offset, item.first_line], dtype="<i8").tobytes())
    return digest.hexdigest()


def load_or_build(
    texts: Sequence[IndexedText], announce: Announce | None = None, what: str = "the text"
) -> OverlapIndex:
    """The cached index of these texts, or a new one built (and cached) now.

    `announce` hears one line before a build ("indexing …") and one if the index could not be cached (a full
    disk, a read-only data home): the index is still returned, and built again next time."""
    key = texts_key(texts)
    directory = indexes_dir() / key
    index = read_index(directory, key)
    if index is not None:
        return index

    def build() -> OverlapIndex:
        if announce is not None:
            announce(f"indexing {what} ({sum(len(item.text) for item in texts):,} characters)…")
        return OverlapIndex.build(texts)

    try:
        with build_lock(directory):
            index = read_index(directory, key)  # another process may have built it while we waited
            if index is not None:
                return index
            index = build()
            remove_stale_temp_files(directory)
            save_index(index, directory, key)
    except OSError as error:
        index = index if index is not None else build()
        if announce is not None:
            announce(f"could not cache the index in {directory} ({error.strerror or error}); it was built anyway.")
        return index
    prune(keep=directory)
    return index


@contextlib.contextmanager
def build_lock(directory: Path) -> Iterator[None]:
    """The folder (a real one: a link planted in its place is removed) and its lock, held while building."""
    if os.path.islink(directory):
        os.unlink(directory)
    directory.mkdir(parents=True, exist_ok=True)
    descriptor = open_lock(directory)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def open_lock(directory: Path) -> int:
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    return os.open(directory / LOCK, flags, 0o644)


def save_index(index: OverlapIndex, directory: Path, key: str) -> None:
    arrays = index.arrays
    files: dict[str, dict[str, Any]] = {}
    for name, dtype in DTYPES.items():
        array = np.ascontiguousarray(getattr(arrays, name), dtype=dtype)
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(header, np.lib.format.header_data_from_array_1_0(array))
        digest = hashlib.blake2b(header.getvalue())
        digest.update(array.data.cast("B"))
        atomic_write_with(directory / f"{name}.npy", write_array(header.getvalue(), array))
        files[name] = {"dtype": dtype, "shape": list(array.shape), "blake2b": digest.hexdigest()}
    metadata = {
        "format": FORMAT,
        "key": key,
        "characters": arrays.characters,
        "texts": index.texts,
        "alphabet": len(arrays.alphabet),
        "lines": len(arrays.line_starts),
        "titles": index.titles,
        "authors": index.authors,
        "files": files,
    }
    atomic_write_text(directory / METADATA, json.dumps(metadata, ensure_ascii=False))


def write_array(header: bytes, array: np.ndarray) -> Callable[[BinaryIO], None]:
    def write(handle: BinaryIO) -> None:
        handle.write(header)
        handle.write(array.data.cast("B"))

    return write


def read_index(directory: Path, key: str) -> OverlapIndex | None:
    """The index cached in `directory`, checked; None when there is none or it is damaged (then rebuilt)."""
    if not os.path.lexists(directory / METADATA) or os.path.islink(directory):
        return None
    try:
        metadata = read_json_file(directory / METADATA, SMALL_FILE_LIMIT)
        sizes = checked_sizes(metadata, key)
        shapes = expected_shapes(sizes)
        arrays = IndexArrays(**{name: read_array(directory, name, shapes[name], metadata) for name in DTYPES})
        check_bounds(arrays, sizes)
        index = OverlapIndex(arrays, metadata["titles"], metadata["authors"])
    except (PoetError, OSError, Damaged, ValueError, KeyError, TypeError):
        return None
    with contextlib.suppress(OSError):
        os.utime(directory)  # most recently used: kept by prune
    return index


def checked_sizes(metadata: Any, key: str) -> dict[str, int]:
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT or metadata.get("key") != key:
        raise Damaged("another format or another text")
    sizes: dict[str, int] = {}
    for name in ("characters", "texts", "alphabet", "lines"):
        value = metadata.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**31:
            raise Damaged(f"{name} is not a size")
        sizes[name] = value
    for name in ("titles", "authors"):
        names = metadata.get(name)
        if not isinstance(names, list) or len(names) != sizes["texts"] or not all(isinstance(n, str) for n in names):
            raise Damaged(f"{name} do not match the texts")
    if not isinstance(metadata.get("files"), dict):
        raise Damaged("no files")
    return sizes


def expected_shapes(sizes: dict[str, int]) -> dict[str, int]:
    texts = sizes["texts"]
    return {
        "alphabet": sizes["alphabet"],
        "char_starts": sizes["alphabet"] + 2,
        "bwt_positions": sizes["characters"],
        "suffix_array": sizes["characters"],
        "text_starts": texts,
        "line_starts": sizes["lines"],
        "numbers": texts,
        "offsets": texts,
        "first_lines": texts,
    }


def read_array(directory: Path, name: str, length: int, metadata: dict[str, Any]) -> np.ndarray:
    """One array file: its hash as index.json records it, then its header, parsed here (no pickle, ever)."""
    dtype = np.dtype(DTYPES[name])
    recorded = metadata["files"].get(name)
    if not isinstance(recorded, dict) or recorded.get("dtype") != DTYPES[name] or recorded.get("shape") != [length]:
        raise Damaged(f"{name} is not described")
    data = read_bounded_bytes(directory / f"{name}.npy", HEADER_LIMIT + length * dtype.itemsize, what="index file")
    if hashlib.blake2b(data).hexdigest() != recorded.get("blake2b"):
        raise Damaged(f"{name} does not match its hash")
    stream = io.BytesIO(data)
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        shape, fortran_order, found = np.lib.format.read_array_header_1_0(stream)
    elif version == (2, 0):
        shape, fortran_order, found = np.lib.format.read_array_header_2_0(stream)
    else:
        raise Damaged(f"{name} has an unknown .npy version")
    if found != dtype or shape != (length,) or fortran_order or len(data) - stream.tell() != length * dtype.itemsize:
        raise Damaged(f"{name} has another shape or type")
    return np.frombuffer(data, dtype=dtype, count=length, offset=stream.tell())


def check_bounds(arrays: IndexArrays, sizes: dict[str, int]) -> None:
    """What the matcher indexes with stays inside the arrays, so even a forged file cannot crash it."""
    size = sizes["characters"]

    def ascending(array: np.ndarray, strictly: bool = False) -> bool:
        steps = np.diff(array)
        return bool(np.all(steps > 0) if strictly else np.all(steps >= 0))

    def within(array: np.ndarray, low: int, high: int) -> bool:
        return len(array) == 0 or (int(array.min()) >= low and int(array.max()) <= high)

    checks = {
        "alphabet": ascending(arrays.alphabet, strictly=True) and within(arrays.alphabet, 0, UNICODE_SIZE - 1),
        "char_starts": ascending(arrays.char_starts)
        and int(arrays.char_starts[0]) == 0
        and int(arrays.char_starts[-1]) == size,
        "bwt_positions": within(arrays.bwt_positions, 0, size),
        "suffix_array": within(arrays.suffix_array, 0, max(size - 1, 0)),
        "text_starts": ascending(arrays.text_starts, strictly=True) and within(arrays.text_starts, 0, size),
        "line_starts": ascending(arrays.line_starts) and within(arrays.line_starts, 0, size),
        "numbers": within(arrays.numbers, 0, 2**62),
        "offsets": within(arrays.offsets, 0, 2**62),
        "first_lines": within(arrays.first_lines, 1, 2**62),
    }
    broken = [name for name, good in checks.items() if not good]
    if sizes["texts"] == 0 and size:
        broken.append("texts")  # characters but no text to place them in
    if sizes["texts"] and int(arrays.text_starts[0]) != 0:
        broken.append("text_starts")
    if broken:
        raise Damaged(f"{', '.join(broken)} out of bounds")


def prune(keep: Path) -> None:
    """Keep the KEEP_INDEXES most recently used indexes; one another process is building is left alone."""
    root = indexes_dir()
    try:
        entries = [entry for entry in os.scandir(root) if KEY.match(entry.name) and entry.is_dir(follow_symlinks=False)]
        entries.sort(key=lambda entry: entry.stat(follow_symlinks=False).st_mtime, reverse=True)
    except OSError:
        return
    for entry in entries[KEEP_INDEXES:]:
        if Path(entry.path) == keep:
            continue
        with contextlib.suppress(OSError):
            descriptor = open_lock(Path(entry.path))
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                shutil.rmtree(entry.path, ignore_errors=True)
            except OSError as error:
                if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    raise
            finally:
                os.close(descriptor)
