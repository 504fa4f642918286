"""`poet serve`: the app in a browser, as a person uses it — the server started on a free port, the page opened
in headless Chromium, the Corpus pane read off the page's terminal and photographed — and the command's refusals
as one sentence each."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from poet_tui.cli.serve_command import INSTALL_HINT, app_command, exposure_warning, is_loopback
from tests.helpers import poet
from tests.helpers.browser import (
    chromium_page,
    png_colours,
    served_poet,
    wait_for_screen,
    wait_until,
    why_no_browser,
)

NO_BROWSER = why_no_browser()
needs_browser = pytest.mark.skipif(NO_BROWSER is not None, reason=f"no browser check: {NO_BROWSER}")
try:
    import textual_serve  # noqa: F401

    NO_TEXTUAL_SERVE = None
except ImportError:
    NO_TEXTUAL_SERVE = "textual-serve is not installed (pip install -e '.[serve]')"
needs_textual_serve = pytest.mark.skipif(NO_TEXTUAL_SERVE is not None, reason=NO_TEXTUAL_SERVE or "")
# The first frame of a served app on two loaded cores: interpreter, Textual, the corpus table, a websocket.
FIRST_FRAME_S = 120


def assert_one_line_error(result: object, fragment: str) -> None:
    assert result.returncode == 2, result.stderr  # type: ignore[attr-defined]
    lines = result.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1 and lines[0].startswith("poet: ") and fragment in lines[0], lines


class AppOverPipes:
    """`poet` started as textual-serve starts it for a tab (the same environment variables, pipes for stdin and
    stdout), spoken to in textual-serve's packets: b"D"/b"M"/b"P", a 4-byte big-endian length, the payload."""

    def __init__(self, home: Path) -> None:
        environment = {
            **os.environ, "POET_HOME": str(home), "TEXTUAL_DRIVER": "textual.drivers.web_driver:WebDriver",
            "TEXTUAL_FPS": "60", "TEXTUAL_COLOR_SYSTEM": "truecolor", "COLUMNS": "120", "ROWS": "40",
        }  # fmt: skip
        self.process = subprocess.Popen(
            app_command(None), shell=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=environment, start_new_session=True,
        )  # fmt: skip
        self.screen = ""  # every D packet's text so far
        self.metas: list[dict[str, object]] = []
        self.greeted = False
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        self.greeted = stdout.readline() == b"__GANGLION__\n"  # the web driver's first words
        while (kind := stdout.read(1)) and (size := stdout.read(4)):
            payload = stdout.read(int.from_bytes(size, "big"))
            if kind == b"D":
                self.screen += payload.decode("utf-8", errors="replace")
            elif kind == b"M":
                self.metas.append(json.loads(payload))

    def send_meta(self, meta: dict[str, object]) -> None:
        payload = json.dumps(meta).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"M" + len(payload).to_bytes(4, "big") + payload)
        self.process.stdin.flush()

    def send_keys(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(b"D" + len(data).to_bytes(4, "big") + data)
        self.process.stdin.flush()

    def stderr(self) -> str:
        assert self.process.stderr is not None
        return self.process.stderr.read().decode(errors="replace")[-3000:]

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=60)


@pytest.fixture
def app_over_pipes(tmp_path: Path) -> Iterator[AppOverPipes]:
    app = AppOverPipes(tmp_path / "home")
    yield app
    app.close()


@pytest.mark.parametrize("how", ["tab closed", "ctrl+q"])
def test_a_served_app_starts_without_a_terminal_and_its_goodbye_reaches_the_server(
    app_over_pipes: AppOverPipes, how: str
) -> None:
    """`poet` with no TTY prints its help, unless Textual's driver is chosen in the environment, as textual-serve
    chooses it: then the app runs, and after a quit its last packet (the web driver's "exit", which closes the
    browser's session) is written before the process ends (exit_now skips only the interpreter's teardown).
    The quit comes right at the first frame, while the app still mounts the panes it deferred: it waits for
    them and ends cleanly (exit code 0), where it used to end with a half-mounted widget's error."""
    app = app_over_pipes
    wait_until(lambda: app.greeted and "Corpus F2" in app.screen, FIRST_FRAME_S, "the first frame")
    if how == "tab closed":
        app.send_meta({"type": "quit"})  # what textual-serve sends when a tab's websocket closes
    else:
        app.send_keys(b"\x11")
    assert app.process.wait(timeout=60) == 0, app.stderr()
    app.reader.join(timeout=60)
    assert app.metas[-1] == {"type": "exit"}


def test_a_served_app_ends_when_its_server_has_gone(app_over_pipes: AppOverPipes) -> None:
    """The server killed: the app's input ends, and the app quits rather than staying behind unseen."""
    app = app_over_pipes
    wait_until(lambda: "Corpus F2" in app.screen, FIRST_FRAME_S, "the first frame")
    assert app.process.stdin is not None
    app.process.stdin.close()
    assert app.process.wait(timeout=60) == 0, app.stderr()


def test_without_a_driver_or_a_terminal_poet_prints_its_help() -> None:
    result = poet(timeout=60)
    assert result.returncode == 0 and "serve" in result.stdout and "usage: poet" in result.stdout


