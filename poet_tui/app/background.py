"""Work the app may abandon when it quits: importing PyTorch and loading a model for the REPL.

These only read, so they run in daemon threads rather than Textual workers. A thread worker runs in asyncio's
default executor, and the process waits for that executor's threads when the app exits: quitting right after
start would wait seconds for the torch import. A daemon thread is not waited for; what it posts after the app
has closed goes nowhere. `poet` then ends the process at once once the app has exited (see `exit_now`), so the
interpreter never tears down modules under a half-finished import. Work that saves anything stays in workers.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
from collections.abc import Callable
from typing import NoReturn

from textual.message import Message
from textual.message_pump import MessagePump


class ThreadFailed(Message):
    """A background thread raised: the app reports it like a failed worker (`what` says which work it was)."""

    def __init__(self, what: str, error: BaseException) -> None:
        super().__init__()
        self.what = what
        self.error = error


def start_daemon(work: Callable[[], None], name: str) -> threading.Thread:
    thread = threading.Thread(target=work, name=name, daemon=True)
    thread.start()
    return thread


def post_from_thread(pump: MessagePump, message: Message) -> bool:
    """Post `message` from a background thread; False if the app has closed meanwhile (nobody is left to tell)."""
    try:
        return pump.post_message(message)
    except RuntimeError:  # the app's event loop closed between the check and the post
        return False


def exit_now(code: int) -> NoReturn:
    """End the process after the app has exited and restored the terminal, without waiting for daemon threads.

    Everything a normal exit does that matters still happens first, in the interpreter's own order: the threads
    that are not daemons (workers that save, the reader of a training child) are joined after the threading
    module's own exit hooks (an executor's idle threads are told to stop), the atexit handlers run, and stdout
    and stderr are flushed. Only the interpreter's teardown is skipped, which would otherwise wait for a
    half-finished torch import to let go of the interpreter."""
    shutdown_threads: Callable[[], None] = getattr(threading, "_shutdown")  # what Py_Finalize calls first  # noqa: B009
    shutdown_threads()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed terminal: nothing more can be written anyway
            stream.flush()
    os._exit(code)
