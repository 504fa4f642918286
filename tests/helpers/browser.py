"""`poet serve` as a person uses it: the server in a process group of its own, and the page it serves in
headless Chromium driven by Playwright (Debian's /usr/bin/chromium: Playwright's own browser download is not
used). Shared by tests/test_serve.py and assets/make_serve_screenshot.py."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip
# textual-serve draws the terminal with xterm.js on a canvas, so the page's DOM holds no text. This script runs
# before the page's own and keeps the xterm.js Terminal that textual-serve assigns to `this.terminal`, so its
# screen buffer (the rows of cells the canvas draws) can be read as text.
CATCH_TERMINAL = """
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  set(value) {
    Object.defineProperty(this, "terminal", {value, writable: true, configurable: true, enumerable: true});
    if (value && value.buffer) window.poetTerminal = value;
  },
});
"""
SCREEN_TEXT = """() => {
  const terminal = window.poetTerminal;
  if (!terminal) return "";
  const buffer = terminal.buffer.active, rows = [];
  for (let y = 0; y < terminal.rows; y++) {
    const line = buffer.getLine(buffer.viewportY + y);
    rows.push(line ? line.translateToString(true) : "");
  }
  return rows.join("\\n");
}"""


def why_no_browser() -> str | None:
    """Why these checks cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (Debian: apt-get install chromium; .ci/run installs it)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing (it is in the dev list of pyproject.toml)"
    try:
        import textual_serve  # noqa: F401
    except ImportError:
        return "textual-serve is missing (pip install -e '.[serve]')"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_answers(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class ServedPoet:
    process: subprocess.Popen[bytes]
    port: int
    log: Path  # the server's stdout and stderr together
    final_output: str = ""  # the whole of it, once the server has been stopped

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def returncode(self) -> int | None:
        return self.process.returncode

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def app_processes(self) -> list[Any]:
        """The `poet` app processes the server started, one per open browser session (psutil.Process)."""
        import psutil

        try:
            children = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        found = []
        for child in children:
            with contextlib.suppress(psutil.Error):
                if child.cmdline()[-2:] == ["-m", "poet_tui"] or "--checkpoint" in child.cmdline():
                    found.append(child)
        return found


def wait_until(condition: Any, timeout: float, what: str, interval: float = 0.2) -> Any:
    """Poll `condition` until it returns something true (returned), failing after `timeout` seconds: a net
    against a hang, generous for a loaded machine, never a fixed sleep standing in for the wait."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


@contextlib.contextmanager
def served_poet(home: Path, *arguments: str, port: int | None = None, timeout: float = 120) -> Iterator[ServedPoet]:
    """`poet serve --port PORT ARGUMENTS` with POET_HOME=home, once its port answers; on the way out its whole
    process group (the server and the app processes it started) is interrupted, then killed if it lingers."""
    port = port or free_port()
    log = Path(tempfile.mkstemp(prefix="poet-serve-", suffix=".log")[1])
    environment = {**os.environ, "POET_HOME": str(home)}
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "poet_tui", "serve", "--port", str(port), *arguments],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=environment,
            start_new_session=True,
        )
    served = ServedPoet(process, port, log)
    try:
        wait_until(lambda: process.poll() is not None or port_answers(port), timeout, f"port {port} to answer")
        if process.poll() is not None:
            raise AssertionError(f"poet serve exited with {process.returncode}: {served.output()}")
        yield served
    finally:
        stop_group(process)
        with contextlib.suppress(OSError):
            served.final_output = served.output()
            log.unlink()


def stop_group(process: subprocess.Popen[bytes], patience: float = 30) -> None:
    """Ctrl-C to the server's process group, as a terminal sends it; SIGKILL to the group if it lingers."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGINT)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=patience)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=patience)


@contextlib.contextmanager
def chromium_page(width: int = 1280, height: int = 800) -> Iterator[Any]:
    """A page of a fresh headless Chromium (its own user-data-dir, removed afterwards)."""
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="poet-chromium-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile,
                executable_path=str(CHROMIUM),
                args=CHROMIUM_ARGS,
                headless=True,
                viewport={"width": width, "height": height},
            )
            try:
                context.add_init_script(CATCH_TERMINAL)
                context.route("**/*", local_only)
                page = context.pages[0] if context.pages else context.new_page()
                page.set_default_timeout(60_000)
                yield page
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def local_only(route: Any) -> None:
    """Requests to this machine go through; the rest (the page links a web font) fail at once, so nothing
    waits on a network the test machine may not have."""
    if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
        route.continue_()
    else:
        route.abort()


def screen_text(page: Any) -> str:
    """The rows the page's terminal shows, as text."""
    return str(page.evaluate(SCREEN_TEXT))


def wait_for_screen(page: Any, *texts: str, timeout: float = 120) -> str:
    """The screen's text once it holds every one of `texts`."""
    return str(
        wait_until(
            lambda: (text := screen_text(page)) and all(wanted in text for wanted in texts) and text,
            timeout,
            f"the page to show {texts}",
            interval=0.25,
        )
    )


def png_colours(data: bytes, enough: int = 64) -> int:
    """How many distinct pixel values an 8-bit, non-interlaced RGB or RGBA PNG holds (counting stops at
    `enough`): a screenshot of a page that drew nothing is one colour. No imaging library needed."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, chunks, header = 8, [], b""
    while position < len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        kind, body = data[position + 4 : position + 8], data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height = int.from_bytes(header[0:4], "big"), int.from_bytes(header[4:8], "big")
    depth, colour_type, interlace = header[8], header[9], header[12]
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, "only 8-bit RGB(A), non-interlaced"
    size = 3 if colour_type == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * size
    previous = bytearray(stride)
    colours: set[bytes] = set()
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - size] if i >= size else 0
            up, up_left = previous[i], previous[i - size] if i >= size else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                estimate = left + up - up_left
                nearest = min((abs(estimate - left), 0, left), (abs(estimate - up), 1, up),
                              (abs(estimate - up_left), 2, up_left))[2]  # fmt: skip
                line[i] = (line[i] + nearest) & 0xFF
        colours.update(bytes(line[i : i + size]) for i in range(0, stride, size))
        if len(colours) >= enough:
            return len(colours)
        previous = line
    return len(colours)
