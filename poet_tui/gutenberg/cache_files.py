"""Downloaded files kept under `$POET_HOME/gutenberg/` with a small JSON record beside each (its sha256, size,
URL and when it came), and checked against that record every time they are read back: a file whose checksum no
longer matches is downloaded again, never trusted. A lock file per download keeps two processes (the app and a
CLI) from writing one `.part` at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from poet_tui.atomic import atomic_write_text
from poet_tui.errors import PoetError
from poet_tui.safe_files import open_own_file, read_bounded_bytes, read_json_file

RECORD_FORMAT = 1
SHA256_LENGTH = 64
LOCK_POLL_S = 0.1


@dataclass(frozen=True)
class FileRecord:
    """What is known of a downloaded file: where from, when, and the checksum it must still have."""

    url: str
    sha256: str
    size: int
    downloaded: str  # ISO-8601, UTC

    @property
    def date(self) -> str:
        return self.downloaded[:10]

    def to_json(self) -> dict[str, Any]:
        return {"format": RECORD_FORMAT, "url": self.url, "sha256": self.sha256, "size": self.size,
                "downloaded": self.downloaded}  # fmt: skip


@dataclass(frozen=True)
class CheckedFile:
    """A cached file read back whole and found to match its record."""

    data: bytes
    record: FileRecord


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def record_path(data_path: Path) -> Path:
    return data_path.with_suffix(".json")


def write_record(data_path: Path, record: FileRecord) -> None:
    atomic_write_text(record_path(data_path), json.dumps(record.to_json(), indent=2) + "\n")


def forget(data_path: Path) -> None:
    """Drop a file's record first (a file without one is never trusted), then the file."""
    for path in (record_path(data_path), data_path):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def read_record(data_path: Path) -> FileRecord | None:
    """The record beside a file, or None when it is missing or not one poet-tui wrote."""
    path = record_path(data_path)
    if not os.path.lexists(path):
        return None
    try:
        item = read_json_file(path, limit=64 * 1024)
    except PoetError:
        return None
    if not isinstance(item, dict) or item.get("format") != RECORD_FORMAT:
        return None
    url, digest, size, downloaded = (item.get(key) for key in ("url", "sha256", "size", "downloaded"))
    if not (isinstance(url, str) and isinstance(digest, str) and isinstance(downloaded, str)):
        return None
    if len(digest) != SHA256_LENGTH or isinstance(size, bool) or not isinstance(size, int) or size < 0:
        return None
    return FileRecord(url, digest.lower(), size, downloaded)


def checked_file(data_path: Path, limit: int) -> tuple[CheckedFile | None, str]:
    """The cached file and its record when they agree; else None and why ("" when there simply is none)."""
    record = read_record(data_path)
    present = os.path.lexists(data_path)
    if record is None:
        return None, "it has no valid record of its checksum" if present else ""
    if not present:
        return None, ""
    try:
        data = read_bounded_bytes(data_path, limit, what="downloaded file")
    except PoetError as error:
        return None, str(error).rstrip(".")
    if len(data) != record.size or hashlib.sha256(data).hexdigest() != record.sha256:
        return None, "its checksum no longer matches the one recorded when it was downloaded"
    return CheckedFile(data, record), ""


@contextlib.contextmanager
def held_lock(lock_path: Path, cancel: threading.Event | None = None, what: str = "") -> Iterator[None]:
    """An exclusive OS lock on `lock_path` (created, never deleted; the kernel frees it when the process dies).
    While another process holds it (downloading the same file), wait, and give up if `cancel` is set."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = open_own_file(lock_path, os.O_RDWR | os.O_CREAT)
    try:
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if cancel is not None and cancel.wait(LOCK_POLL_S):
                    raise PoetError(f"cancelled while another poet was downloading {what or lock_path.stem}.") from None
                if cancel is None:
                    time.sleep(LOCK_POLL_S)
        yield
    finally:
        os.close(descriptor)
