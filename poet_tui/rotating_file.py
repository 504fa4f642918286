"""A log file that stays bounded: appended to without following a link planted in its place, and moved to
`<name>.1` (replacing the one before) when it would pass its limit, so at most twice the limit is on disk and the
newest lines are always kept. Used for a run's `train.log` and the app's `app.log`."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import BinaryIO

from poet_tui.errors import PoetError
from poet_tui.safe_files import open_for_append


def previous_path(path: Path) -> Path:
    return path.with_name(f"{path.name}.1")


class RotatingFile:
    """Not thread-safe: its owner holds a lock. A file that cannot be written (a link or a folder in its place, a
    full disk) is given up for good: logging must never break what it logs."""

    def __init__(self, path: Path, limit_bytes: int) -> None:
        self.path = Path(path)
        self.limit_bytes = limit_bytes
        self.file: BinaryIO | None = None
        self.size = 0
        self.given_up = False
        self.written = False  # a line reached the file

    def append(self, data: bytes) -> bool:
        """Whether `data` reached the file."""
        if self.given_up:
            return False
        try:
            if self.file is None:
                self.file = open_for_append(self.path)
                self.size = os.fstat(self.file.fileno()).st_size
            if self.size and self.size + len(data) > self.limit_bytes:
                self.file.close()
                self.file = None
                os.replace(self.path, previous_path(self.path))
                self.file = open_for_append(self.path)
                self.size = 0
            self.file.write(data)
            self.file.flush()
        except (OSError, PoetError):
            self.given_up = True
            self.close()
            return False
        self.size += len(data)
        self.written = True
        return True

    def close(self) -> None:
        if self.file is not None:
            with contextlib.suppress(OSError):
                self.file.close()
            self.file = None
