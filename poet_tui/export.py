"""`poet export`: a run's model as a self-contained folder that others load, with poet-tui or plain PyTorch.

The folder holds config.json, model.safetensors, the tokenizer (vocabulary.json or sentencepiece.model),
a README.md model card and, with --onnx, model.onnx. It goes only where the user says, and only export's own
file names are ever written or replaced there: anything else a user keeps in the folder is left alone.

Everything is first written into a staging folder (fsynced). A new folder then appears whole with one rename;
into an existing one, the old config.json goes first, the other files are renamed into place, and the new
config.json comes last. config.json is what makes a folder an export, so an interrupted export never leaves one
that looks finished.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from poet_tui.atomic import fsync_directory
from poet_tui.checkpoint import now_iso
from poet_tui.errors import PoetError
from poet_tui.exported_model import (
    CARD_FILE,
    CONFIG_FILE,
    EXPORT_FILES,
    EXPORT_FORMAT,
    EXPORT_FORMAT_VERSION,
    ONNX_FILE,
    TOKENIZER_FILES,
    WEIGHTS_FILE,
    export_folder_named,
)
from poet_tui.model_card import CorpusFacts, corpus_facts, render_card
from poet_tui.paths import runs_dir, user_path
from poet_tui.runs import Run, RunStore

if TYPE_CHECKING:
    from poet_tui.checkpoint import CheckpointFiles
    from poet_tui.model import RNNLanguageModel
    from poet_tui.tokenizers import Tokenizer

STAGING_PREFIX = ".poet-export-"  # staging folders are named this way, so a leftover is known to be ours
STAGING_SUFFIX = ".tmp"
LEFTOVER_AGE_S = 600  # a staging folder this old was left by an export that was killed
SAMPLE_SEED = 0
SAMPLE_TEMPERATURE = 0.8
SAMPLE_TOKENS = 200
SAMPLE_CHARACTERS = 1500


@dataclass(frozen=True)
class ExportResult:
    folder: Path
    files: list[str]
    source: str  # run/checkpoint
    config: dict[str, Any]
    onnx_difference: float | None


def export_model(
    name_or_path: str, destination: str, *, force: bool = False, onnx: bool = False, store: RunStore | None = None
) -> ExportResult:
    """Resolve the model like every other command, check the destination, then write the folder."""
    if onnx:
        from poet_tui.onnx_export import require_onnx_tools

        require_onnx_tools()
    folder = destination_folder(destination, force)
    if export_folder_named(name_or_path) is not None:
        raise PoetError(f"{name_or_path} is already an exported model; copy the folder to share it again.")
    run, files = (store or RunStore()).resolve_model(name_or_path)
    model, tokenizer, metadata = load_source(run, files)
    corpus = corpus_facts(str(metadata.get("corpus") or run.config().corpus))
    config = export_config(run, files, model, tokenizer, metadata, corpus, onnx)
    card = render_card(config, corpus, config["training"], sample_text(model, tokenizer))
    contents = {
        WEIGHTS_FILE: weights_bytes(model),
        TOKENIZER_FILES[tokenizer.kind]: tokenizer_bytes(tokenizer),
        CARD_FILE: card.encode("utf-8"),
        CONFIG_FILE: (json.dumps(config, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
    }
    onnx_difference: list[float] = []

    def add_onnx(staging: Path) -> None:
        from poet_tui.onnx_export import write_onnx

        onnx_difference.append(write_onnx(model, staging / ONNX_FILE, tokenizer.end_of_document_id))

    write_export(folder, contents, add_onnx if onnx else None)
    written = [name for name in EXPORT_FILES if name in contents or (onnx and name == ONNX_FILE)]
    return ExportResult(folder, written, f"{run.id}/{files.stem}", config, next(iter(onnx_difference), None))


def load_source(run: Run, files: CheckpointFiles) -> tuple[RNNLanguageModel, Tokenizer, dict[str, Any]]:
    """The committed checkpoint (a run still training is fine: its JSON names what is settled) and tokenizer."""
    from poet_tui.checkpoint import load_model, require_matching_vocabulary
    from poet_tui.tokenizers import load_tokenizer

    tokenizer = load_tokenizer(run.directory)
    model, metadata = load_model(files, "cpu")
    require_matching_vocabulary(files, model.config.vocab_size, tokenizer.vocab_size, run.id)
    return model.eval(), tokenizer, metadata


# ----- where it goes -----
def destination_folder(destination: str, force: bool) -> Path:
    """The folder to export into, checked before anything is loaded or written: new, empty, or (with --force)
    one whose files of export's names are files, never folders."""
    if not destination.strip():
        raise PoetError("say where to export: a new or empty folder, e.g. `poet export RUN my-model`.")
    folder = Path(os.path.abspath(user_path(destination)))
    if os.path.islink(folder):
        if not folder.exists():
            raise PoetError(f"{destination} is a link to nothing; name a real folder to export into.")
        folder = folder.resolve()  # the user named the link: the export goes into the folder it points at
    store = runs_dir().resolve()
    if folder.resolve() == store or store in folder.resolve().parents:
        raise PoetError(f"{destination} is inside poet-tui's run store; export into a folder of your own.")
    if os.path.lexists(folder) and not folder.is_dir():
        raise PoetError(f"{destination} is a file, not a folder; name a new or empty folder to export into.")
    if not folder.exists():
        return folder
    try:
        kept = [name for name in os.listdir(folder) if not is_staging_name(name)]
    except OSError as error:
        raise PoetError(f"{destination} could not be read ({error.strerror or error}).") from None
    if kept and not force:
        raise PoetError(
            f"{destination} is not empty; name a new or empty folder, or add --force to replace the exported "
            "files in it (nothing else there is touched)."
        )
    for name in EXPORT_FILES:
        path = folder / name
        if os.path.lexists(path) and not os.path.islink(path) and path.is_dir():
            raise PoetError(f"{path} is a folder; poet export replaces only files. Move it, or export elsewhere.")
    return folder


