"""Time from ctrl+q to the end of the `poet` process, when ctrl+q comes at once after the first frame.

Not a test (timings depend on the machine): `python benchmarks/quit_time.py [RUNS] [DELAY]`. Right after its
first frame `poet` mounts the panes it deferred, then imports PyTorch in the background (about 2 s on 2 cores),
so ctrl+q sent the moment the first frame arrives lands during one or the other: the time measured is how long
quitting waits for them (it should not wait for the import at all). The clock stops when the process has
exited, after it restored the terminal. With DELAY (seconds, default 0) ctrl+q comes that long after the first
frame instead: 5 s is after the import, which shows what quitting costs with nothing in the background. The
anchor is first_frame.py's: `python -c "import textual.app"`, timed in the same run."""

from __future__ import annotations

import os
import sys
import tempfile
import time

from first_frame import CTRL_Q, close, drain_until_exit, import_textual_seconds, report, spawn, wait_for_first_frame


def quit_seconds(home: str, delay: float = 0.0) -> float | None:
    """Seconds from ctrl+q (sent `delay` s after the first frame) until the process exited; None if it did not."""
    process, master, started = spawn(home)
    try:
        if wait_for_first_frame(master, started) is None:
            return None
        if delay:
            drain_until_exit(process, master, timeout=delay)  # reads what the app draws meanwhile
        os.write(master, CTRL_Q)
        pressed = time.perf_counter()
        exited = drain_until_exit(process, master)
        return time.perf_counter() - pressed if exited else None
    finally:
        close(process, master)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    delay = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
    anchor, times = [], []
    with tempfile.TemporaryDirectory() as home:
        for _ in range(runs):
            anchor.append(import_textual_seconds())
            times.append(quit_seconds(home, delay))
    report(f"quit {delay:g} s after the first frame", times, anchor)


if __name__ == "__main__":
    main()
