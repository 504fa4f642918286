"""How many CPU threads a training process uses: chosen from the cores it may really use, then tuned by timing.

torch's default is one OpenMP thread per core the machine has, even when a container's quota or the process's
affinity allows fewer, and its threads meet at a barrier after every operation. When other programs (the app's
own interface, a browser, a second training run) want the same cores, one descheduled thread stalls all the
others: on 2 cores beside two busy processes a char LSTM trained at 2,000–4,000 tokens/s with 2 threads and 8,000
with 1. So the count starts from the cores this process may use (affinity, cgroup quota), leaves one to the interface
when the app trains, and `ThreadTuner` then times real training steps at each candidate count and keeps the
fastest, trying again now and then because the machine's load changes while a run trains. An explicit
`--threads N` turns the tuning off.

No torch at import time: the option table and the app's first frame read this module's helpers.
"""

from __future__ import annotations

import math
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

RESERVED_CORES_VARIABLE = "POET_RESERVED_CORES"  # cores the training child leaves to its parent (the app sets 1)
CGROUP_ROOT = Path("/sys/fs/cgroup")


def affinity_cores() -> int:
    """The cores the scheduler lets this process run on (all of them where the platform cannot say)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # macOS and Windows have no sched_getaffinity
        return max(1, os.cpu_count() or 1)


def cgroup_quota_cores(root: Path = CGROUP_ROOT) -> float | None:
    """The CPU quota of this process's cgroup in cores (a container limited to 1.5 CPUs: 1.5), None if unlimited.

    cgroup v2 writes `cpu.max` as "QUOTA PERIOD" or "max PERIOD"; v1 writes `cpu.cfs_quota_us` (-1: unlimited)
    and `cpu.cfs_period_us`. Any file that is missing or unreadable means no limit we can see."""
    try:
        fields = (root / "cpu.max").read_text(encoding="ascii").split()
        if len(fields) == 2 and fields[0] != "max":
            return positive_ratio(fields[0], fields[1])
        if len(fields) == 2:
            return None
    except (OSError, UnicodeDecodeError):
        pass
    try:
        quota = (root / "cpu" / "cpu.cfs_quota_us").read_text(encoding="ascii").strip()
        period = (root / "cpu" / "cpu.cfs_period_us").read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return positive_ratio(quota, period)


def positive_ratio(quota: str, period: str) -> float | None:
    try:
        ratio = int(quota) / int(period)
    except (ValueError, ZeroDivisionError):
        return None
    return ratio if ratio > 0 and math.isfinite(ratio) else None


def reserved_cores(environment: dict[str, str] | None = None) -> int:
    """Cores left to another process: the app sets POET_RESERVED_CORES=1 for the training child it starts."""
    text = (environment if environment is not None else os.environ).get(RESERVED_CORES_VARIABLE, "")
    try:
        return max(0, int(text))
    except ValueError:
        return 0


def available_cores(root: Path = CGROUP_ROOT) -> int:
    """Whole cores this process may use: the smaller of its affinity and its cgroup quota (rounded down, ≥ 1)."""
    cores = affinity_cores()
    quota = cgroup_quota_cores(root)
    if quota is not None:
        cores = min(cores, max(1, math.floor(quota)))
    return cores


def training_thread_count(reserved: int | None = None, root: Path = CGROUP_ROOT) -> int:
    """The starting count for a training process: the cores it may use, less those reserved for the interface,
    and no more than OMP_NUM_THREADS when the user set it."""
    reserved = reserved_cores() if reserved is None else reserved
    count = max(1, available_cores(root) - reserved)
    try:
        asked = int(os.environ.get("OMP_NUM_THREADS", ""))
    except ValueError:
        return count
    return max(1, min(count, asked))


def candidate_counts(start: int) -> list[int]:
    """What the tuner compares: the starting count, half of it, and one thread (the cure for a busy machine)."""
    return sorted({start, max(1, start // 2), 1}, reverse=True)


@dataclass
class ThreadTuner:
    """Times training steps at each candidate thread count and keeps the fastest; tries again after `settle_s`,
    and half as often each time the same count wins again (a trial at a losing count costs a few slow steps).

    The trainer calls `threads_for_next_step()` before a step and `observe(seconds)` after it. A trial times
    steps at a count after `warmup_steps` unmeasured ones (a new count first rebuilds OpenMP's pool) until it has
    `trial_min_steps` of them and `trial_seconds` of time (or `trial_max_steps`): many quick steps, or a few slow
    ones, so a trial costs about the same second whatever the model. Medians are compared, so one slow step (an
    evaluation's garbage, a page fault) cannot decide. Only CPU steps are timed: a CUDA step returns before the
    GPU is done."""

    candidates: list[int]
    trial_min_steps: int = 4
    trial_max_steps: int = 20
    trial_seconds: float = 1.0
    warmup_steps: int = 1
    settle_s: float = 30.0
    clock: Callable[[], float] = time.monotonic
    chosen: int = 0
    medians: dict[int, float] = field(default_factory=dict)
    trial_queue: list[int] = field(default_factory=list)
    trial_times: list[float] = field(default_factory=list)
    trial_seen: int = 0
    settled_at: float | None = None
    decisions: int = 0
    longest_settle_s: float = 240.0  # a decision that held is checked half as often, down to every 4 minutes
    next_settle_s: float = 0.0

    def __post_init__(self) -> None:
        self.candidates = sorted(set(self.candidates), reverse=True)
        self.chosen = self.candidates[0]
        self.trial_queue = list(self.candidates) if len(self.candidates) > 1 else []
        self.next_settle_s = self.settle_s

    @property
    def trying(self) -> int | None:
        return self.trial_queue[0] if self.trial_queue else None

    def threads_for_next_step(self) -> int:
        due = self.settled_at is not None and self.clock() - self.settled_at >= self.next_settle_s
        if due and not self.trial_queue and len(self.candidates) > 1:
            self.trial_queue = [self.chosen, *(count for count in self.candidates if count != self.chosen)]
            self.medians = {}
        trying = self.trying
        return self.chosen if trying is None else trying

    def observe(self, seconds: float) -> None:
        """The time the step just taken took, at the count `threads_for_next_step` gave for it."""
        if self.trying is None:
            return
        self.trial_seen += 1
        if self.trial_seen > self.warmup_steps:
            self.trial_times.append(seconds)
        timed = len(self.trial_times)
        enough = timed >= self.trial_min_steps and sum(self.trial_times) >= self.trial_seconds
        if not enough and timed < self.trial_max_steps:
            return
        self.medians[self.trial_queue.pop(0)] = statistics.median(self.trial_times)
        self.trial_times, self.trial_seen = [], 0
        if not self.trial_queue:
            # the fastest; on a tie the larger count (the first candidate), which a quiet machine prefers
            fastest = min(self.candidates, key=lambda count: (self.medians[count], -count))
            held = self.decisions > 0 and fastest == self.chosen
            self.next_settle_s = min(self.longest_settle_s, 2 * self.next_settle_s) if held else self.settle_s
            self.chosen = fastest
            self.settled_at = self.clock()
            self.decisions += 1


def make_tuner(explicit: int | None, device_type: str) -> ThreadTuner | None:
    """None when the count is given (`--threads N`) or the device is not the CPU: torch keeps what is set."""
    if explicit is not None or device_type != "cpu":
        return None
    return ThreadTuner(candidate_counts(training_thread_count()))