def is_staging_name(name: str) -> bool:
    return STAGING_PREFIX in name and name.endswith(STAGING_SUFFIX)


# ----- what goes in it -----
def export_config(
    run: Run,
    files: CheckpointFiles,
    model: RNNLanguageModel,
    tokenizer: Tokenizer,
    metadata: dict[str, Any],
    corpus: CorpusFacts,
    onnx: bool,
) -> dict[str, Any]:
    """config.json: the format, the architecture, the tokenizer, where the weights came from and how good they
    were. A corpus that was a file is named by its file name alone: the folder travels to other machines."""
    from poet_tui import __version__
    from poet_tui.tokenizers import NEWLINE_STAND_IN

    tokenizer_fields: dict[str, Any] = {
        "kind": tokenizer.kind,
        "file": TOKENIZER_FILES[tokenizer.kind],
        "end_of_document_id": tokenizer.end_of_document_id,
    }
    if tokenizer.kind == "spm":
        tokenizer_fields["newline_stand_in"] = NEWLINE_STAND_IN
    config: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "format_version": EXPORT_FORMAT_VERSION,
        "model": model.config.to_dict(),
        "parameters": model.parameter_count(),
        "tokenizer": tokenizer_fields,
        "run": run.id,
        "checkpoint": files.stem,
        "step": metadata["step"],
        "val_loss": metadata.get("val_loss"),
        "val_bpc": metadata.get("val_bpc"),
        "corpus": corpus.name,
        "forms": metadata.get("forms", {}),
        "training": training_figures(run),
        "created": now_iso(),
        "poet_tui_version": __version__,
    }
    if onnx:
        config["onnx"] = ONNX_FILE
    return config


def training_figures(run: Run) -> dict[str, Any]:
    """Steps, tokens, time and the best validation, from the run's log (empty if it cannot be read)."""
    from poet_tui.run_progress import RunProgress

    try:
        progress = RunProgress.from_run(run)
    except PoetError:
        return {}
    best = progress.best_evaluation
    return {
        "steps": progress.step,
        "tokens": progress.tokens,
        "elapsed_seconds": round(progress.elapsed_s, 1),
        "device": progress.device,
        "best_val_loss": None if best is None else best.val_loss,
        "best_val_bpc": None if best is None else best.val_bpc,
    }


