"""Time from spawning `poet` in a pseudo-terminal (120×40) until its first frame reaches the terminal.

Not a test (timings depend on the machine): `python benchmarks/first_frame.py [RUNS]`. The first frame is
the first moment the terminal has received both the corpus table's title and its first row. The anchor, timed
in the same run, is `python -c "import textual.app"` (a fresh interpreter importing Textual, no app at all), so
the ratio says how much the app adds to the floor any Textual app pays on this machine."""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

MARKERS = (b"Corpora", b"shakespeare-sonnets")
CTRL_Q = b"\x11"


def poet_command() -> list[str]:
    """The `poet` script beside this interpreter (the project's virtual environment), else the one on PATH."""
    script = Path(sys.executable).with_name("poet")
    return [str(script)] if script.exists() else ["poet"]


def spawn(home: str, columns: int = 120, rows: int = 40) -> tuple[subprocess.Popen[bytes], int, float]:
    """`poet` in a pseudo-terminal of `columns`×`rows`: the process, the terminal's master end, and when it started."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    environment = dict(os.environ, TERM="xterm-256color", POET_HOME=home)
    started = time.perf_counter()
    process = subprocess.Popen(poet_command(), stdin=slave, stdout=slave, stderr=slave, env=environment)
    os.close(slave)
    return process, master, started


def wait_for_first_frame(master: int, started: float, timeout: float = 10.0) -> float | None:
    """Seconds from `started` until the terminal has received every marker; None after `timeout`."""
    seen = b""
    while time.perf_counter() - started < timeout:
        if select.select([master], [], [], 0.01)[0]:
            try:
                seen += os.read(master, 65536)
            except OSError:
                return None
            if all(marker in seen for marker in MARKERS):
                return time.perf_counter() - started
    return None


def drain_until_exit(process: subprocess.Popen[bytes], master: int, timeout: float = 10.0) -> bool:
    """Read what the app writes (so it never blocks on a full terminal) until it exits; False after `timeout`."""
    deadline = time.perf_counter() + timeout
    while process.poll() is None and time.perf_counter() < deadline:
        if select.select([master], [], [], 0.005)[0]:
            with contextlib.suppress(OSError):
                os.read(master, 65536)
    return process.poll() is not None


def close(process: subprocess.Popen[bytes], master: int) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()
    os.close(master)


def first_frame_seconds(home: str, columns: int = 120, rows: int = 40) -> float | None:
    process, master, started = spawn(home, columns, rows)
    elapsed = wait_for_first_frame(master, started)
    os.write(master, CTRL_Q)
    drain_until_exit(process, master)
    close(process, master)
    return elapsed


def import_textual_seconds() -> float:
    """The anchor: a fresh interpreter that imports textual.app and exits."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import textual.app"], check=True)
    return time.perf_counter() - started


def report(name: str, times: list[float | None], anchor: list[float]) -> None:
    measured = [t for t in times if t is not None]
    print(f"{name} (s):", [None if t is None else round(t, 3) for t in times])
    if measured:
        median, floor = statistics.median(measured), statistics.median(anchor)
        spread = f"{min(measured):.3f}–{max(measured):.3f} s"
        print(f"{name}: median {median:.3f} s ({spread}); {median / floor:.2f}× the anchor")
    print(f"anchor, python -c 'import textual.app': median {statistics.median(anchor):.3f} s")


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    anchor, times = [], []
    with tempfile.TemporaryDirectory() as home:
        for _ in range(runs):  # interleaved, so a busy moment weighs on both alike
            anchor.append(import_textual_seconds())
            times.append(first_frame_seconds(home))
    report("first frame", times, anchor)


if __name__ == "__main__":
    main()
