"""A flat, sortable summary of every checkpoint of every run — what the CLI table and the app's
Checkpoints pane both show. Reads only JSON metadata, so listing never loads a tensor.

One damaged run or checkpoint never hides the others: it is listed with `problem` saying what is wrong.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from poet_tui.checkpoint import CheckpointFiles, pending, read_metadata
from poet_tui.errors import PoetError
from poet_tui.runs import Run


@dataclass(frozen=True)
class CheckpointSummary:
    run_id: str
    stem: str
    corpus: str
    tokenizer: str
    parameters: int
    step: int
    val_loss: float | None
    val_bpc: float | None
    created: str
    size_bytes: int
    path: str
    problem: str | None = None  # why this checkpoint (or its whole run) cannot be used; None when it can

    @property
    def kind(self) -> str:
        if self.problem is not None:
            return "damaged"
        return self.stem if self.stem in ("best", "latest") else "periodic"


def damaged_summary(run: Run, stem: str, path: str, problem: str) -> CheckpointSummary:
    return CheckpointSummary(run.id, stem, "", "", 0, 0, None, None, "", 0, path, problem)


def file_size(path: os.PathLike[str] | str) -> int:
    try:
        return os.lstat(path).st_size
    except OSError:
        return 0


def run_problem(run: Run) -> str | None:
    """Why a whole run cannot be used (a link in it, a damaged run.toml), or None."""
    try:
        run.require_no_links()
        run.config()
    except PoetError as error:
        return str(error)
    return None


def summarize(run: Run, files: CheckpointFiles) -> CheckpointSummary:
    try:
        metadata = read_metadata(files)
    except PoetError as error:
        return damaged_summary(run, files.stem, str(files.weights), str(error))
    size = sum(
        file_size(path) or file_size(pending(path)) for path in (files.weights, files.metadata, files.training_state)
    )
    return CheckpointSummary(
        run_id=run.id,
        stem=files.stem,
        corpus=str(metadata.get("corpus", "")),
        tokenizer=str(metadata.get("tokenizer", "")),
        parameters=int(metadata.get("parameters", 0)),
        step=int(metadata["step"]),
        val_loss=metadata.get("val_loss"),
        val_bpc=metadata.get("val_bpc"),
        created=str(metadata.get("created", "")),
        size_bytes=size,
        path=str(files.weights),
    )


def checkpoint_summaries(runs: list[Run]) -> list[CheckpointSummary]:
    summaries = []
    for run in runs:
        problem = run_problem(run)
        if problem is not None:
            summaries.append(damaged_summary(run, "", str(run.directory), problem))
            continue
        summaries.extend(summarize(run, files) for files in run.checkpoints())
    return summaries
