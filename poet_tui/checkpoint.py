"""Checkpoints: weights in safetensors, metadata in JSON, optimizer and RNG state in safetensors too.

Nothing here unpickles: safetensors holds only tensors, JSON only data, so a checkpoint someone sends
cannot run code.

A checkpoint is several files, so it is committed like a tiny journal. The tensor files are first written
(each atomically) as `X.safetensors.pending` and `X.optim.safetensors.pending`; then `X.json`, which names the
step, is atomically replaced: that rename is the commit. Only then are the pending files renamed over the old
ones. Every tensor file carries its step in its header, and a reader takes, for each file, whichever of the
pending or the settled version has the JSON's step. So a kill at any moment leaves either the old checkpoint
or the new one readable, never a mixture.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safetensors import SafetensorError, safe_open

from poet_tui.atomic import atomic_write_bytes, atomic_write_text, fsync_directory
from poet_tui.config import ModelConfig
from poet_tui.errors import PoetError
from poet_tui.safe_files import read_json_file
from poet_tui.schemas import CHECKPOINT_FORMAT, Invalid, NewerFormat, check_checkpoint_metadata

if TYPE_CHECKING:  # torch is imported where tensors are made, so listing checkpoints never waits for it
    import torch

    from poet_tui.model import RNNLanguageModel

CHECKPOINT_NAME = re.compile(r"^(latest|best|step-\d{8,})$")


@dataclass(frozen=True)
class CheckpointFiles:
    """The files of one checkpoint, named `<stem>.safetensors`, `<stem>.json`, `<stem>.optim.safetensors`."""

    directory: Path
    stem: str

    @property
    def weights(self) -> Path:
        return self.directory / f"{self.stem}.safetensors"

    @property
    def metadata(self) -> Path:
        return self.directory / f"{self.stem}.json"

    @property
    def training_state(self) -> Path:
        return self.directory / f"{self.stem}.optim.safetensors"

    @classmethod
    def from_path(cls, path: Path) -> CheckpointFiles:
        """Accept any of a checkpoint's files (or its stem) and name the set."""
        path = Path(path)
        name = path.name
        for suffix in (".optim.safetensors", ".safetensors", ".json"):
            if name.endswith(suffix):
                return cls(path.parent, name.removesuffix(suffix))
        return cls(path.parent, name)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def weights_for_saving(model: RNNLanguageModel) -> dict[str, torch.Tensor]:
    """Tied output weights are the embedding: store them once (safetensors refuses shared storage)."""
    state = {name: tensor.detach().to("cpu").contiguous() for name, tensor in model.state_dict().items()}
    if model.config.tied:
        state.pop("decoder.weight", None)
    return state


def pending(path: Path) -> Path:
    return path.with_name(path.name + ".pending")


def save_checkpoint(
    files: CheckpointFiles,
    model: RNNLanguageModel,
    metadata: dict[str, Any],
    training_tensors: dict[str, torch.Tensor] | None = None,
) -> None:
    """Pending tensor files, then the JSON (the commit), then the pending files settle into place."""
    from safetensors.torch import save as save_safetensors_bytes

    if files.metadata.exists():
        settle_pending_files(files)  # never overwrite the only copy of a committed step
    step = str(metadata["step"])
    header = {"format": str(CHECKPOINT_FORMAT), "step": step}
    written = []
    if training_tensors is not None:
        cpu_tensors = {name: tensor.detach().to("cpu").contiguous() for name, tensor in training_tensors.items()}
        atomic_write_bytes(pending(files.training_state), save_safetensors_bytes(cpu_tensors, metadata=header))
        written.append(files.training_state)
    atomic_write_bytes(pending(files.weights), save_safetensors_bytes(weights_for_saving(model), metadata=header))
    written.append(files.weights)
    full_metadata = {
        "format": CHECKPOINT_FORMAT,
        "created": now_iso(),
        "parameters": model.parameter_count(),
        "model": model.config.to_dict(),
        "has_training_state": training_tensors is not None,
        **metadata,
    }
    atomic_write_text(files.metadata, json.dumps(full_metadata, indent=2, ensure_ascii=False))
    for path in written:
        os.replace(pending(path), path)
    fsync_directory(files.directory)


