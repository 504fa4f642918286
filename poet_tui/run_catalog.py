"""A flat, sortable summary of every checkpoint of every run — what the CLI table and the app's
Checkpoints pane both show. Reads only JSON metadata, so listing never loads a tensor."""

from __future__ import annotations

from dataclasses import dataclass

from poet_tui.checkpoint import read_metadata
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

    @property
    def kind(self) -> str:
        return self.stem if self.stem in ("best", "latest") else "periodic"


def checkpoint_summaries(runs: list[Run]) -> list[CheckpointSummary]:
    summaries = []
    for run in runs:
        for files in run.checkpoints():
            try:
                metadata = read_metadata(files)
            except PoetError:
                continue  # a damaged checkpoint is skipped here; loading it says what is wrong
            size = sum(
                path.stat().st_size for path in (files.weights, files.metadata, files.training_state) if path.exists()
            )
            summaries.append(
                CheckpointSummary(
                    run_id=run.id,
                    stem=files.stem,
                    corpus=str(metadata.get("corpus", "")),
                    tokenizer=str(metadata.get("tokenizer", "")),
                    parameters=int(metadata.get("parameters", 0)),
                    step=int(metadata.get("step", 0)),
                    val_loss=metadata.get("val_loss"),
                    val_bpc=metadata.get("val_bpc"),
                    created=str(metadata.get("created", "")),
                    size_bytes=size,
                    path=str(files.weights),
                )
            )
    return summaries
