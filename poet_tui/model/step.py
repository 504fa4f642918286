"""One token through the model without nn.LSTM: the single-step path that streaming generation lives on.

Why: for a (batch, 1) input, nn.LSTM/nn.GRU pay a large fixed cost per call. On the CPU, oneDNN sets up an RNN
primitive per layer: ≈145 µs per layer, ≈290 of the ≈340 µs a 2 × 256 char LSTM token took under torch.profiler,
far more than the arithmetic. Here each layer is one or two GEMVs against the module's own weights plus a handful
of elementwise ops, and the first layer's input projection is folded into a per-token table when the vocabulary
is small. The weights are read where they live, so nothing goes stale when training changes them, except the few
derived tensors (summed biases, the table, a folded projection), which are rebuilt when any parameter's version
counter moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as functional

from poet_tui.model.state import RecurrentState

if TYPE_CHECKING:
    from poet_tui.model.network import RNNLanguageModel

# Fold the embedding into the first layer's input projection when the table stays this small (elements).
MAX_TABLE_ELEMENTS = 1 << 21


@dataclass
class LayerWeights:
    input_weight: torch.Tensor  # (gates·H, input) as nn.LSTM/nn.GRU store it
    hidden_weight: torch.Tensor  # (gates·H, H)
    bias: torch.Tensor  # LSTM: b_ih + b_hh; GRU: b_ih (b_hh stays apart: r multiplies only its n part)
    hidden_bias: torch.Tensor | None  # GRU only


@dataclass
class StepWeights:
    """Views of the model's weights plus the derived tensors, tagged with the parameter versions they match."""

    key: tuple[tuple[int, int], ...]
    layers: list[LayerWeights]
    table: torch.Tensor | None  # (vocab, gates·H): embedding @ W_ih0ᵀ + bias, or None for big vocabularies
    decoder_weight: torch.Tensor  # (vocab, H), the projection folded in when the model has one
    decoder_bias: torch.Tensor


def parameter_key(parameters: list[torch.nn.Parameter]) -> tuple[tuple[int, int], ...]:
    """Where each parameter lives and how often it was changed in place: any optimizer step moves it."""
    return tuple((parameter.data_ptr(), parameter._version) for parameter in parameters)


class StepCache:
    """The model's derived step weights, rebuilt only after a parameter changed (an optimizer step, a load)."""

    def __init__(self) -> None:
        self.parameters: list[torch.nn.Parameter] | None = None
        self.cached: StepWeights | None = None

    def weights(self, model: RNNLanguageModel) -> StepWeights:
        if self.parameters is None:
            self.parameters = list(model.parameters())
        if self.cached is None or self.cached.key != parameter_key(self.parameters):
            self.cached = build_step_weights(model, self.parameters)
        return self.cached


def build_step_weights(model: RNNLanguageModel, parameters: list[torch.nn.Parameter]) -> StepWeights:
    rnn, config = model.rnn, model.config
    layers = []
    with torch.no_grad():
        for index in range(config.num_layers):
            input_bias = getattr(rnn, f"bias_ih_l{index}")
            hidden_bias = getattr(rnn, f"bias_hh_l{index}")
            lstm = config.cell == "lstm"
            layers.append(
                LayerWeights(
                    input_weight=getattr(rnn, f"weight_ih_l{index}").detach(),
                    hidden_weight=getattr(rnn, f"weight_hh_l{index}").detach(),
                    bias=(input_bias + hidden_bias) if lstm else input_bias.detach(),
                    hidden_bias=None if lstm else hidden_bias.detach(),
                )
            )
        embedding = model.embedding.weight.detach()
        first = layers[0]
        table = None
        if embedding.shape[0] * first.input_weight.shape[0] <= MAX_TABLE_ELEMENTS:
            table = torch.addmm(first.bias, embedding, first.input_weight.t())
        decoder_weight = model.decoder.weight.detach()
        if model.projection is not None:
            decoder_weight = decoder_weight @ model.projection.weight.detach()
    return StepWeights(parameter_key(parameters), layers, table, decoder_weight, model.decoder.bias.detach())


def lstm_cell(gates: torch.Tensor, cell: torch.Tensor, hidden_out: torch.Tensor, cell_out: torch.Tensor) -> None:
    """Gate order i, f, g, o as nn.LSTM has it; writes the new h and c into the given output slices."""
    input_gate, forget_gate, candidate, output_gate = gates.chunk(4, 1)
    candidate = torch.tanh(candidate)
    gates.sigmoid_()  # i, f, o; the g quarter is overwritten but its tanh was taken above
    torch.mul(forget_gate, cell, out=cell_out)
    cell_out.addcmul_(input_gate, candidate)
    torch.tanh(cell_out, out=hidden_out)
    hidden_out.mul_(output_gate)


def gru_cell(input_gates: torch.Tensor, hidden: torch.Tensor, layer: LayerWeights, hidden_out: torch.Tensor) -> None:
    """Gate order r, z, n as nn.GRU has it: n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)); h' = n + z ⊙ (h − n)."""
    hidden_gates = torch.addmm(layer.hidden_bias, hidden, layer.hidden_weight.t())  # type: ignore[arg-type]
    size = hidden.shape[1]
    reset_update = input_gates[:, : 2 * size].add_(hidden_gates[:, : 2 * size]).sigmoid_()
    reset, update = reset_update.chunk(2, 1)
    candidate = input_gates[:, 2 * size :].addcmul_(reset, hidden_gates[:, 2 * size :]).tanh_()
    torch.sub(hidden, candidate, out=hidden_out)
    hidden_out.mul_(update).add_(candidate)


def single_step(
    model: RNNLanguageModel, weights: StepWeights, tokens: torch.Tensor, state: RecurrentState | None
) -> tuple[torch.Tensor, RecurrentState]:
    """tokens (batch, 1) → logits (batch, 1, vocab) and a new state; the given state is left untouched."""
    batch = tokens.shape[0]
    if state is None:
        state = model.initial_state(batch, tokens.device)
    hidden, cell = state.hidden, state.cell
    new_state = state.empty_like()
    new_hidden, new_cell = new_state.hidden, new_state.cell
    flat_tokens = tokens.reshape(batch)
    layer_input = None if weights.table is not None else functional.embedding(flat_tokens, model.embedding.weight)
    for index, layer in enumerate(weights.layers):
        if index == 0 and weights.table is not None:
            input_gates = functional.embedding(flat_tokens, weights.table)
        else:
            input_gates = torch.addmm(layer.bias, layer_input, layer.input_weight.t())  # type: ignore[arg-type]
        if cell is not None and new_cell is not None:
            input_gates.addmm_(hidden[index], layer.hidden_weight.t())
            lstm_cell(input_gates, cell[index], new_hidden[index], new_cell[index])
        else:
            gru_cell(input_gates, hidden[index], layer, new_hidden[index])
        layer_input = new_hidden[index]
    logits = torch.addmm(weights.decoder_bias, layer_input, weights.decoder_weight.t())  # type: ignore[arg-type]
    return logits.unsqueeze(1), new_state
