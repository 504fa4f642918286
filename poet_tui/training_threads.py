"""The trainer's hold on torch's thread count: cpu_threads.py chooses, this module applies.

Each training step runs at the count the tuner wants timed and is timed for it; `--threads N` fixes the count
for the whole run instead; and when the loop ends the caller's own count comes back, so a benchmark or a test
that trains in-process is not left on one thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch

from poet_tui.cpu_threads import ThreadTuner, make_tuner


class TrainingThreads:
    def __init__(self, explicit: int | None, device_type: str, clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock = clock
        self.caller_count = torch.get_num_threads()  # the count to give back: the one before the trainer set its own
        self.explicit = explicit if device_type == "cpu" else None
        self.on_cpu = device_type == "cpu"
        self.tuner: ThreadTuner | None = make_tuner(explicit, device_type)
        if self.explicit is not None:
            torch.set_num_threads(self.explicit)

    def run_step(self, step: Callable[[], None]) -> None:
        """One training step at the count the tuner wants timed (a plain step where nothing is tuned)."""
        tuner = self.tuner
        if tuner is None:
            step()
            return
        count = tuner.threads_for_next_step()
        if torch.get_num_threads() != count:
            torch.set_num_threads(count)
        started = self.clock()
        step()
        tuner.observe(self.clock() - started)

    def event_fields(self) -> dict[str, int]:
        """What a step event says of threads: the count on the CPU, nothing on a GPU."""
        return {"threads": torch.get_num_threads()} if self.on_cpu else {}

    @contextmanager
    def for_the_loop(self) -> Iterator[None]:
        """The loop at the run's count; after it, the count the caller had before the trainer was made."""
        if self.explicit is not None:
            torch.set_num_threads(self.explicit)
        try:
            yield
        finally:
            torch.set_num_threads(self.caller_count)