def is_plain_file(path: Path) -> bool:
    """A regular file, not a link: the only kind of file a checkpoint is made of."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def tensor_file_step(path: Path) -> int | None:
    """The step a tensor file's header names, or None if it is missing or unreadable."""
    if not is_plain_file(path):
        return None
    try:
        with safe_open(str(path), framework="pt", device="cpu") as handle:
            step = (handle.metadata() or {}).get("step")
        return int(step) if step is not None else None
    except (SafetensorError, ValueError, RuntimeError, OSError):
        return None


def committed_version(path: Path, step: int) -> Path:
    """The pending file if the JSON already committed it (a crash before it settled), else the settled one.

    Readers read through pending files this way; only the run's writer, holding its lock, settles them."""
    candidate = pending(path)
    if is_plain_file(candidate) and tensor_file_step(candidate) == int(step):
        return candidate
    return path


def settle_pending_files(files: CheckpointFiles) -> None:
    """Finish what a crash interrupted: keep pending files the JSON committed, drop the ones it never did.

    Only the writer of a run calls this (when training starts or resumes), so readers never race it.
    """
    waiting = [path for path in (files.weights, files.training_state) if pending(path).exists()]
    if not waiting:
        return
    try:
        step = int(read_metadata(files)["step"])
    except PoetError:
        step = None
    for path in waiting:
        candidate = pending(path)
        if step is not None and tensor_file_step(candidate) == step:
            os.replace(candidate, path)
        else:
            candidate.unlink()
    fsync_directory(files.directory)


METADATA_LIMIT = 16 * 2**20  # a checkpoint's JSON is a few kilobytes


def read_metadata(files: CheckpointFiles) -> dict[str, Any]:
    """The checkpoint's JSON, read without following links and checked field by field before use."""
    if not os.path.lexists(files.metadata):
        raise PoetError(f"{files.metadata} is missing; the checkpoint is incomplete.")
    data = read_json_file(files.metadata, METADATA_LIMIT)
    try:
        return check_checkpoint_metadata(data)
    except NewerFormat as newer:
        raise PoetError(
            f"{files.metadata} has checkpoint format {newer.version}, newer than this poet-tui reads "
            f"({CHECKPOINT_FORMAT}); upgrade poet-tui."
        ) from None
    except Invalid as error:
        raise PoetError(f"{files.metadata} is damaged ({error}); use another checkpoint.") from None


def read_tensor_file(path: Path, expected_step: int) -> dict[str, torch.Tensor]:
    """Load a safetensors file (no pickle involved) and check it belongs to the same step as the JSON."""
    path = committed_version(path, expected_step)
    if not os.path.lexists(path):
        raise PoetError(f"{path} is missing; the checkpoint is incomplete.")
    if not is_plain_file(path):
        raise PoetError(f"{path} is a link or not a regular file; poet-tui reads checkpoints only from plain files.")
    try:
        with safe_open(str(path), framework="pt", device="cpu") as handle:
            header = handle.metadata() or {}
            tensors = {name: handle.get_tensor(name) for name in handle.keys()}  # noqa: SIM118
    except (SafetensorError, ValueError, RuntimeError, OSError):
        raise PoetError(
            f"{path} is not a readable safetensors file (truncated or damaged); use another checkpoint."
        ) from None
    if header.get("step") is not None and header["step"] != str(expected_step):
        raise PoetError(
            f"{path} is from step {header['step']} but its metadata says step {expected_step} "
            "(a write was interrupted); use another checkpoint."
        )
    return tensors


FLOAT_DTYPES = ("F32", "F16", "BF16", "F64")


def tensor_file_elements(path: Path) -> int:
    """How many numbers a weights file holds, from its header alone; non-float tensors are refused."""
    try:
        with safe_open(str(path), framework="pt", device="cpu") as handle:
            total = 0
            for name in handle.keys():  # noqa: SIM118
                piece = handle.get_slice(name)
                if piece.get_dtype() not in FLOAT_DTYPES:
                    raise PoetError(f"{path} holds {name} as {piece.get_dtype()}, not floating point; it is damaged.")
                count = 1
                for size in piece.get_shape():
                    count *= size
                total += count
            return total
    except (SafetensorError, ValueError, RuntimeError, OSError):
        raise PoetError(
            f"{path} is not a readable safetensors file (truncated or damaged); use another checkpoint."
        ) from None


