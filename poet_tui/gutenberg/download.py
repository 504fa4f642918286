"""One file from a mirror to the disk, surviving a flaky network: resumable, bounded, cancellable.

The bytes go to `<file>.part` as they arrive, so a dropped connection, a stalled read (the socket timeout), a
cancel or Ctrl-C leaves what came so far, and the next try asks only for the rest (`Range`, guarded by `If-Range`
so a file that changed on the mirror is fetched whole rather than spliced). A server that ignores `Range`
(200 instead of 206) restarts the file cleanly. Failures that may pass (timeouts, resets, 5xx, 429) are retried
with exponential backoff, a bounded number of times in a row; the rest (404, a file over the size cap) are one
sentence at once. Only when every byte announced has arrived is the `.part` renamed into place.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import re
import stat
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from io import RawIOBase
from pathlib import Path
from typing import Any, BinaryIO

from poet_tui.atomic import atomic_write_text, fsync_directory
from poet_tui.corpus_reading import shown
from poet_tui.errors import PoetError
from poet_tui.gutenberg.mirror import MIRROR_VARIABLE, user_agent
from poet_tui.safe_files import describe_os_error, human_size, open_own_file

ProgressCallback = Callable[[int, int | None], None]
CHUNK_BYTES = 64 * 1024
CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$")
UNSATISFIED_RANGE = re.compile(r"^\s*bytes\s+\*/(\d+)\s*$")
RETRIED_STATUSES = {408, 425, 429, 500, 502, 503, 504}
MISSING_STATUSES = {404, 410}


@dataclass(frozen=True)
class NetworkSettings:
    """How patient a download is. `timeout_s` bounds connecting and every single read (a stalled body ends
    there, and the next try resumes); `attempts` failures in a row give up; the wait before try n is
    `backoff_s * 2**(n-1)`, at most `backoff_cap_s`. `sleep` waits (tests pass one that does not)."""

    timeout_s: float = 30.0
    attempts: int = 4
    backoff_s: float = 1.0
    backoff_cap_s: float = 30.0
    sleep: Callable[[float], None] | None = None

    def backoff(self, failures: int) -> float:
        return float(min(self.backoff_cap_s, self.backoff_s * 2 ** (failures - 1)))


@dataclass(frozen=True)
class FileRequest:
    """What to fetch and where it goes; `what` names it in sentences ("book 1342", "the catalogue")."""

    url: str
    destination: Path
    limit_bytes: int
    what: str


@dataclass(frozen=True)
class FetchedFile:
    path: Path
    size: int
    sha256: str
    resumed: bool  # some of it came from a `.part` an earlier try left


class DownloadCancelled(PoetError):
    """The user stopped it; what came so far stays in the `.part` for the next try."""


class NotOnMirror(PoetError):
    """The mirror has no such file (404 or 410): retrying will not help."""

    def __init__(self, request: FileRequest, answer: str) -> None:
        super().__init__(f"{request.what} is not on the mirror ({shown(request.url)} answered {answer}).")
        self.url = request.url
        self.answer = answer


class Unreachable(PoetError):
    """Every try failed on the network: offline, a proxy in the way, or the mirror down."""


class RetryableFailure(Exception):
    """A failure that may pass: the loop waits and tries again (never reaches the user as such)."""


def part_path(destination: Path) -> Path:
    return destination.with_name(destination.name + ".part")


def part_meta_path(destination: Path) -> Path:
    return destination.with_name(destination.name + ".part.json")


def download_file(
    request: FileRequest,
    settings: NetworkSettings,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> FetchedFile:
    """Fetch `request.url` to `request.destination` (replaced atomically), resuming a `.part` left before."""
    request.destination.parent.mkdir(parents=True, exist_ok=True)
    resumed = part_size(request.destination) > 0
    failures = 0
    last_problem = ""
    while True:
        if cancel is not None and cancel.is_set():
            raise cancelled(request)
        before = part_size(request.destination)
        try:
            transfer(request, settings, progress, cancel)
            break
        except RetryableFailure as problem:
            last_problem = str(problem)
            failures = 1 if part_size(request.destination) > before else failures + 1
            if failures >= settings.attempts:
                raise unreachable(request, last_problem, settings.attempts) from None
            wait(settings, settings.backoff(failures), cancel)
    part = part_path(request.destination)
    size, digest = file_digest(part)
    os.replace(part, request.destination)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(part_meta_path(request.destination))
    fsync_directory(request.destination.parent)
    return FetchedFile(request.destination, size, digest, resumed)


def wait(settings: NetworkSettings, seconds: float, cancel: threading.Event | None) -> None:
    if settings.sleep is not None:
        settings.sleep(seconds)
    elif cancel is not None:
        cancel.wait(seconds)
    else:
        time.sleep(seconds)


def transfer(
    request: FileRequest,
    settings: NetworkSettings,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
) -> None:
    """One try: ask for what is missing, append it to the `.part`; RetryableFailure when it may pass."""
    offset = resumable_offset(request)
    validator = read_validator(request) if offset else None
    headers = {"User-Agent": user_agent()}
    if offset:
        headers["Range"] = f"bytes={offset}-"
        if validator:
            headers["If-Range"] = validator
    try:
        response = urllib.request.urlopen(
            urllib.request.Request(request.url, headers=headers), timeout=settings.timeout_s
        )
    except urllib.error.HTTPError as error:
        with contextlib.closing(error):
            handle_refusal(request, error, offset)
        return  # a 416 for a `.part` that already holds the whole file
    except urllib.error.URLError as error:
        if isinstance(error.reason, FileNotFoundError):  # a file:// mirror without the file
            raise NotOnMirror(request, "no such file") from None
        raise RetryableFailure(reason_text(error.reason)) from None
    except (TimeoutError, OSError, http.client.HTTPException) as error:
        raise RetryableFailure(reason_text(error)) from None
    with contextlib.closing(response):
        start, total = accepted_range(request, response, offset)
        if start == 0:
            write_validator(request, response)
        receive(request, response, start, total, progress, cancel)


def handle_refusal(request: FileRequest, error: urllib.error.HTTPError, offset: int) -> None:
    """An HTTP error status: a 416 may mean the `.part` is already whole; 404 is final; 5xx and 429 may pass."""
    if error.code == 416 and offset:
        match = UNSATISFIED_RANGE.match(error.headers.get("Content-Range", "") or "")
        if match and int(match.group(1)) == offset:
            return
        discard_part(request)
        raise RetryableFailure("the mirror refused to resume the partial download; starting again")
    if error.code in MISSING_STATUSES:
        raise NotOnMirror(request, f"{error.code} {error.reason}")
    if error.code in RETRIED_STATUSES:
        raise RetryableFailure(f"the mirror answered {error.code} {error.reason}")
    raise PoetError(
        f"the mirror answered {error.code} {error.reason} for {request.what} ({shown(request.url)}); "
        f"check {MIRROR_VARIABLE} or try again later."
    )


def accepted_range(request: FileRequest, response: Any, offset: int) -> tuple[int, int | None]:
    """Where the body starts in the file and the file's whole size (None when the server does not say)."""
    status = response.status if response.status is not None else 200  # file:// has no status
    length_text = response.headers.get("Content-Length")
    length = int(length_text) if length_text and length_text.strip().isdigit() else None
    if status == 206:  # a part: only the one asked for will do
        match = CONTENT_RANGE.match(response.headers.get("Content-Range", "") or "")
        if match is None or int(match.group(1)) != offset:
            discard_part(request)
            raise RetryableFailure("the mirror sent a different part of the file than asked; starting again")
        total = int(match.group(3)) if match.group(3) != "*" else None
        start = offset
    elif status in (200, 203):
        start, total = 0, length  # a server that ignores Range sends the whole file: start it afresh
    else:
        raise PoetError(
            f"the mirror answered {status} for {request.what} ({shown(request.url)}), which is not a file; "
            f"check {MIRROR_VARIABLE}."
        )
    if total is not None and total > request.limit_bytes:
        discard_part(request)
        raise PoetError(
            f"{request.what} is {human_size(total)} on the mirror, more than the {human_size(request.limit_bytes)} "
            f"poet-tui accepts; check {MIRROR_VARIABLE}."
        )
    return start, total


