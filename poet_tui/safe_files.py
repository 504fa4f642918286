"""Reading files that may be damaged or hostile: bounded, regular files only, links refused where asked.

Every file poet-tui reads back goes through here, so a FIFO never hangs a reader, `/dev/zero` never fills
memory, a link planted in a run directory never redirects a read or a write, and JSON that is not data
(NaN, a thousand nested lists) becomes one sentence instead of a traceback.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path
from typing import Any, BinaryIO

from poet_tui.errors import PoetError

# Metadata, tokenizers, run configs and registries are small; a bigger one is damaged or hostile.
SMALL_FILE_LIMIT = 64 * 2**20
# JSON nested deeper than this is not something poet-tui ever wrote.
MAX_JSON_DEPTH = 64


def describe_os_error(error: OSError) -> str:
    return error.strerror or str(error)


def open_regular_file(path: Path, *, follow_symlinks: bool = False, what: str = "file") -> BinaryIO:
    """Open for reading without hanging on a FIFO; refuse anything but a regular file (and links, unless asked).

    O_NONBLOCK makes opening a FIFO return at once; the fstat that follows then refuses it.
    """
    path = Path(path)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        raise PoetError(f"{path} does not exist; check the path.") from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            if follow_symlinks:
                raise PoetError(f"{path} is a symbolic link loop; point it at a real {what}.") from None
            raise PoetError(
                f"{path} is a symbolic link, which poet-tui does not follow here; replace it with the real {what}."
            ) from None
        raise PoetError(f"{path} could not be opened ({describe_os_error(error)}); check its permissions.") from None
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            kind = "a folder" if stat.S_ISDIR(status.st_mode) else "not a regular file (a device, pipe or socket)"
            raise PoetError(f"{path} is {kind}; give a regular {what}.")
        if not follow_symlinks and os.path.islink(path):  # O_NOFOLLOW missing on this platform
            raise PoetError(f"{path} is a symbolic link, which poet-tui does not follow here.")
        os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def read_bounded_bytes(path: Path, limit: int, *, follow_symlinks: bool = False, what: str = "file") -> bytes:
    """The whole file, refused in one sentence if it holds more than `limit` bytes (checked before reading)."""
    path = Path(path)
    with open_regular_file(path, follow_symlinks=follow_symlinks, what=what) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limit:
            raise PoetError(f"{path} is {human_size(size)}, more than a {what} can be ({human_size(limit)}).")
        try:
            data = handle.read(limit + 1)
        except OSError as error:
            raise PoetError(f"{path} could not be read ({describe_os_error(error)}).") from None
    if len(data) > limit:  # it grew while we read it
        raise PoetError(f"{path} is more than a {what} can be ({human_size(limit)}).")
    return data


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    scaled = float(size)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        scaled /= 1024
        if scaled < 1024 or unit == "TiB":
            break
    return f"{scaled:.0f} {unit}"


def reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def json_depth_ok(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """A quick scan outside strings: is any bracket nested deeper than `limit`? (json.loads would recurse.)"""
    depth = 0
    in_string = escaped = False
    for character in text:
        if in_string:
            if escaped:
                escaped = False
            elif character == "\\":
                escaped = True
            elif character == '"':
                in_string = False
        elif character == '"':
            in_string = True
        elif character in "[{":
            depth += 1
            if depth > limit:
                return False
        elif character in "]}":
            depth -= 1
    return True


def parse_json_text(text: str, source: Path | str) -> Any:
    """Strict JSON: no NaN or Infinity, no absurd nesting; a failure names the file in one sentence."""
    if not json_depth_ok(text):
        raise PoetError(f"{source} is nested more than {MAX_JSON_DEPTH} levels deep; it is damaged or not ours.")
    try:
        return json.loads(text, parse_constant=reject_constant)
    except (ValueError, RecursionError) as error:
        detail = error.msg if isinstance(error, json.JSONDecodeError) else str(error)
        raise PoetError(f"{source} is damaged (not valid JSON: {detail}); use another copy.") from None


def read_json_file(path: Path, limit: int = SMALL_FILE_LIMIT, *, follow_symlinks: bool = False) -> Any:
    data = read_bounded_bytes(path, limit, follow_symlinks=follow_symlinks, what="JSON file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise PoetError(f"{path} is damaged (not UTF-8 text); use another copy.") from None
    return parse_json_text(text, path)


def read_text_file_nofollow(path: Path, limit: int = SMALL_FILE_LIMIT, what: str = "file") -> str:
    data = read_bounded_bytes(path, limit, what=what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise PoetError(f"{path} is damaged (not UTF-8 text); use another copy.") from None


def open_for_append(path: Path) -> BinaryIO:
    """Append to a run file without following a link planted in its place (it could point anywhere)."""
    # Read access too, so a torn last line can be seen (pread) before the first append.
    flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(path, flags, 0o644)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise PoetError(
                f"{path} is a symbolic link; poet-tui never writes through links in a run. Remove it."
            ) from None
        raise
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise PoetError(f"{path} is not a regular file; poet-tui only appends to its own files.")
    return os.fdopen(descriptor, "ab")


def open_own_file(path: Path, flags: int) -> int:
    """`os.open` of a file poet-tui keeps for itself (a lock, a download's `.part`), created 0644 if `flags` say
    so: never through a link planted in its place, and only a regular file (opened non-blocking, so a FIFO there
    cannot hang the open). Returns a blocking descriptor; other OSErrors are the caller's to say."""
    flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | os.O_NONBLOCK
    try:
        descriptor = os.open(path, flags, 0o644)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise PoetError(f"{escaped(path)} is a symbolic link; remove it and try again.") from None
        if error.errno != errno.ENXIO:  # ENXIO: a FIFO with no reader, opened for writing
            raise
        descriptor = -1
    if descriptor < 0 or not stat.S_ISREG(os.fstat(descriptor).st_mode):
        if descriptor >= 0:
            os.close(descriptor)
        raise PoetError(f"{escaped(path)} is not a regular file; remove it and try again.")
    os.set_blocking(descriptor, True)
    return descriptor


def escaped(path: Path) -> str:
    from poet_tui.corpus_reading import shown  # corpus_reading reads through this module

    return shown(path)
