"""The recurrent language model: embedding → dropout → LSTM/GRU → dropout → linear."""

from __future__ import annotations

import torch
from torch import nn

from poet_tui.config import ModelConfig
from poet_tui.fast_step import StepWeights, build_step_weights, parameter_key, single_step

__all__ = ["ModelConfig", "RNNLanguageModel", "RNNState", "detach_state"]

RNNState = torch.Tensor | tuple[torch.Tensor, torch.Tensor]


class RNNLanguageModel(nn.Module):
    """Predicts the next token; the hidden state is passed in and out so callers can carry it across windows."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        rnn_class = {"lstm": nn.LSTM, "gru": nn.GRU}[config.cell]
        self.embedding = nn.Embedding(config.vocab_size, config.embedding_size)
        self.input_dropout = nn.Dropout(config.dropout)
        self.rnn = rnn_class(
            config.embedding_size,
            config.hidden_size,
            num_layers=config.num_layers,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
            batch_first=True,
        )
        self.output_dropout = nn.Dropout(config.dropout)
        # Tying shares the embedding matrix with the output layer; a projection bridges differing sizes.
        self.projection = (
            nn.Linear(config.hidden_size, config.embedding_size, bias=False)
            if config.tied and config.hidden_size != config.embedding_size
            else None
        )
        output_size = config.embedding_size if config.tied else config.hidden_size
        self.decoder = nn.Linear(output_size, config.vocab_size)
        if config.tied:
            self.decoder.weight = self.embedding.weight
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.uniform_(self.embedding.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)
        if not self.config.tied:
            nn.init.uniform_(self.decoder.weight, -0.1, 0.1)
        if self.config.cell == "lstm":
            # Forget-gate bias 1 (gate order i, f, g, o): cells remember by default early in training.
            hidden = self.config.hidden_size
            for name, parameter in self.rnn.named_parameters():
                if name.startswith("bias_ih"):
                    with torch.no_grad():
                        parameter[hidden : 2 * hidden].fill_(1.0)
                elif name.startswith("bias_hh"):
                    with torch.no_grad():
                        parameter[hidden : 2 * hidden].fill_(0.0)

    def forward(self, tokens: torch.Tensor, state: RNNState | None = None) -> tuple[torch.Tensor, RNNState]:
        """tokens: (batch, time) → logits (batch, time, vocab) and the state after the last step."""
        if tokens.shape[1] == 1 and self.uses_single_step(tokens.device):
            return single_step(self, self.step_weights(), tokens, state)
        embedded = self.input_dropout(self.embedding(tokens))
        output, state = self.rnn(embedded, state)
        output = self.output_dropout(output)
        if self.projection is not None:
            output = self.projection(output)
        return self.decoder(output), state

    def uses_single_step(self, device: torch.device) -> bool:
        """One-token inference skips nn.LSTM's per-call overhead (see fast_step.py); training never does."""
        return not self.training and not torch.is_grad_enabled() and not torch.is_autocast_enabled(device.type)

    def step_weights(self) -> StepWeights:
        """The single-step weights, rebuilt only after a parameter changed (an optimizer step, a load)."""
        cached: StepWeights | None = self.__dict__.get("_step_weights")
        parameters = self.__dict__.get("_step_parameters")
        if parameters is None:
            parameters = list(self.parameters())
            self.__dict__["_step_parameters"] = parameters
        if cached is None or cached.key != parameter_key(parameters):
            cached = build_step_weights(self, parameters)
            self.__dict__["_step_weights"] = cached
        return cached

    def initial_state(self, batch_size: int, device: torch.device | str) -> RNNState:
        shape = (self.config.num_layers, batch_size, self.config.hidden_size)
        zeros = torch.zeros(shape, device=device)
        if self.config.cell == "lstm":
            return (zeros, zeros.clone())
        return zeros

    def parameter_count(self) -> int:
        return sum(parameter.numel() for parameter in self.parameters())


def detach_state(state: RNNState) -> RNNState:
    """Cut the graph at a window boundary (truncated BPTT) while keeping the values."""
    if isinstance(state, tuple):
        return tuple(part.detach() for part in state)  # type: ignore[return-value]
    return state.detach()


def state_tensors(state: RNNState) -> dict[str, torch.Tensor]:
    if isinstance(state, tuple):
        return {"hidden": state[0], "cell": state[1]}
    return {"hidden": state}


def state_from_tensors(tensors: dict[str, torch.Tensor]) -> RNNState:
    if "cell" in tensors:
        return (tensors["hidden"], tensors["cell"])
    return tensors["hidden"]
