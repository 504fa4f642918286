"""`poet serve`: the app in a web browser, through textual-serve (the optional `serve` extra).

textual-serve starts one `poet` process per browser tab, with stdin and stdout as pipes and `TEXTUAL_DRIVER`
naming Textual's web driver; `launch_app` starts the app when that variable is set instead of printing the help
(see `app_driver_chosen`). Importing this module is cheap: textual-serve and aiohttp load only when serving.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import ipaddress
import os
import shlex
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from poet_tui.errors import PoetError
from poet_tui.paths import poet_home

if TYPE_CHECKING:
    from textual_serve.server import Server

# The variable Textual reads (textual.constants.DRIVER) to pick its driver class instead of the terminal's;
# textual-serve sets it to "textual.drivers.web_driver:WebDriver" for every app process it starts.
TEXTUAL_DRIVER_VARIABLE = "TEXTUAL_DRIVER"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
# How long Ctrl-C waits for open browser sessions to close before their handlers are cancelled.
SHUTDOWN_TIMEOUT_S = 5.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
INSTALL_HINT = "`poet serve` needs textual-serve, which is not installed: pip install 'poet-tui[serve]'."


def app_driver_chosen() -> bool:
    """True when Textual will drive the app through the driver named in the environment (textual-serve's web
    driver) rather than a terminal: then the app needs no TTY on stdin and stdout."""
    return bool(os.environ.get(TEXTUAL_DRIVER_VARIABLE))


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"the address to listen on (default {DEFAULT_HOST}: this machine only; anything else lets whoever "
        "reaches it use the app)",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"the port (default {DEFAULT_PORT})")
    parser.add_argument(
        "--public-url",
        metavar="URL",
        help="the address browsers reach the server by, when not http://HOST:PORT (a proxy, a tunnel)",
    )
    parser.add_argument(
        "--checkpoint",
        dest="serve_checkpoint",
        metavar="RUN_OR_CHECKPOINT",
        help="open each browser session straight in the REPL with this model",
    )


def url_host(host: str) -> str:
    """A host as it goes in a URL: an IPv6 address in brackets."""
    return f"[{host}]" if ":" in host else host


def checked_public_url(arguments: argparse.Namespace) -> str:
    if arguments.public_url is None:
        return f"http://{url_host(arguments.host)}:{arguments.port}"
    url = arguments.public_url.strip().rstrip("/")
    try:
        parts = urlsplit(url)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname) and not (parts.query or parts.fragment)
    except ValueError:  # an unclosed [ of an IPv6 address, say
        usable = False
    if not usable or any(character.isspace() for character in url):
        raise PoetError(
            f"--public-url must be an http:// or https:// address, like https://example.org/poet (got '{url}')."
        )
    return url


def check_arguments(arguments: argparse.Namespace) -> None:
    if not 1 <= arguments.port <= 65535:
        raise PoetError(f"--port must be 1 to 65535 (got {arguments.port}).")
    arguments.host = arguments.host.strip().removeprefix("[").removesuffix("]")  # [::1] as in a URL
    if not arguments.host:
        raise PoetError(f"--host must be an address or a host name, like {DEFAULT_HOST}.")
    if arguments.serve_checkpoint is not None:
        from poet_tui.runs import RunStore  # torch-free: the listing side of the run store

        RunStore().resolve_model(arguments.serve_checkpoint)  # a typo is one sentence now, not one per tab


def is_loopback(host: str) -> bool:
    """Whether every address `host` stands for is this machine's loopback (nobody else can connect)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except (OSError, UnicodeError):
        return False  # the bind itself will say what is wrong with the name
    # An IPv6 address may carry its interface ("fe80::1%eth0"), which ip_address does not take.
    return bool(addresses) and all(
        ipaddress.ip_address(str(address).split("%")[0]).is_loopback for address in addresses
    )


def exposure_warning(host: str) -> str | None:
    """What to say when the server listens where other machines may reach it (None on loopback)."""
    if is_loopback(host):
        return None
    return (
        f"poet: warning: listening on {host} with no password: anyone who can reach it can train models on this "
        "machine and read any file you can (the Corpus pane adds corpora from paths) as well as everything under "
        f"POET_HOME. Use --host {DEFAULT_HOST} unless you mean that."
    )


