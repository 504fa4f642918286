"""Every layer's state at every step, which nn.LSTM does not give: it returns only the top layer's outputs, and
the cell state c only after the last step.

So the layers are run one at a time with the model's own weights (a one-layer nn.LSTM/nn.GRU per layer, fast),
and for an LSTM the cell state is recovered from the gates: with every h known, the gates of all steps are one
matrix product, and c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t is a cheap elementwise scan. Texts are read in chunks with the
state carried, so a long validation text never holds more than one chunk of every layer's inputs at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from poet_tui.errors import PoetError
from poet_tui.lens.threads import one_thread_on_cpu
from poet_tui.model import RNNLanguageModel

KINDS = ("cell", "hidden")
CHUNK = 2048  # steps read at a time


class LensCancelled(Exception):
    """The caller asked the computation to stop (an app worker whose result is no longer wanted)."""


ShouldStop = Callable[[], bool]


def stop_if_asked(should_stop: ShouldStop | None) -> None:
    if should_stop is not None and should_stop():
        raise LensCancelled()


def default_kind(model: RNNLanguageModel) -> str:
    """Karpathy's cells are LSTM cell states; a GRU has only its hidden state."""
    return "cell" if model.config.cell == "lstm" else "hidden"


def check_layer(model: RNNLanguageModel, layer: int) -> None:
    layers = model.config.num_layers
    if not 0 <= layer < layers:
        raise PoetError(f"layer {layer} does not exist: this model has layers 0 to {layers - 1}.")


def check_kind(model: RNNLanguageModel, kind: str) -> None:
    if kind not in KINDS:
        raise PoetError(f"the state to look at must be 'cell' or 'hidden', not {kind!r}.")
    if kind == "cell" and model.config.cell != "lstm":
        raise PoetError("a GRU has no cell state; look at its hidden state ('hidden') instead.")


@dataclass
class LayerRunner:
    """One layer of the model as its own one-layer module, sharing the model's weight tensors."""

    module: nn.LSTM | nn.GRU
    input_weight: torch.Tensor
    hidden_weight: torch.Tensor
    bias: torch.Tensor


def layer_runners(model: RNNLanguageModel, count: int) -> list[LayerRunner]:
    rnn, config = model.rnn, model.config
    runners = []
    for index in range(count):
        input_size = config.embedding_size if index == 0 else config.hidden_size
        module_class = nn.LSTM if config.cell == "lstm" else nn.GRU
        module = module_class(input_size, config.hidden_size, num_layers=1, batch_first=True)
        weights = {name: getattr(rnn, f"{name}_l{index}").detach() for name in ("weight_ih", "weight_hh")}
        biases = {name: getattr(rnn, f"{name}_l{index}").detach() for name in ("bias_ih", "bias_hh")}
        module.load_state_dict({f"{name}_l0": value for name, value in {**weights, **biases}.items()})
        module.to(next(model.parameters()).device).eval()
        runners.append(
            LayerRunner(module, weights["weight_ih"], weights["weight_hh"], biases["bias_ih"] + biases["bias_hh"])
        )
    return runners


def lstm_cells(
    runner: LayerRunner, inputs: torch.Tensor, hidden: torch.Tensor, previous_hidden: torch.Tensor, cell: torch.Tensor
) -> torch.Tensor:
    """Cell states of one chunk from its inputs (T, in), hidden states (T, H) and the state before it (H,)."""
    hidden_before = torch.cat([previous_hidden[None], hidden[:-1]])
    gates = torch.addmm(runner.bias, inputs, runner.input_weight.t()).addmm_(hidden_before, runner.hidden_weight.t())
    input_gate, forget_gate, candidate, _ = gates.chunk(4, 1)
    update = input_gate.sigmoid() * candidate.tanh()
    forget_gate = forget_gate.sigmoid()
    cells = torch.empty_like(hidden)
    for step in range(hidden.shape[0]):
        cell = torch.addcmul(update[step], forget_gate[step], cell, out=cells[step])
    return cells


@torch.no_grad()
def iterate_activations(
    model: RNNLanguageModel,
    token_ids: Sequence[int],
    layers: Sequence[int],
    kind: str,
    should_stop: ShouldStop | None = None,
    chunk: int = CHUNK,
) -> Iterator[tuple[int, dict[int, torch.Tensor]]]:
    """(first step, {layer: (steps, hidden)}) for each chunk of the ids, in order; the state after reading each id."""
    check_kind(model, kind)
    for layer in layers:
        check_layer(model, layer)
    if not layers:
        return
    runners = layer_runners(model, max(layers) + 1)
    device = next(model.parameters()).device
    size = model.config.hidden_size
    lstm = model.config.cell == "lstm"
    hidden = [torch.zeros(size, device=device) for _ in runners]
    cells = [torch.zeros(size, device=device) for _ in runners]
    wanted = set(layers)
    for start in range(0, len(token_ids), chunk):
        stop_if_asked(should_stop)
        ids = torch.tensor(token_ids[start : start + chunk], dtype=torch.long, device=device)
        layer_input = model.embedding(ids)
        found: dict[int, torch.Tensor] = {}
        with one_thread_on_cpu(device):  # not across the yield: the caller's code between chunks keeps its cores
            for index, runner in enumerate(runners):
                if lstm:
                    state = (hidden[index][None, None].contiguous(), cells[index][None, None].contiguous())
                    output, (_, last_cell) = runner.module(layer_input[None], state)
                else:
                    output, _ = runner.module(layer_input[None], hidden[index][None, None].contiguous())
                output = output[0]
                if index in wanted:
                    if kind == "cell":
                        found[index] = lstm_cells(runner, layer_input, output, hidden[index], cells[index])
                    else:
                        found[index] = output
                hidden[index] = output[-1]
                if lstm:
                    cells[index] = last_cell[0, 0]
                layer_input = output
        yield start, found


def layer_activations(
    model: RNNLanguageModel,
    token_ids: Sequence[int],
    layer: int,
    kind: str = "cell",
    should_stop: ShouldStop | None = None,
) -> torch.Tensor:
    """(time, hidden_size): layer `layer`'s cell state c (LSTM) or hidden state h after reading each token,
    from a zero state, as the model reads a text. Karpathy's red/blue view shows tanh(c)."""
    chunks = [found[layer] for _, found in iterate_activations(model, token_ids, [layer], kind, should_stop)]
    if not chunks:
        return torch.zeros((0, model.config.hidden_size))
    return torch.cat(chunks).cpu()
