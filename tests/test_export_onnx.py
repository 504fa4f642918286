"""`poet export --onnx`: the single step as ONNX, matching PyTorch in onnxruntime to 1e-4 (when the `onnx` extra is
installed), a file that does not match never kept, and one sentence without the extra."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
import torch

from poet_tui.cli.main import main
from poet_tui.config import ModelConfig
from poet_tui.model import RNNLanguageModel
from poet_tui.runs import Run

HAS_ONNX = all(importlib.util.find_spec(name) is not None for name in ("onnx", "onnxruntime", "onnxscript"))
needs_onnx = pytest.mark.skipif(not HAS_ONNX, reason="the onnx extra is not installed")


def run_both(model: RNNLanguageModel, path: Path, tokens: list[list[int]]) -> float:
    """Feed the same tokens, one step at a time with each side's state carried, to onnxruntime and to the
    model; the largest difference of any logit or state value."""
    import numpy as np
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [item.name for item in session.get_inputs()]
    state = model.initial_state(len(tokens[0]), "cpu")
    onnx_state = [part.numpy() for part in state.parts()]
    worst = 0.0
    for column in tokens:
        token = torch.tensor([[t] for t in column])
        with torch.no_grad():
            logits, state = model(token, state)
        outputs = session.run(None, dict(zip(names, [token.numpy(), *onnx_state], strict=True)))
        expected = [logits[:, -1].numpy(), *(part.numpy() for part in state.parts())]
        worst = max(worst, *(float(np.max(np.abs(a - b))) for a, b in zip(outputs, expected, strict=True)))
        onnx_state = outputs[1:]
    return worst


@needs_onnx
def test_onnx_export_matches_pytorch(trained_run: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from poet_tui.generation import load_for_generation

    folder = tmp_path / "model"
    assert main(["export", trained_run.id, str(folder), "--onnx"]) == 0
    assert "model.onnx matches PyTorch" in capsys.readouterr().out
    assert json.loads((folder / "config.json").read_text(encoding="utf-8"))["onnx"] == "model.onnx"
    assert "`model.onnx`" in (folder / "README.md").read_text(encoding="utf-8")
    model = load_for_generation(str(folder), device="cpu").model  # the export loads with model.onnx beside it
    tokens = [[0, 3, 5, 1, 2, 7], [4, 4, 0, 9, 1, 3], [1, 2, 3, 4, 5, 6]]  # 6 steps, a batch of 3
    assert run_both(model, folder / "model.onnx", tokens) <= 1e-4


@needs_onnx
def test_a_tied_gru_with_a_projection_exports_too(tmp_path: Path) -> None:
    from poet_tui.onnx_export import write_onnx

    torch.manual_seed(0)
    config = ModelConfig(vocab_size=13, cell="gru", embedding_size=6, hidden_size=10, num_layers=2, tied=True)
    model = RNNLanguageModel(config).eval()
    difference = write_onnx(model, tmp_path / "model.onnx", end_of_document_id=0)
    assert difference <= 1e-4
    assert run_both(model, tmp_path / "model.onnx", [[0, 12], [5, 1], [7, 7]]) <= 1e-4


@needs_onnx
def test_an_onnx_file_that_does_not_match_is_not_kept(
    trained_run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The exporter is replaced by one writing a file onnxruntime cannot run: refused, and nothing is left."""

    def broken_export(module: Any, example: Any, path: str, **options: Any) -> None:
        Path(path).write_bytes(b"not an onnx model")

    monkeypatch.setattr(torch.onnx, "export", broken_export)
    out = tmp_path / "out"
    out.mkdir()
    assert main(["export", trained_run.id, str(out / "model"), "--onnx"]) == 2
    error = capsys.readouterr().err
    assert "differs from PyTorch" in error and "so it was not kept" in error
    assert list(out.iterdir()) == []


def test_onnx_without_the_extra_is_one_sentence(
    trained_run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real_find_spec = importlib.util.find_spec
    missing = ("onnx", "onnxruntime", "onnxscript")
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name in missing else real_find_spec(name, *a)
    )
    assert main(["export", trained_run.id, str(tmp_path / "model"), "--onnx"]) == 2
    error = capsys.readouterr().err
    assert "--onnx needs onnx, onnxruntime, onnxscript, which are not installed: pip install 'poet-tui[onnx]'" in error
    assert error.count("\n") == 1 and not (tmp_path / "model").exists()