def app_command(checkpoint: str | None) -> str:
    """The shell command textual-serve runs for each browser tab: this same Python running this same poet_tui.
    `-P` keeps a `poet_tui` folder in the current directory from standing in for it, unless that folder is
    where this one comes from (a source checkout run with `python -m poet_tui serve`). `exec`, so the app is the
    shell's own process and signals reach it."""
    if not sys.executable:
        raise PoetError("cannot tell which Python runs poet (sys.executable is empty); run `python -m poet_tui serve`.")
    import poet_tui

    from_current_directory = Path(poet_tui.__file__).resolve().parent.parent == Path.cwd().resolve()
    words = [sys.executable, *([] if from_current_directory else ["-P"]), "-m", "poet_tui"]
    if checkpoint is not None:
        words += ["--checkpoint", checkpoint]
    return "exec " + shlex.join(words)


def bind_error(error: OSError, arguments: argparse.Namespace) -> PoetError:
    """A failed listen, as the sentence that says what to change."""
    if error.errno == errno.EADDRINUSE:
        return PoetError(f"port {arguments.port} is in use; pick another with --port.")
    if error.errno == errno.EACCES:
        return PoetError(f"not allowed to listen on port {arguments.port}; pick one above 1023 with --port.")
    if isinstance(error, socket.gaierror):
        return PoetError(f"cannot listen on '{arguments.host}': no such host; see --host.")
    if error.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
        return PoetError(f"cannot listen on '{arguments.host}': it is not an address of this machine; see --host.")
    return PoetError(f"cannot listen on {arguments.host}:{arguments.port} ({error.strerror or error}).")


def make_server(command: str, url: str, arguments: argparse.Namespace) -> Server:
    from textual_serve.server import Server

    class PoetServer(Server):
        """textual-serve's server without its banner and access log: `poet serve` prints its own lines."""

        def initialize_logging(self) -> None:
            import logging

            logging.basicConfig(level="WARNING", format="poet serve: %(message)s")

        async def on_startup(self, app: object) -> None:
            pass

    return PoetServer(command, host=arguments.host, port=arguments.port, title="poet-tui", public_url=url)


async def serve_until_stopped(server: Server, announce: Callable[[], None]) -> None:
    """Listen (a port in use fails here, before anything is printed), then serve until SIGINT or SIGTERM.

    `Server.serve` would print its banner before knowing whether it can listen; this is its body with our own
    announcement once it does."""
    from aiohttp import web

    app = await server._make_app()
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT_S)
    await runner.setup()
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()

    def stop() -> None:
        """The first Ctrl-C closes the sessions and stops; a second one, while they close, ends at once."""
        stopped.set()
        end_sessions()
        for signal_number in STOP_SIGNALS:
            loop.remove_signal_handler(signal_number)

    for signal_number in STOP_SIGNALS:
        loop.add_signal_handler(signal_number, stop)
    try:
        await web.TCPSite(runner, server.host, server.port).start()
        announce()
        await stopped.wait()
    finally:
        await runner.cleanup()  # each open session is told to quit (textual-serve's AppService.stop)


def end_sessions() -> None:
    """Ask each app process (this process's children: textual-serve `exec`s one per browser tab) to quit, which
    Textual's web driver does on SIGTERM, closing its tab's session. A Ctrl-C at the terminal reaches them too;
    a signal sent to the server alone would otherwise leave them running until aiohttp gives up waiting."""
    import psutil

    for child in psutil.Process().children():
        with contextlib.suppress(psutil.Error):
            child.terminate()


def serve_command(arguments: argparse.Namespace) -> int:
    """Serve until Ctrl-C (or SIGTERM): exit code 130, like every command Ctrl-C stops."""
    from poet_tui.cli.main import EXIT_INTERRUPTED

    check_arguments(arguments)
    url = checked_public_url(arguments)
    command = app_command(arguments.serve_checkpoint)
    try:
        server = make_server(command, url, arguments)
    except ImportError:
        raise PoetError(INSTALL_HINT) from None

    def announce() -> None:
        print(
            f"poet: serving the app at {url} (each browser tab gets a session of its own, over {poet_home()}); "
            "Ctrl-C stops.",
            flush=True,
        )
        warning = exposure_warning(arguments.host)
        if warning is not None:
            print(warning, file=sys.stderr, flush=True)

    try:
        asyncio.run(serve_until_stopped(server, announce))
    except OSError as error:
        raise bind_error(error, arguments) from None
    print("poet: interrupted.", file=sys.stderr)  # what every command says when Ctrl-C stops it
    return EXIT_INTERRUPTED
