"""`poet export --onnx`: the single-step model (token and state in, logits and state out) as ONNX, checked.

Exporter: torch's `dynamo=True` exporter (torch.export + onnxscript), because the TorchScript one is deprecated
and warns that it will be removed. It needs `onnxscript`, so the `onnx` extra lists it beside onnx and
onnxruntime. The cell arithmetic is spelt out (matmuls and elementwise ops rather than nn.LSTM/nn.GRU): every
runtime has those, and the batch stays a free dimension (nn.LSTM's trace fixes it at the example's size).

The file is kept only if onnxruntime, fed the same tokens and states, gives the same logits and states as
PyTorch to within ONNX_TOLERANCE at every step; otherwise it is deleted and the export refused.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch import nn

from poet_tui.errors import PoetError

if TYPE_CHECKING:
    from poet_tui.model import RNNLanguageModel

ONNX_TOLERANCE = 1e-4
VERIFY_STEPS = 8
VERIFY_BATCH = 2  # more than the example's 1: the check also proves the batch dimension is free
ONNX_MODULES = ("onnx", "onnxruntime", "onnxscript")


def require_onnx_tools() -> None:
    """Before anything is written: --onnx needs the optional extra, said in one sentence if it is missing."""
    missing = [name for name in ONNX_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        raise PoetError(
            f"--onnx needs {', '.join(missing)}, which {verb} not installed: pip install 'poet-tui[onnx]' "
            "(or leave --onnx out)."
        )


class SingleStep(nn.Module):
    """One token through the model, the LSTM/GRU arithmetic written out (gate order as torch stores it)."""

    def __init__(self, model: RNNLanguageModel) -> None:
        super().__init__()
        self.model = model
        self.lstm = model.config.cell == "lstm"

    def forward(
        self, token: torch.Tensor, hidden: torch.Tensor, cell: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, ...]:
        model, rnn = self.model, self.model.rnn
        x = model.embedding(token[:, 0])
        hiddens, cells = [], []
        for layer in range(model.config.num_layers):
            from_input = x @ getattr(rnn, f"weight_ih_l{layer}").T + getattr(rnn, f"bias_ih_l{layer}")
            from_hidden = hidden[layer] @ getattr(rnn, f"weight_hh_l{layer}").T + getattr(rnn, f"bias_hh_l{layer}")
            if self.lstm:
                assert cell is not None
                input_gate, forget_gate, candidate, output_gate = (from_input + from_hidden).chunk(4, dim=-1)
                new_cell = torch.sigmoid(forget_gate) * cell[layer] + torch.sigmoid(input_gate) * torch.tanh(candidate)
                x = torch.sigmoid(output_gate) * torch.tanh(new_cell)
                cells.append(new_cell)
            else:
                input_reset, input_update, input_new = from_input.chunk(3, dim=-1)
                hidden_reset, hidden_update, hidden_new = from_hidden.chunk(3, dim=-1)
                reset = torch.sigmoid(input_reset + hidden_reset)
                update = torch.sigmoid(input_update + hidden_update)
                new = torch.tanh(input_new + reset * hidden_new)
                x = (1 - update) * new + update * hidden[layer]
            hiddens.append(x)
        if model.projection is not None:
            x = model.projection(x)
        logits = model.decoder(x)
        if self.lstm:
            return logits, torch.stack(hiddens), torch.stack(cells)
        return logits, torch.stack(hiddens)


def state_names(lstm: bool) -> list[str]:
    return ["hidden", "cell"] if lstm else ["hidden"]


def write_onnx(model: RNNLanguageModel, path: Path, end_of_document_id: int) -> float:
    """Export the single step to `path` and check it with onnxruntime; returns the largest difference seen.

    Raises PoetError (and leaves no file) if the export fails or the runtime disagrees with PyTorch."""
    model = model.eval()
    step = SingleStep(model).eval()
    lstm = model.config.cell == "lstm"
    # An example batch of 2: a batch of 1 is specialised by the exporter (torch 2.5 then fixes the batch at 1)
    zeros = torch.zeros(model.config.num_layers, 2, model.config.hidden_size)
    example = (torch.tensor([[end_of_document_id]] * 2), zeros, *([zeros.clone()] if lstm else []))
    batch = torch.export.Dim("batch", min=1, max=65_536)
    names = state_names(lstm)
    try:
        with quiet_exporter(), torch.no_grad():
            torch.onnx.export(
                step,
                example,
                str(path),
                dynamo=True,
                input_names=["token", *names],
                output_names=["logits", *(f"{name}_out" for name in names)],
                dynamic_shapes=({0: batch}, *({1: batch} for _ in names)),
                external_data=False,
                verbose=False,
            )
    except Exception as error:  # the exporter raises many kinds; each is one sentence here
        path.unlink(missing_ok=True)
        raise PoetError(
            f"torch could not export the model to ONNX ({type(error).__name__}: {str(error)[:200]}); "
            "export without --onnx."
        ) from None
    difference = onnx_difference(model, path, end_of_document_id)
    if not difference <= ONNX_TOLERANCE:
        path.unlink(missing_ok=True)
        raise PoetError(
            f"the ONNX model differs from PyTorch by {difference:.2g} (more than {ONNX_TOLERANCE:g}), so it was not "
            "kept; export without --onnx."
        )
    return difference


@contextlib.contextmanager
def quiet_exporter() -> Iterator[None]:
    """The exporter's progress lines, deprecation warnings and 'torchvision is not installed' logs are not the
    user's business; a failure still raises."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def onnx_difference(model: RNNLanguageModel, path: Path, end_of_document_id: int) -> float:
    """Run VERIFY_STEPS tokens through onnxruntime and PyTorch side by side, each fed its own state back; the
    largest absolute difference of any logit or state value (inf when the runtime cannot run the file)."""
    import numpy as np
    import onnxruntime

    try:
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception:  # onnxruntime's own error types; a file it cannot load never matches
        return float("inf")
    lstm = model.config.cell == "lstm"
    names = state_names(lstm)
    state = model.initial_state(VERIFY_BATCH, "cpu")
    onnx_state = [part.numpy().copy() for part in state.parts()]
    token = torch.tensor([[end_of_document_id]] * VERIFY_BATCH)
    token[1:, 0] = (end_of_document_id + 1) % model.config.vocab_size  # the two rows take different paths
    worst = 0.0
    for _ in range(VERIFY_STEPS):
        with torch.no_grad():
            logits, state = model(token, state)
        outputs = session.run(None, {"token": token.numpy(), **dict(zip(names, onnx_state, strict=True))})
        expected = [logits[:, -1].numpy(), *(part.numpy() for part in state.parts())]
        for got, want in zip(outputs, expected, strict=True):
            if got.shape != want.shape:
                return float("inf")
            worst = max(worst, float(np.max(np.abs(got - want))))
        onnx_state = list(outputs[1:])
        token = logits[:, -1].argmax(dim=-1, keepdim=True)
    return worst
