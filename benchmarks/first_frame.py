"""Time from spawning `poet` in a pseudo-terminal (120×40) until its first frame reaches the terminal.

Not a test (timings depend on the machine): `python benchmarks/first_frame.py [RUNS]`. The first frame is
the first moment the terminal has received both the corpus table's title and its first row."""

from __future__ import annotations

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

MARKERS = (b"Corpora", b"shakespeare-sonnets")


def first_frame_seconds(home: str, columns: int = 120, rows: int = 40, timeout: float = 10.0) -> float | None:
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    environment = dict(os.environ, TERM="xterm-256color", POET_HOME=home)
    started = time.perf_counter()
    process = subprocess.Popen(["poet"], stdin=slave, stdout=slave, stderr=slave, env=environment)
    os.close(slave)
    seen, elapsed = b"", None
    while time.perf_counter() - started < timeout:
        if select.select([master], [], [], 0.01)[0]:
            try:
                seen += os.read(master, 65536)
            except OSError:
                break
            if all(marker in seen for marker in MARKERS):
                elapsed = time.perf_counter() - started
                break
    os.write(master, b"\x11")  # ctrl+q
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
    os.close(master)
    return elapsed


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with tempfile.TemporaryDirectory() as home:
        times = [first_frame_seconds(home) for _ in range(runs)]
    measured = [t for t in times if t is not None]
    print("first frame (s):", [None if t is None else round(t, 3) for t in times])
    if measured:
        print(f"median {statistics.median(measured):.3f} s")


if __name__ == "__main__":
    main()
