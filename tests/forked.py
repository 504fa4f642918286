"""Run `poet` commands as real child processes, forked from a server that has already imported torch.

A fresh `python -m poet_tui` pays about three seconds of interpreter and torch start-up on a small machine; a
child forked from a warm server starts in a fraction of that. Each child is still its own process — its own
signals, resource limits, exit code, stdin/stdout/stderr and death by `kill -9` — so tests of crashes, limits
and refusals mean what they say. The server never runs a tensor operation before forking, so no thread pool
is copied half-alive into a child.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from multiprocessing.context import ForkServerContext
from pathlib import Path

# torch._dynamo too: torch imports it lazily the first time an optimizer is made, which alone takes seconds.
PRELOAD = ["torch", "torch._dynamo", "poet_tui.cli.main", "poet_tui.train", "poet_tui.generation", "tests.forked"]
_context: ForkServerContext | None = None


def context() -> ForkServerContext:
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(PRELOAD)
    return _context


def child_main(
    argv: list[str],
    environment: dict[str, str],
    cwd: str,
    stdin_path: str | None,
    stdout_path: str,
    stderr_path: str,
    setup: Callable[[], None] | None,
) -> None:
    """In the child: the test's environment and folder, the given files as fds 0-2, then `poet ARGV`."""
    os.environ.clear()
    os.environ.update(environment)
    os.chdir(cwd)
    for descriptor, path, flags in ((0, stdin_path or os.devnull, os.O_RDONLY), (1, stdout_path, os.O_WRONLY),
                                    (2, stderr_path, os.O_WRONLY)):  # fmt: skip
        opened = os.open(path, flags)
        os.dup2(opened, descriptor)
        os.close(opened)
    sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115 - the child's stdin for its life
    for handler_signal in (signal.SIGINT, signal.SIGTERM, signal.SIGTSTP):
        signal.signal(handler_signal, signal.SIG_DFL)  # as a fresh interpreter would start
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if setup is not None:
        setup()
    from poet_tui.cli.main import main

    code = main(argv)
    sys.stdout.flush()
    sys.stderr.flush()
    sys.exit(code)


class ForkedPoet:
    """A `poet` child started without waiting for it: its output lands in files the test can read as it goes."""

    def __init__(self, argv: list[str], input_text: str | None, setup: Callable[[], None] | None,
                 environment: dict[str, str] | None) -> None:  # fmt: skip
        self.argv = argv
        self.folder = tempfile.TemporaryDirectory(prefix="poet-forked-")
        self.paths = {name: Path(self.folder.name) / name for name in ("stdin", "stdout", "stderr")}
        self.paths["stdin"].write_text(input_text or "", encoding="utf-8")
        for name in ("stdout", "stderr"):
            self.paths[name].touch()
        self.process = context().Process(
            target=child_main,
            args=(argv, dict(environment or os.environ), os.getcwd(), str(self.paths["stdin"]),
                  str(self.paths["stdout"]), str(self.paths["stderr"]), setup),
        )  # fmt: skip
        self.process.start()

    @property
    def pid(self) -> int:
        assert self.process.pid is not None
        return self.process.pid

    def output(self, name: str = "stdout") -> str:
        return self.paths[name].read_text(encoding="utf-8", errors="replace")

    def wait(self, timeout: float = 300) -> int:
        """The exit code (negative: killed by that signal); a hang past `timeout` kills it and raises."""
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
            raise subprocess.TimeoutExpired(["poet", *self.argv], timeout)
        return self.process.exitcode if self.process.exitcode is not None else -1

    def finish(self, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        try:
            code = self.wait(timeout)
            return subprocess.CompletedProcess(["poet", *self.argv], code, self.output(), self.output("stderr"))
        finally:
            self.folder.cleanup()


def start_forked(
    *argv: str,
    input_text: str | None = None,
    setup: Callable[[], None] | None = None,
    environment: dict[str, str] | None = None,
) -> ForkedPoet:
    return ForkedPoet(list(argv), input_text, setup, environment)


def poet_forked(
    *argv: str,
    input_text: str | None = None,
    timeout: float = 300,
    setup: Callable[[], None] | None = None,
    environment: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Like `subprocess.run([python, -m, poet_tui, *argv], capture_output=True, text=True)`, only faster to
    start. `timeout` is a net against a hang: the child is killed and TimeoutExpired raised."""
    return start_forked(*argv, input_text=input_text, setup=setup, environment=environment).finish(timeout)


def limit_file_size(limit: int) -> None:
    """A setup for `poet_forked`: writes past `limit` bytes fail with EFBIG (SIGXFSZ ignored), like a full disk."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
