"""Loading a trained model for generation: run name, run folder or checkpoint file → model + tokenizer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from poet_tui.checkpoint import CheckpointFiles, load_model, require_matching_vocabulary
from poet_tui.device import resolve_device
from poet_tui.model import RNNLanguageModel
from poet_tui.runs import Run, RunStore
from poet_tui.tokenizers import Tokenizer, load_tokenizer


@dataclass
class LoadedModel:
    run: Run
    checkpoint: CheckpointFiles
    model: RNNLanguageModel
    tokenizer: Tokenizer
    metadata: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.run.id}/{self.checkpoint.stem}"


def load_for_generation(name_or_path: str, device: str = "auto", store: RunStore | None = None) -> LoadedModel:
    run, files = (store or RunStore()).resolve_model(name_or_path)
    tokenizer = load_tokenizer(run.directory)
    model, metadata = load_model(files, resolve_device(device))
    require_matching_vocabulary(files, model.config.vocab_size, tokenizer.vocab_size, run.id)
    model.eval()
    return LoadedModel(run, files, model, tokenizer, metadata)
