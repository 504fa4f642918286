"""Checkpoint files: atomic writes, safe loading, and clear refusals of damaged or foreign files."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import pytest

from poet_tui.atomic import atomic_write_bytes
from poet_tui.checkpoint import CheckpointFiles, load_model
from poet_tui.errors import PoetError
from poet_tui.generation import load_for_generation
from poet_tui.runs import RunStore


def test_atomic_write_leaves_the_old_file_whole_when_the_write_fails(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "weights.safetensors"
    atomic_write_bytes(target, b"old and complete")

    def failing_replace(source: str, destination: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError):
        atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old and complete"
    assert [path.name for path in tmp_path.iterdir()] == ["weights.safetensors"]  # no temp file left behind


def test_atomic_write_fsyncs_before_renaming(tmp_path: Path, monkeypatch) -> None:
    order: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (order.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (order.append("replace"), real_replace(a, b))[1])
    atomic_write_bytes(tmp_path / "file", b"data")
    assert order[:2] == ["fsync", "replace"]


def test_a_run_a_folder_or_a_checkpoint_file_all_load(trained_run) -> None:
    by_name = load_for_generation(trained_run.id)
    by_folder = load_for_generation(str(trained_run.directory))
    by_file = load_for_generation(str(trained_run.checkpoints_dir / "latest.safetensors"))
    assert by_name.checkpoint.stem == by_folder.checkpoint.stem == "best"
    assert by_file.checkpoint.stem == "latest"


def test_truncated_weights_are_refused(trained_run) -> None:
    weights = trained_run.checkpoints_dir / "best.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(PoetError, match="truncated or damaged"):
        load_model(CheckpointFiles.from_path(weights))


def test_a_pickle_posing_as_a_checkpoint_never_runs(trained_run, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    weights = trained_run.checkpoints_dir / "best.safetensors"
    weights.write_bytes(pickle.dumps(Payload()))
    with pytest.raises(PoetError):
        load_model(CheckpointFiles.from_path(weights))
    assert not marker.exists()


def grow_hidden_size(metadata: dict) -> None:
    metadata["model"]["hidden_size"] += 1


def claim_newer_format(metadata: dict) -> None:
    metadata["format"] = 99


def claim_another_step(metadata: dict) -> None:
    """What a crash between writing the weights and the JSON would leave without the journal."""
    metadata["step"] = 1


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [(grow_hidden_size, "does not fit"), (claim_newer_format, "newer"), (claim_another_step, "interrupted")],
    ids=["wrong-shapes", "newer-format", "other-step"],
)
def test_metadata_that_disagrees_with_the_weights_is_refused(trained_run, corrupt, message: str) -> None:
    metadata_path = trained_run.checkpoints_dir / "best.json"
    metadata = json.loads(metadata_path.read_text())
    corrupt(metadata)
    metadata_path.write_text(json.dumps(metadata))
    with pytest.raises(PoetError, match=message):
        load_model(CheckpointFiles.from_path(metadata_path))


def test_a_tokenizer_that_does_not_match_the_weights_is_refused(trained_run) -> None:
    tokenizer_path = trained_run.directory / "tokenizer.json"
    payload = json.loads(tokenizer_path.read_text())
    payload["tokens"] = payload["tokens"][:-3]
    tokenizer_path.write_text(json.dumps(payload))
    with pytest.raises(PoetError, match="does not belong"):
        load_for_generation(trained_run.id)


def test_missing_run_or_checkpoint(trained_run) -> None:
    with pytest.raises(PoetError, match="no run named"):
        load_for_generation("no-such-run")
    RunStore().remove(trained_run)
    with pytest.raises(PoetError):
        load_for_generation(trained_run.id)