def receive(
    request: FileRequest,
    response: BinaryIO,
    start: int,
    total: int | None,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
) -> None:
    """Write the body after `start` bytes of the `.part`, checking the cap, the cancel flag and the length."""
    done = start
    # read1: whatever one socket read brings, so the bytes before a stall are on disk when the timeout strikes
    read_some = getattr(response, "read1", response.read)
    with open_part(request.destination, start) as part:
        if progress is not None:
            progress(done, total)
        while True:
            if cancel is not None and cancel.is_set():
                raise cancelled(request)
            try:
                chunk = read_some(CHUNK_BYTES)
            except (TimeoutError, OSError, http.client.HTTPException) as error:
                raise RetryableFailure(
                    f"the transfer broke off after {human_size(done)} ({reason_text(error)})"
                ) from None
            if not chunk:
                break
            if done + len(chunk) > request.limit_bytes:
                part.close()
                discard_part(request)
                raise PoetError(
                    f"{request.what} is more than the {human_size(request.limit_bytes)} poet-tui accepts; "
                    f"check {MIRROR_VARIABLE}."
                )
            part.write(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
        part.flush()
        os.fsync(part.fileno())
    if total is not None and done < total:
        raise RetryableFailure(f"the connection closed after {human_size(done)} of {human_size(total)}")


def open_part(destination: Path, start: int) -> RawIOBase:
    """The `.part` for writing at `start` (cut there): never through a link planted in its place."""
    descriptor = open_own_file(part_path(destination), os.O_WRONLY | os.O_CREAT)
    handle = os.fdopen(descriptor, "wb", buffering=0)  # each piece on disk as it lands: even kill -9 keeps it
    handle.truncate(start)
    handle.seek(start)
    return handle


def part_size(destination: Path) -> int:
    try:
        return os.lstat(part_path(destination)).st_size
    except OSError:
        return 0


def resumable_offset(request: FileRequest) -> int:
    """How much of the file a `.part` already holds; one bigger than the cap is damaged and starts again."""
    try:
        status = os.lstat(part_path(request.destination))
    except OSError:
        return 0
    if status.st_size > request.limit_bytes or not stat.S_ISREG(status.st_mode):  # a link planted there goes
        discard_part(request)
        return 0
    return status.st_size


def discard_part(request: FileRequest) -> None:
    for path in (part_path(request.destination), part_meta_path(request.destination)):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def write_validator(request: FileRequest, response: Any) -> None:
    """Remember which version of the file the `.part` holds (ETag or Last-Modified), and from where."""
    etag = response.headers.get("ETag") or ""
    validator = etag if etag and not etag.startswith("W/") else response.headers.get("Last-Modified") or ""
    atomic_write_text(part_meta_path(request.destination), json.dumps({"url": request.url, "validator": validator}))


def read_validator(request: FileRequest) -> str | None:
    """The validator of the `.part`, or None when it has none; a `.part` from another URL starts again."""
    try:
        meta = json.loads(part_meta_path(request.destination).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("url") != request.url:
        discard_part(request)
        return None
    validator = meta.get("validator")
    return validator if isinstance(validator, str) and validator.isprintable() and validator else None


def file_digest(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def reason_text(reason: object) -> str:
    if isinstance(reason, TimeoutError):
        return "timed out"
    if isinstance(reason, OSError) and reason.strerror:
        return describe_os_error(reason)
    return str(reason) or type(reason).__name__


def unreachable(request: FileRequest, problem: str, attempts: int) -> Unreachable:
    kept = part_size(request.destination)
    resumed = f"; the {human_size(kept)} that arrived are kept and resumed" if kept else ""
    return Unreachable(
        f"could not download {request.what} from {shown(request.url)} after {attempts} "
        f"{'try' if attempts == 1 else 'tries'} ({problem}); check the network connection (or {MIRROR_VARIABLE}, "
        f"or your proxy settings) and try again{resumed}."
    )


def cancelled(request: FileRequest) -> DownloadCancelled:
    return DownloadCancelled(
        f"the download of {request.what} was cancelled; the {human_size(part_size(request.destination))} "
        "that arrived are kept and resumed next time."
    )
