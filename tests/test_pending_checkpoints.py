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
from poet_tui.runs import RunStore
from poet_tui.train import resume, train
from tests.conftest import tiny_config
from tests.forked import poet_forked


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


def resume_killed_at(run_id: str, rename: int, moment: str) -> int:
    setup = functools.partial(kill_at_rename, rename, moment)
    return poet_forked("train", "--resume", run_id, "--max-steps", "4", "--jsonl", setup=setup).returncode


def check_everything_loads(run_id: str) -> int:
    """Every checkpoint lists undamaged and loads; returns the step `latest` holds."""
    run = RunStore().get(run_id)
    summaries = checkpoint_summaries([run])
    assert [summary.problem for summary in summaries if summary.problem] == []
    assert {summary.stem for summary in summaries} >= {"best", "latest"}
    for files in run.checkpoints():
        _, metadata = load_model(files)
        if metadata.get("has_training_state"):
            read_tensor_file(files.training_state, metadata["step"])
    load_for_generation(run_id)
    return int(read_metadata(run.checkpoint("latest"))["step"])


def test_a_kill_at_each_rename_leaves_a_run_that_lists_loads_and_resumes(tiny_corpus: Path) -> None:
    """Killing just before rename N, for every N, covers every state the disk passes through (after rename N
    is before rename N+1, give or take a temp file); one more kill just after the last rename ends the list."""
    run, _ = train(tiny_config(tiny_corpus, max_steps=2, eval_every_steps=2))
    pristine = run.directory.with_name("pristine-copy")
    shutil.copytree(run.directory, pristine)
    kills = [(rename, "before") for rename in range(1, 40)]
    tried = 0
    while kills:
        rename, moment = kills.pop(0)
        shutil.rmtree(run.directory)
        shutil.copytree(pristine, run.directory)
        code = resume_killed_at(run.id, rename, moment)
        if code == 0:
            assert moment == "before", "a kill after the last rename did not happen"
            kills = [(rename - 1, "after")]  # the session made rename - 1 renames: all tried before
            continue
        assert code == -9, code
        tried += 1
        assert check_everything_loads(run.id) in (2, 4)
        resumed: list[dict] = []
        resume(RunStore().get(run.id), resumed.append, budget_overrides={"max_steps": 6})
        assert resumed[-1]["event"] == "done" and resumed[-1]["step"] == 6
        assert check_everything_loads(run.id) == 6
    assert tried > 5  # the session did commit checkpoints, so the kills hit them