def load_model(files: CheckpointFiles, device: torch.device | str = "cpu") -> tuple[RNNLanguageModel, dict[str, Any]]:
    """The model a checkpoint describes, built only once its metadata and the size of its weights agree:
    forged metadata can never make poet-tui allocate more than the weights file really holds."""
    import torch

    from poet_tui.model import RNNLanguageModel
    from poet_tui.model_size import model_parameter_count

    metadata = read_metadata(files)  # checked: the model's shape and size are sane before anything is allocated
    config = ModelConfig(**metadata["model"])
    weights_path = committed_version(files.weights, metadata["step"])
    if is_plain_file(weights_path) and tensor_file_elements(weights_path) != model_parameter_count(config):
        raise PoetError(f"{files.weights} does not fit the model its metadata describes (a different size).")
    weights = read_tensor_file(files.weights, metadata["step"])
    try:
        model = RNNLanguageModel(config)
    except (TypeError, KeyError, ValueError, RuntimeError):
        raise PoetError(f"{files.metadata} describes a model this poet-tui cannot build.") from None
    if config.tied:
        weights["decoder.weight"] = weights.get("embedding.weight", torch.empty(0))
    try:
        model.load_state_dict(weights, strict=True)
    except RuntimeError as error:
        first = str(error).strip().splitlines()
        detail = first[1].strip() if len(first) > 1 else first[0]
        raise PoetError(f"{files.weights} does not fit the model its metadata describes ({detail}).") from None
    return model.to(device), metadata


def remove_checkpoint(files: CheckpointFiles) -> None:
    """Delete one checkpoint: its JSON first, so it leaves every listing at once, then its tensor files."""
    files.metadata.unlink(missing_ok=True)
    for path in (files.weights, files.training_state):
        path.unlink(missing_ok=True)
        pending(path).unlink(missing_ok=True)
    fsync_directory(files.directory)


def settle_checkpoint_directory(directory: Path) -> None:
    """Settle every checkpoint a crash left half-committed, and drop pending files no JSON ever named."""
    if not directory.is_dir():
        return
    stems = {path.stem for path in directory.glob("*.json")}
    for stem in stems:
        settle_pending_files(CheckpointFiles(directory, stem))
    for orphan in directory.glob("*.pending"):
        if CheckpointFiles.from_path(Path(str(orphan).removesuffix(".pending"))).stem not in stems:
            orphan.unlink(missing_ok=True)


def require_matching_vocabulary(
    files: CheckpointFiles, model_vocabulary: int, tokenizer_vocabulary: int, run_id: str
) -> None:
    """Weights and the run's tokenizer must agree on the vocabulary, or the checkpoint came from another run."""
    if model_vocabulary != tokenizer_vocabulary:
        raise PoetError(
            f"{files.weights} has a vocabulary of {model_vocabulary} but run {run_id}'s tokenizer has "
            f"{tokenizer_vocabulary}; the checkpoint does not belong to this run."
        )


def has_weights(files: CheckpointFiles) -> bool:
    """Weights present, settled or (a crash before they settled) still pending: readers read through those."""
    return os.path.lexists(files.weights) or os.path.lexists(pending(files.weights))


def list_checkpoints(directory: Path) -> list[CheckpointFiles]:
    """Checkpoints (metadata and weights present) in a checkpoints directory, newest step last.

    Only names poet-tui writes count; anything else in the folder is not a checkpoint."""
    if not directory.is_dir():
        return []
    found = []
    for metadata_path in directory.glob("*.json"):
        files = CheckpointFiles(directory, metadata_path.stem)
        if CHECKPOINT_NAME.match(files.stem) and has_weights(files):
            found.append(files)
    return sorted(found, key=lambda item: (item.stem not in ("latest", "best"), item.stem))
