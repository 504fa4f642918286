"""A Gutenberg mirror on 127.0.0.1 for tests that must never touch the network: a threaded http.server serving
files in the mirror layout (`cache/epub/feeds/pg_catalog.csv`, `cache/epub/{id}/pg{id}.txt`), each with a way
to misbehave: ignore Range, stall mid-body until the test releases it, drop the connection after N bytes,
answer an error status for a number of requests, or send no Content-Length."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

RANGE = re.compile(r"^bytes=(\d+)-$")
STALL_LIMIT_S = 30  # a stalled response never outlives a forgotten release by more than this


@dataclass
class Behaviour:
    """How one file is served; `*_times` counts the requests that misbehave before it serves normally."""

    honour_range: bool = True
    stall_after: int | None = None
    stall_times: int = 1
    drop_after: int | None = None
    drop_times: int = 1
    status: int | None = None
    status_times: int = 1_000_000
    send_length: bool = True
    etag: str = '"v1"'


@dataclass(frozen=True)
class Seen:
    path: str
    range: str | None
    if_range: str | None
    user_agent: str | None


class MirrorServer:
    """The files and behaviours the handler serves, and every request it saw."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.behaviours: dict[str, Behaviour] = {}
        self.requests: list[Seen] = []
        self.release = threading.Event()  # a stalled response waits for this
        self.stalled = threading.Event()  # set when a response has begun to stall
        self.lock = threading.Lock()
        handler = type("Handler", (MirrorHandler,), {"mirror": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def serve(self, path: str, data: bytes | str, **behaviour: object) -> str:
        self.files[path] = data.encode("utf-8") if isinstance(data, str) else data
        self.behaviours[path] = Behaviour(**behaviour)  # type: ignore[arg-type]
        return path

    def book(self, book_id: int, data: bytes | str, **behaviour: object) -> str:
        return self.serve(f"/cache/epub/{book_id}/pg{book_id}.txt", data, **behaviour)

    def catalogue(self, data: bytes | str, **behaviour: object) -> str:
        return self.serve("/cache/epub/feeds/pg_catalog.csv", data, **behaviour)

    def requests_for(self, path: str) -> list[Seen]:
        return [seen for seen in self.requests if seen.path == path]

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class MirrorHandler(BaseHTTPRequestHandler):
    mirror: MirrorServer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests read `mirror.requests` instead."""

    def do_GET(self) -> None:
        mirror = self.mirror
        path = self.path.split("?", 1)[0]
        with mirror.lock:
            seen = Seen(path, self.headers.get("Range"), self.headers.get("If-Range"), self.headers.get("User-Agent"))
            mirror.requests.append(seen)
            behaviour = mirror.behaviours.get(path)
            data = mirror.files.get(path)
            status = None
            if behaviour is not None and behaviour.status is not None and behaviour.status_times > 0:
                behaviour.status_times -= 1
                status = behaviour.status
        if data is None or behaviour is None or status is not None:
            self.send_error(status or 404)
            return
        start = self.range_start(seen, behaviour)
        if start is not None and start >= len(data):
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{len(data)}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = data[start or 0 :]
        self.send_response(206 if start is not None else 200)
        if start is not None:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        if behaviour.send_length:
            self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", behaviour.etag)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.end_headers()
        self.send_body(body, start or 0, behaviour)

    def range_start(self, seen: Seen, behaviour: Behaviour) -> int | None:
        """Where a honoured Range starts; None for a whole-file answer (no Range, ignored, or If-Range stale)."""
        match = RANGE.match(seen.range or "")
        if match is None or not behaviour.honour_range:
            return None
        if seen.if_range is not None and seen.if_range != behaviour.etag:
            return None
        return int(match.group(1))

    def send_body(self, body: bytes, offset: int, behaviour: Behaviour) -> None:
        mirror = self.mirror
        with mirror.lock:
            stall = behaviour.stall_after is not None and behaviour.stall_times > 0 and offset < behaviour.stall_after
            drop = behaviour.drop_after is not None and behaviour.drop_times > 0 and offset < behaviour.drop_after
            if stall:
                behaviour.stall_times -= 1
            elif drop:
                behaviour.drop_times -= 1
        if stall:
            self.wfile.write(body[: (behaviour.stall_after or 0) - offset])
            self.wfile.flush()
            mirror.stalled.set()
            mirror.release.wait(STALL_LIMIT_S)
            self.close_connection = True
            return
        if drop:
            self.wfile.write(body[: (behaviour.drop_after or 0) - offset])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        self.wfile.write(body)


def closed_port_url() -> str:
    """An address on 127.0.0.1 where nothing listens: connecting is refused at once, as when offline."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def running_mirror(monkeypatch: pytest.MonkeyPatch) -> Iterator[MirrorServer]:
    """For a test module's `mirror` fixture (`yield from running_mirror(monkeypatch)`): a started mirror, named by
    POET_GUTENBERG_MIRROR for the test and any `poet` child it starts, closed afterwards."""
    server = MirrorServer()
    server.thread.start()
    monkeypatch.setenv("POET_GUTENBERG_MIRROR", server.url)
    try:
        yield server
    finally:
        server.close()
