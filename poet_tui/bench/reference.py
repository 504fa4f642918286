"""pytorch/examples word_language_model, as the baseline the issue measures against: its model and its loop.

This is the reference being compared with, not a second trainer for poet-tui's models: an embedding, dropout, a
seq-first nn.LSTM, dropout, a tied decoder with log-softmax; plain SGD at lr 20 with gradient clipping 0.25, the
learning rate divided by 4 after an epoch whose validation loss did not improve; batch 20, bptt 35, evaluation
batch 10, fp32. Only the stopping rule is ours: `max_seconds` or `max_batches` as well as `epochs`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as functional
from torch import nn

from poet_tui.train import PreparedData

EVALUATION_BATCH = 10


@dataclass(frozen=True)
class ReferenceSettings:
    size: int = 650
    layers: int = 2
    dropout: float = 0.5
    batch_size: int = 20
    bptt: int = 35
    learning_rate: float = 20.0
    clip: float = 0.25
    epochs: int = 6
    max_seconds: float | None = None
    max_batches: int | None = None  # the quick profile's budget: the same work whatever the machine's load
    seed: int = 1111


@dataclass(frozen=True)
class ReferenceResult:
    tokens_per_s: float  # training tokens over training time (evaluation excluded)
    validation_loss: float  # nats per token, after the last epoch (or when time ran out)
    validation_nats_per_char: float
    epochs: float
    wall_s: float  # training and evaluation, as its own log would show


class ReferenceModel(nn.Module):
    def __init__(self, vocab: int, settings: ReferenceSettings) -> None:
        super().__init__()
        self.drop = nn.Dropout(settings.dropout)
        self.encoder = nn.Embedding(vocab, settings.size)
        self.rnn = nn.LSTM(settings.size, settings.size, settings.layers, dropout=settings.dropout)
        self.decoder = nn.Linear(settings.size, vocab)
        self.decoder.weight = self.encoder.weight
        nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)

    def forward(
        self, tokens: torch.Tensor, hidden: tuple[torch.Tensor, torch.Tensor]
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        output, hidden = self.rnn(self.drop(self.encoder(tokens)), hidden)
        decoded = self.decoder(self.drop(output))
        return functional.log_softmax(decoded.view(-1, decoded.shape[-1]), dim=1), hidden


def batchify(stream: torch.Tensor, batch: int, device: torch.device) -> torch.Tensor:
    rows = stream.numel() // batch
    return stream[: rows * batch].to(torch.long).view(batch, -1).t().contiguous().to(device)


def initial_hidden(model: ReferenceModel, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
    weight = next(model.parameters())
    shape = (model.rnn.num_layers, batch, model.rnn.hidden_size)
    return (weight.new_zeros(shape), weight.new_zeros(shape))


@torch.no_grad()
def evaluate(model: ReferenceModel, data: torch.Tensor, bptt: int) -> float:
    model.eval()
    total = 0.0
    hidden = initial_hidden(model, EVALUATION_BATCH)
    for start in range(0, data.shape[0] - 1, bptt):
        length = min(bptt, data.shape[0] - 1 - start)
        output, hidden = model(data[start : start + length], hidden)
        total += length * functional.nll_loss(output, data[start + 1 : start + 1 + length].reshape(-1)).item()
    return total / data.shape[0]


def train_reference(data: PreparedData, device: torch.device, settings: ReferenceSettings) -> ReferenceResult:
    """Train and evaluate as its main.py does, with cuDNN at PyTorch's defaults (our Trainer turns autotuning on)."""
    with torch.backends.cudnn.flags(enabled=True, benchmark=False, deterministic=False, allow_tf32=True):
        return run_reference(data, device, settings)


def run_reference(data: PreparedData, device: torch.device, settings: ReferenceSettings) -> ReferenceResult:
    started = time.perf_counter()
    torch.manual_seed(settings.seed)
    train = batchify(data.train_stream, settings.batch_size, device)
    validation = batchify(data.validation_stream, EVALUATION_BATCH, device)
    model = ReferenceModel(data.tokenizer.vocab_size, settings).to(device)
    learning_rate, best, tokens, train_seconds = settings.learning_rate, None, 0, 0.0
    validation_loss, epochs_done = math.inf, 0.0
    batches_per_epoch = len(range(0, train.shape[0] - 1, settings.bptt))
    out_of_budget, batches = False, 0
    for _epoch in range(settings.epochs):
        model.train()
        hidden = initial_hidden(model, settings.batch_size)
        epoch_started = time.perf_counter()
        for number, start in enumerate(range(0, train.shape[0] - 1, settings.bptt)):
            length = min(settings.bptt, train.shape[0] - 1 - start)
            hidden = (hidden[0].detach(), hidden[1].detach())
            model.zero_grad()
            output, hidden = model(train[start : start + length], hidden)
            loss = functional.nll_loss(output, train[start + 1 : start + 1 + length].reshape(-1))
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), settings.clip)
            with torch.no_grad():
                for parameter in model.parameters():
                    if parameter.grad is not None:
                        parameter.add_(parameter.grad, alpha=-learning_rate)
            tokens += length * settings.batch_size
            batches += 1
            if (settings.max_seconds is not None and time.perf_counter() - started >= settings.max_seconds) or (
                settings.max_batches is not None and batches >= settings.max_batches
            ):
                out_of_budget = True
                epochs_done += (number + 1) / batches_per_epoch
                break
        else:
            epochs_done += 1
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        train_seconds += time.perf_counter() - epoch_started
        validation_loss = evaluate(model, validation, settings.bptt)
        if best is None or validation_loss < best:
            best = validation_loss
        else:
            learning_rate /= 4.0
        if out_of_budget:
            break
    nats_per_char = validation_loss * validation.numel() / data.validation_characters
    return ReferenceResult(
        tokens_per_s=tokens / max(train_seconds, 1e-9),
        validation_loss=validation_loss,
        validation_nats_per_char=nats_per_char,
        epochs=round(epochs_done, 3),
        wall_s=time.perf_counter() - started,
    )