@needs_browser
def test_the_served_app_shows_the_corpus_pane_in_chromium_and_quits_cleanly(tmp_path: Path) -> None:
    with served_poet(tmp_path / "home") as served, chromium_page() as page:
        page.goto(served.url)
        screen = wait_for_screen(page, "Corpus F2", "tang300", "shakespeare-sonnets", timeout=FIRST_FRAME_S)
        assert "Train F3" in screen and "REPL F5" in screen
        shot = page.screenshot()
        (tmp_path / "serve.png").write_bytes(shot)
        assert png_colours(shot) >= 8  # drawn text in several colours, not a blank or one-colour page
        assert len(served.app_processes()) == 1  # one `poet` for the one tab
        assert "warning" not in served.output()  # loopback: nothing to warn about

        page.focus("textarea.xterm-helper-textarea")  # the keyboard goes to the terminal, as after a click
        page.keyboard.press("Control+q")
        # The app's last words (the web driver's exit packet) reach the page: textual-serve closes the session.
        wait_until(lambda: page.evaluate("document.body.classList.contains('-closed')"), 60, "the session to end")
        assert "Session ended" in page.evaluate("document.body.innerText")
        wait_until(lambda: not served.app_processes(), 60, "the app process to end")
        assert served.process.poll() is None  # the server goes on serving other tabs

    assert served.returncode == 130 and "poet: interrupted." in served.final_output


@needs_browser
def test_a_closed_tab_or_a_killed_server_leaves_no_app_process(tmp_path: Path) -> None:
    with served_poet(tmp_path / "home") as served:
        with chromium_page() as page:
            page.goto(served.url)
            wait_for_screen(page, "Corpus F2", timeout=FIRST_FRAME_S)
            assert len(served.app_processes()) == 1
        # The browser closed without quitting: its session's app is told to quit.
        wait_until(lambda: not served.app_processes(), 60, "the app process of the closed tab to end")

        with chromium_page() as page:
            page.goto(served.url)
            wait_for_screen(page, "Corpus F2", timeout=FIRST_FRAME_S)
            apps = served.app_processes()
            assert len(apps) == 1
            os.kill(served.process.pid, signal.SIGKILL)  # the server alone, with no chance to tidy up
            served.process.wait(timeout=30)
            # The app sees its input end and quits instead of staying behind with nobody to see it.
            wait_until(lambda: not any(app.is_running() and app.status() != "zombie" for app in apps), 60,
                       "the app process to notice its server has gone")  # fmt: skip


@needs_textual_serve
def test_a_port_in_use_is_one_sentence(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = poet("serve", "--port", str(port), timeout=60)
    assert_one_line_error(result, f"port {port} is in use; pick another with --port")


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        (["--port", "0"], "--port must be 1 to 65535"),
        (["--port", "65536"], "--port must be 1 to 65535"),
        (["--port", "eighty"], "invalid int value"),
        (["--host", " "], "--host must be an address"),
        (["--public-url", "ftp://example.org"], "--public-url must be an http:// or https:// address"),
        (["--public-url", "http://[::1"], "--public-url must be"),
        (["--public-url", "http://example.org/?a=1"], "--public-url must be"),
        (["--checkpoint", "no-such-run"], "no run named 'no-such-run'"),
    ],
)
def test_bad_serve_options_are_one_sentence(arguments: list[str], fragment: str) -> None:
    assert_one_line_error(poet("serve", *arguments, timeout=60), fragment)


def block_textual_serve() -> None:
    sys.modules["textual_serve"] = None  # type: ignore[assignment]  # `import textual_serve` now fails


def test_without_textual_serve_poet_serve_says_what_to_install() -> None:
    result = poet("serve", "--port", "1", setup=block_textual_serve, timeout=60)
    assert_one_line_error(result, INSTALL_HINT)


def test_each_tab_runs_this_same_python_and_no_name_can_inject_shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hostile = "run name; $(touch pwned) 'quoted' ü"
    monkeypatch.chdir(tmp_path)  # a folder of the user's: a poet_tui in it must not stand in for ours
    (tmp_path / "poet_tui").mkdir()
    words = shlex.split(app_command(hostile))
    assert words == ["exec", sys.executable, "-P", "-m", "poet_tui", "--checkpoint", hostile]
    assert shlex.split(app_command(None)) == ["exec", sys.executable, "-P", "-m", "poet_tui"]
    result = subprocess.run(["sh", "-c", app_command(hostile).replace("exec ", "exec echo ", 1)],
                            capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert result.stdout.strip().endswith(hostile) and not (tmp_path / "pwned").exists()


def test_a_source_checkout_run_with_python_m_serves_its_own_package(monkeypatch: pytest.MonkeyPatch) -> None:
    """From the folder that holds poet_tui (a checkout, maybe not installed), a tab's `poet` finds the same
    package there, so `-P` (which would hide it) is left out."""
    import poet_tui

    monkeypatch.chdir(Path(poet_tui.__file__).resolve().parent.parent)
    assert shlex.split(app_command(None)) == ["exec", sys.executable, "-m", "poet_tui"]


def test_only_loopback_addresses_go_without_a_warning() -> None:
    for host in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"):
        assert is_loopback(host) and exposure_warning(host) is None, host
    for host in ("0.0.0.0", "::", "192.168.1.10", "example.invalid"):
        assert not is_loopback(host), host
        warning = exposure_warning(host)
        assert warning is not None and host in warning and "anyone who can reach it" in warning
