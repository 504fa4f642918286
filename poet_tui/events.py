"""The event stream every reader shares: one JSON object per line in `metrics.jsonl` (and on stdout).

Writing and reading lines lives here; what each kind of line means, and the checks a line must pass, live in
`poet_tui.event_types`. `parse_event_line` and `read_events` hand back the checked JSON objects (for code
that forwards or stores lines); readers that fold events take the typed ones (`read_typed_events`)."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from poet_tui.errors import PoetError
from poet_tui.event_types import Event, parse_event
from poet_tui.safe_files import open_for_append, open_regular_file, parse_json_text
from poet_tui.schemas import Invalid

# A line longer than this is not an event poet-tui wrote (a sample is at most a few thousand characters).
MAX_EVENT_LINE_BYTES = 4 * 2**20


def make_event(kind: str, /, **fields: Any) -> dict[str, Any]:
    """`"event"` first, as the design card asks, so a human reading the file sees the kind at once."""
    return {"event": kind, **fields}


def encode_event(event: dict[str, Any]) -> str:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))


class EventLog:
    """Appends events to `metrics.jsonl` (flushed per line) and hands each to an optional listener."""

    def __init__(self, path: Path | None, listener: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.path = path
        self.listener = listener
        self.file: BinaryIO | None = None
        if path is not None:
            self.attach(path)

    def attach(self, path: Path) -> None:
        """Open the run's log for appending, never through a link planted in its place."""
        self.path = path
        self.file = open_for_append(path)
        if self.file.tell() > 0 and last_byte(self.file) != b"\n":
            # A killed writer left half a line; end it so our first event starts a line of its own.
            self.file.write(b"\n")

    def emit(self, kind: str, /, **fields: Any) -> dict[str, Any]:
        event = make_event(kind, **fields)
        line = encode_event(event)
        if self.file is not None:
            try:
                self.file.write((line + "\n").encode("utf-8"))
                self.file.flush()
            except OSError as error:
                self.file = None  # stop writing; the listener still hears the error below
                message = f"could not append to {self.path} ({error.strerror or error}); free some space, then resume."
                if self.listener is not None:
                    self.listener(make_event("error", message=message))
                raise PoetError(message) from None
        if self.listener is not None:
            self.listener(event)
        return event

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


def last_byte(file: BinaryIO) -> bytes:
    """The last byte of a file open for appending (pread: the append position is untouched)."""
    size = os.fstat(file.fileno()).st_size
    return os.pread(file.fileno(), 1, size - 1) if size else b""


class StdoutEvents:
    """The `--jsonl` listener: one flushed line per event on stdout, so a parent process sees it at once.

    If the reader goes away (an app that quit and left the run training), printing stops and training goes
    on: the events still reach `metrics.jsonl`, where a reader can follow them.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self.closed = False

    def __call__(self, event: dict[str, Any]) -> None:
        if self.closed:
            return
        try:
            self.stream.write(encode_event(event) + "\n")
            self.stream.flush()
        except (BrokenPipeError, ValueError, OSError):
            self.closed = True
            with contextlib.suppress(OSError):
                # Point fd 1 at /dev/null so the interpreter's final flush does not fail on the dead pipe.
                os.dup2(os.open(os.devnull, os.O_WRONLY), 1)


def decode_event_line(line: str) -> tuple[dict[str, Any], Event] | None:
    """A line holding a well-formed event of a known kind, as its JSON object and typed; None for a torn,
    foreign or damaged line (a crash can cut the last line short; a hand-edited file can hold anything)."""
    line = line.strip()
    if not line.startswith("{") or len(line) > MAX_EVENT_LINE_BYTES:
        return None
    try:
        data = parse_json_text(line, "an event line")
        return data, parse_event(data)
    except (PoetError, Invalid):
        return None


def parse_event_line(line: str) -> dict[str, Any] | None:
    """A checked event as its JSON object (for code that forwards or stores lines), or None to skip it."""
    decoded = decode_event_line(line)
    return None if decoded is None else decoded[0]


def parse_typed_event_line(line: str) -> Event | None:
    """A line as a typed event, or None to skip it."""
    decoded = decode_event_line(line)
    return None if decoded is None else decoded[1]


def read_event_lines(path: Path) -> Iterator[str]:
    """Every line of a run's log that could be an event; the log is never followed through a link, and a line
    too long to be ours is skipped without being held in memory whole."""
    try:
        handle = open_regular_file(path, what="event log")
    except PoetError:
        if not os.path.lexists(path):
            return
        raise
    with handle:
        while line := handle.readline(MAX_EVENT_LINE_BYTES + 1):
            if len(line) > MAX_EVENT_LINE_BYTES and not line.endswith(b"\n"):
                while (rest := handle.readline(MAX_EVENT_LINE_BYTES)) and not rest.endswith(b"\n"):
                    pass
                continue
            yield line.decode("utf-8", "replace")


def read_events(path: Path) -> Iterator[dict[str, Any]]:
    """Every readable event of a run's log, as checked JSON objects."""
    for line in read_event_lines(path):
        event = parse_event_line(line)
        if event is not None:
            yield event


def read_typed_events(path: Path) -> Iterator[Event]:
    """Every readable event of a run's log, typed."""
    for line in read_event_lines(path):
        event = parse_typed_event_line(line)
        if event is not None:
            yield event
