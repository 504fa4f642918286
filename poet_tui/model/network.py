"""The recurrent language model: embedding → dropout → LSTM/GRU → dropout → linear.

Its full-sequence forward is here; a one-token call goes through the single step (step.py) that streams
generation, whose derived weights the model keeps in its own `StepCache`; graph.py captures that same step."""

from __future__ import annotations

import torch
from torch import nn

from poet_tui.config import ModelConfig
from poet_tui.model.state import RecurrentState
from poet_tui.model.step import StepCache, single_step


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
        self.step_cache = StepCache()  # plain attributes: not parameters, never saved in a checkpoint
        self.graph_cache: object | None = None  # graph.py's captured step for this model, on CUDA

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

    def forward(self, tokens: torch.Tensor, state: RecurrentState | None = None) -> tuple[torch.Tensor, RecurrentState]:
        """tokens: (batch, time) → logits (batch, time, vocab) and the state after the last step."""
        if tokens.shape[1] == 1 and self.uses_single_step(tokens.device):
            return single_step(self, self.step_cache.weights(self), tokens, state)
        embedded = self.input_dropout(self.embedding(tokens))
        output, torch_state = self.rnn(embedded, None if state is None else state.to_torch())
        output = self.output_dropout(output)
        if self.projection is not None:
            output = self.projection(output)
        return self.decoder(output), RecurrentState.from_torch(torch_state)

    def hold_tokens(self, token_ids: torch.Tensor) -> None:
        """Zero the gradient of these tokens' own weights (embedding row, output row and bias) after a backward
        pass: AdamW's moments stay zero for them, so only weight decay moves them (toward zero)."""
        held = [self.embedding.weight, self.decoder.bias]
        if not self.config.tied:
            held.append(self.decoder.weight)
        for parameter in held:
            if parameter.grad is not None:
                parameter.grad.index_fill_(0, token_ids, 0.0)

    def uses_single_step(self, device: torch.device) -> bool:
        """One-token inference skips nn.LSTM's per-call overhead (see step.py); training never does."""
        return not self.training and not torch.is_grad_enabled() and not torch.is_autocast_enabled(device.type)

    def initial_state(self, batch_size: int, device: torch.device | str) -> RecurrentState:
        config = self.config
        return RecurrentState.zeros(config.cell == "lstm", config.num_layers, batch_size, config.hidden_size, device)

    def parameter_count(self) -> int:
        return sum(parameter.numel() for parameter in self.parameters())
