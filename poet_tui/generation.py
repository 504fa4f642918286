"""Loading a trained model for generation: run name, run folder, checkpoint file or export folder → model +
tokenizer. Every reader (`poet generate`, its REPL, the app's REPL) comes through here, so each takes all four."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from poet_tui.checkpoint import CheckpointFiles, load_model, require_matching_vocabulary
from poet_tui.device import resolve_device
from poet_tui.errors import PoetError
from poet_tui.model import RNNLanguageModel
from poet_tui.runs import Run, RunStore
from poet_tui.tokenizers import Tokenizer, load_tokenizer

NO_TRAINING_TEXT = (
    "novelty needs the model's training text, which an export folder does not carry; measure it with the run the "
    "model was exported from."
)


@dataclass
class LoadedModel:
    run: Run | None  # None for an export folder: it carries no run, nor the text it trained on
    checkpoint: CheckpointFiles | None
    model: RNNLanguageModel
    tokenizer: Tokenizer
    metadata: dict[str, Any]
    export_folder: Path | None = None

    @property
    def label(self) -> str:
        if self.run is None or self.checkpoint is None:
            folder = self.export_folder or Path("export")
            return folder.name or str(folder)
        return f"{self.run.id}/{self.checkpoint.stem}"

    def training_run(self) -> Run:
        """The run whose training text novelty is measured against; an exported model has none."""
        if self.run is None:
            raise PoetError(NO_TRAINING_TEXT)
        return self.run


def load_for_generation(name_or_path: str, device: str = "auto", store: RunStore | None = None) -> LoadedModel:
    from poet_tui.exported_model import export_folder_named, load_export

    folder = export_folder_named(name_or_path)
    if folder is not None:
        exported = load_export(folder, resolve_device(device))
        return LoadedModel(None, None, exported.model, exported.tokenizer, exported.metadata, folder)
    run, files = (store or RunStore()).resolve_model(name_or_path)
    tokenizer = load_tokenizer(run.directory)
    model, metadata = load_model(files, resolve_device(device))
    require_matching_vocabulary(files, model.config.vocab_size, tokenizer.vocab_size, run.id)
    model.eval()
    return LoadedModel(run, files, model, tokenizer, metadata)
