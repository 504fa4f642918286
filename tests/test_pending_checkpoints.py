"""A kill at any rename of a checkpoint's commit leaves a run that lists, loads and resumes.

A child process trains with `os.replace` wrapped so that it kills itself (SIGKILL, no cleanup) just before
its N-th rename, for every N up to the last rename of the session, and once just after the last.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
from pathlib import Path

from poet_tui.checkpoint import load_model, read_metadata, read_tensor_file
from poet_tui.generation import load_for_generation
from poet_tui.run_catalog import checkpoint_summaries
from poet_tui.runs import Run, RunStore
from poet_tui.train import resume
from tests.helpers import poet


def kill_at_rename(target: int, moment: str) -> None:
    """A setup for the forked child: SIGKILL itself (no cleanup runs) just before or after its N-th rename."""
    real_replace, count = os.replace, [0]

    def replace(source: str, destination: str, *args: object, **kwargs: object) -> None:
        count[0] += 1
        if count[0] == target and moment == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        real_replace(source, destination, *args, **kwargs)  # type: ignore[arg-type]
        if count[0] == target and moment == "after":
            os.kill(os.getpid(), signal.SIGKILL)

    os.replace = replace  # type: ignore[assignment]


TINY_RUN = ["--embedding", "16", "--hidden", "24", "--batch-size", "4", "--bptt", "16", "--eval-every", "2",
            "--log-every", "1", "--sample-length", "5", "--max-steps", "2", "--device", "cpu", "--jsonl"]  # fmt: skip


def train_killed_at(corpus: Path, rename: int, moment: str) -> int:
    setup = functools.partial(kill_at_rename, rename, moment)
    return poet("train", "--corpus", str(corpus), *TINY_RUN, setup=setup).returncode


def check_everything_loads(run: Run) -> int:
    """Every checkpoint lists undamaged and loads, and the run generates; returns the step `latest` holds."""
    summaries = checkpoint_summaries([run])
    assert [summary.problem for summary in summaries if summary.problem] == []
    assert "latest" in {summary.stem for summary in summaries}
    for files in run.checkpoints():
        _, metadata = load_model(files)
        if metadata.get("has_training_state"):
            read_tensor_file(files.training_state, metadata["step"])
    load_for_generation(run.id)
    return int(read_metadata(run.checkpoint("latest"))["step"])


def test_a_kill_at_each_rename_leaves_a_run_that_lists_loads_and_resumes(tiny_corpus: Path, poet_home: Path) -> None:
    """A new run's whole life, killed just before its N-th rename for every N — which covers every state the
    disk passes through, the first commit of each checkpoint included (no settled file to fall back on) — and
    once just after its last rename."""
    kills = [(rename, "before") for rename in range(1, 60)]
    tried = 0
    while kills:
        rename, moment = kills.pop(0)
        shutil.rmtree(poet_home / "runs", ignore_errors=True)
        code = train_killed_at(tiny_corpus, rename, moment)
        if code == 0:
            assert moment == "before", "a kill after the last rename did not happen"
            kills = [(rename - 1, "after")]  # the session made rename - 1 renames: all tried before
            continue
        assert code == -9, code
        tried += 1
        runs = RunStore().list()
        if not runs or not (runs[0].checkpoints_dir / "latest.json").exists():
            continue  # killed before the first commit: nothing to resume yet, and nothing claims otherwise
        (run,) = runs
        assert check_everything_loads(run) in (0, 2)
        resumed: list[dict] = []
        resume(run, resumed.append, budget_overrides={"max_steps": 3})
        assert resumed[-1]["event"] == "done" and resumed[-1]["step"] == 3
        assert check_everything_loads(run) == 3
    assert tried > 10  # the session committed checkpoints, and the kills hit every step of it
