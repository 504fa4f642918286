"""The event stream every reader shares: one JSON object per line in `metrics.jsonl` (and on stdout)."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from poet_tui.errors import PoetError

EVENT_KINDS = ("start", "step", "eval", "sample", "checkpoint", "done", "error")


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
        self.file: TextIO | None = None
        if path is not None:
            self.attach(path)

    def attach(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        ends_torn = path.exists() and path.stat().st_size > 0 and last_byte(path) != b"\n"
        self.file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - lives as long as the run
        if ends_torn:
            # A killed writer left half a line; end it so our first event starts a line of its own.
            self.file.write("\n")

    def emit(self, kind: str, /, **fields: Any) -> dict[str, Any]:
        event = make_event(kind, **fields)
        line = encode_event(event)
        if self.file is not None:
            try:
                self.file.write(line + "\n")
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


def last_byte(path: Path) -> bytes:
    with open(path, "rb") as file:
        file.seek(-1, os.SEEK_END)
        return file.read(1)


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


def parse_event_line(line: str) -> dict[str, Any] | None:
    """An event, or None for a torn or foreign line (a crash can cut the last line short)."""
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        return None
    return event if isinstance(event, dict) and "event" in event else None


def read_events(path: Path) -> Iterator[dict[str, Any]]:
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            for line in file:
                event = parse_event_line(line)
                if event is not None:
                    yield event
    except FileNotFoundError:
        return
