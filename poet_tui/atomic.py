"""Crash-safe file writes: a reader sees the old file or the new one, never half of either."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temp file in the same directory, fsync it, rename it over `path`, fsync the directory."""
    atomic_write_with(path, lambda temp_file: temp_file.write(data))


def atomic_write_with(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Like atomic_write_bytes, with `write` filling the temp file: big arrays go to disk without a copy."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(handle, 0o644)  # mkstemp makes 0600; a run's files should read like any other file
        with os.fdopen(handle, "wb") as temp_file:
            write(temp_file)
            temp_file.flush()
            os.fsync(temp_file.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    fsync_directory(path.parent)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def fsync_directory(directory: Path) -> None:
    """Make a rename durable; some filesystems refuse to open directories, which is harmless."""
    try:
        directory_handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(directory_handle)
    except OSError:
        pass
    finally:
        os.close(directory_handle)


def remove_stale_temp_files(*directories: Path) -> None:
    """Temp files of atomic writes a kill interrupted (`.name.XXXX.tmp`); only a folder's one writer calls
    this, holding its lock, so no write in progress is ever removed."""
    for directory in directories:
        with contextlib.suppress(OSError):
            for entry in os.scandir(directory):
                if (
                    entry.name.startswith(".")
                    and entry.name.endswith(".tmp")
                    and not entry.is_dir(follow_symlinks=False)
                ):
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)
