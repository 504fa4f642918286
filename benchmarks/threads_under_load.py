"""Training throughput on a quiet machine and beside two busy processes (issue #17): poet's thread choice against
torch's defaults. Not a test: the figures depend on the machine (benchmarks/RESULTS.md, "Threads under load").

    python benchmarks/threads_under_load.py CORPUS [SECONDS] [ROUNDS] [poet,the,torch]

Each configuration runs `poet train --jsonl` (the real child, tuner and all) on CORPUS for SECONDS of training
(default 45) with `--preset auto`'s one-minute row, once on the quiet machine and once beside two `python -c "while
True: pass"` hogs, ROUNDS times (default 2), in the order quiet, loaded, quiet, loaded so drift hits both alike. The
figure is the median tokens/s of the step events after the first 10 s (the tuner's first trial and the warm-up are
left out). "the app's training child" is poet's own choice as the app starts it (`POET_RESERVED_CORES=1`: a core
left to the interface, so one thread on two cores). "torch defaults" is what poet did before this issue: every core
as a thread (`--threads` = the cores), OpenMP's own wait policy. `OMP_WAIT_POLICY=PASSIVE` (threads sleep at
barriers) was tried and dropped: it costs a quiet machine a quarter of its speed (RESULTS.md).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

HOG = "while True: pass"


@contextmanager
def hogs(count: int) -> Iterator[None]:
    processes = [subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(count)]
    try:
        time.sleep(1.0)  # let the scheduler see them
        yield
    finally:
        for process in processes:
            process.kill()
            process.wait()


def train_speed(corpus: str, seconds: float, home: str, flags: list[str], environment: dict[str, str]) -> dict:
    command = [
        sys.executable, "-m", "poet_tui", "train", "--corpus", corpus, "--preset", "auto", "--max-minutes",
        f"{seconds / 60:.4f}", "--device", "cpu", "--eval-every", "1000000", "--log-every", "5", "--jsonl", *flags,
    ]  # fmt: skip
    result = subprocess.run(
        command, capture_output=True, text=True, env={**environment, "POET_HOME": home}, check=False
    )
    steps = [json.loads(line) for line in result.stdout.splitlines() if line.startswith('{"event":"step"')]
    if not steps:
        raise SystemExit(f"no step events; stderr: {result.stderr[-2000:]}")
    steady = [step["tokens_per_s"] for step in steps if step["elapsed_s"] >= 10.0] or [steps[-1]["tokens_per_s"]]
    return {
        "tokens_per_s": statistics.median(steady),
        "threads_seen": sorted({step.get("threads") for step in steps if step.get("threads") is not None}),
        "last_threads": steps[-1].get("threads"),
    }


def main() -> None:
    corpus = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 45.0
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    cores = len(os.sched_getaffinity(0))
    base = {key: value for key, value in os.environ.items() if key != "POET_RESERVED_CORES"}
    configurations = {
        "poet (tuned threads)": ([], base),
        "the app's training child (a core left to the interface)": ([], {**base, "POET_RESERVED_CORES": "1"}),
        "torch defaults": (["--threads", str(cores)], base),
    }
    if len(sys.argv) > 4:  # a subset, by the first word of each name: poet, the, torch
        wanted = set(sys.argv[4].split(","))
        configurations = {name: value for name, value in configurations.items() if name.split()[0] in wanted}
    results: dict[str, dict[str, list[dict]]] = {name: {"quiet": [], "loaded": []} for name in configurations}
    with tempfile.TemporaryDirectory(prefix="poet-threads-") as home:
        for _ in range(rounds):
            for name, (flags, environment) in configurations.items():
                results[name]["quiet"].append(train_speed(corpus, seconds, home, flags, environment))
                with hogs(2):
                    results[name]["loaded"].append(train_speed(corpus, seconds, home, flags, environment))
    for name, runs in results.items():
        quiet = statistics.median(run["tokens_per_s"] for run in runs["quiet"])
        loaded = statistics.median(run["tokens_per_s"] for run in runs["loaded"])
        threads = {kind: [run["last_threads"] for run in runs[kind]] for kind in runs}
        print(
            json.dumps(
                {
                    "configuration": name,
                    "quiet_tokens_per_s": round(quiet),
                    "loaded_tokens_per_s": round(loaded),
                    "loaded_over_quiet": round(loaded / quiet, 3),
                    "threads_at_end": threads,
                    "runs": runs,
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