def weights_bytes(model: RNNLanguageModel) -> bytes:
    """Every tensor under the name torch.nn gives it; a tied decoder weight stored as its own copy, so a plain
    loader needs no tying (safetensors refuses shared storage anyway)."""
    from safetensors.torch import save

    tensors = {
        name: tensor.detach().to("cpu").float().contiguous().clone() for name, tensor in model.state_dict().items()
    }
    return save(tensors, metadata={"format": "pt"})


def tokenizer_bytes(tokenizer: Tokenizer) -> bytes:
    from poet_tui.tokenizers import SentencePieceTokenizer, VocabularyTokenizer

    if isinstance(tokenizer, SentencePieceTokenizer):
        return tokenizer.model_bytes
    assert isinstance(tokenizer, VocabularyTokenizer)
    return (json.dumps(tokenizer.tokens, ensure_ascii=False) + "\n").encode("utf-8")


def sample_text(model: RNNLanguageModel, tokenizer: Tokenizer) -> str:
    """A new poem with a fixed seed, for the card; the same export writes the same sample."""
    from poet_tui.sample import complete
    from poet_tui.sampling_settings import SamplingSettings

    settings = SamplingSettings(temperature=SAMPLE_TEMPERATURE, max_tokens=SAMPLE_TOKENS, seed=SAMPLE_SEED)
    return complete(model, tokenizer, "", settings)[:SAMPLE_CHARACTERS]


# ----- writing it -----
def write_export(folder: Path, contents: dict[str, bytes], extra: Callable[[Path], None] | None = None) -> None:
    """Stage every file, then move them in: a new folder by one rename, an existing one config.json last."""
    new = not os.path.lexists(folder)
    try:
        if new:
            folder.parent.mkdir(parents=True, exist_ok=True)
            remove_staging_leftovers(folder.parent, f".{folder.name}{STAGING_PREFIX}")
            staging = Path(
                tempfile.mkdtemp(prefix=f".{folder.name}{STAGING_PREFIX}", suffix=STAGING_SUFFIX, dir=folder.parent)
            )
        else:
            remove_staging_leftovers(folder, STAGING_PREFIX)
            staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, suffix=STAGING_SUFFIX, dir=folder))
    except OSError as error:
        raise write_failed(folder, error) from None
    try:
        for name, data in contents.items():
            write_file(staging / name, data)
        if extra is not None:
            extra(staging)
        fsync_directory(staging)
        if new:
            os.chmod(staging, 0o777 & ~current_umask())  # mkdtemp's 0700 is not what a shared folder wants
            os.rename(staging, folder)
        else:
            move_into(staging, folder)
        fsync_directory(folder.parent if new else folder)
    except OSError as error:
        raise write_failed(folder, error) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # gone already when it was renamed into place


def write_file(path: Path, data: bytes) -> None:
    with open(path, "xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def move_into(staging: Path, folder: Path) -> None:
    """Into an existing folder: drop config.json first (the folder stops looking finished), put each staged file
    in place, remove export files this export does not have (a stale model.onnx would not match the weights),
    then config.json last. Each step is one rename or unlink of a name export owns."""
    (folder / CONFIG_FILE).unlink(missing_ok=True)
    for name in EXPORT_FILES:
        if name == CONFIG_FILE:
            continue
        if (staging / name).exists():
            os.replace(staging / name, folder / name)
        else:
            (folder / name).unlink(missing_ok=True)
    os.replace(staging / CONFIG_FILE, folder / CONFIG_FILE)


def remove_staging_leftovers(directory: Path, prefix: str) -> None:
    """Staging folders an interrupted export left: only names this module makes, and only old ones (an export
    running at the same moment is still writing its own)."""
    now = time.time()
    with contextlib.suppress(OSError):
        for entry in os.scandir(directory):
            if not (entry.name.startswith(prefix) and entry.name.endswith(STAGING_SUFFIX)):
                continue
            if (
                entry.is_dir(follow_symlinks=False)
                and now - entry.stat(follow_symlinks=False).st_mtime > LEFTOVER_AGE_S
            ):
                shutil.rmtree(entry.path, ignore_errors=True)


def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_failed(folder: Path, error: OSError) -> PoetError:
    return PoetError(
        f"could not write the export into {folder} ({error.strerror or error}); check that it is writable and has "
        "space, then export again."
    )
