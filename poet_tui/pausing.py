"""Pausing a training process without charging the pause to its time budget.

The app pauses a run with SIGTSTP. The handler notes the time, stops the process with SIGSTOP (which cannot
be caught), and when SIGCONT wakes it, adds the time it spent stopped to `paused_seconds`. The trainer
subtracts that from its clock, so `--max-minutes`, the ETA and tokens/s count only time spent training.
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any


class PauseClock:
    def __init__(self) -> None:
        self.paused_seconds = 0.0

    def handle_pause(self, signal_number: int, frame: Any) -> None:
        stopped_at = time.monotonic()
        os.kill(os.getpid(), signal.SIGSTOP)  # execution resumes here on SIGCONT
        self.paused_seconds += time.monotonic() - stopped_at

    def install(self) -> None:
        signal.signal(signal.SIGTSTP, self.handle_pause)


clock = PauseClock()
