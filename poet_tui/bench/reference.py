"""pytorch/examples word_language_model, as the baseline the issue measures against: its model and its loop.

This is the reference being compared with, not a second trainer for poet-tui's models: an embedding, dropout, a
seq-first nn.LSTM, dropout, a decoder (tied to the embedding with `--tied`) with log-softmax; plain SGD at lr 20
with gradient clipping 0.25, the learning rate divided by 4 after an epoch whose validation loss did not improve;
batch 20, bptt 35, evaluation batch 10, fp32. `UPSTREAM_DEFAULTS` is main.py run with no flags (2 × 200, untied,
dropout 0.2); `MEDIUM_TIED` is its README's `--emsize 650 --nhid 650 --dropout 0.5 --tied`.

Ours: the stopping rule (`max_seconds` or `max_batches` as well as `epochs`), and evaluations at time horizons
(`horizons_s`): the validation loss read when the training clock first passes each horizon, on a clock that
leaves out every evaluation, theirs at an epoch's end included, so a horizon is time spent training.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
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
    tied: bool = True  # --tied


UPSTREAM_DEFAULTS = ReferenceSettings(size=200, dropout=0.2, tied=False, epochs=40)  # `python main.py`
MEDIUM_TIED = ReferenceSettings(size=650, dropout=0.5, tied=True, epochs=40)  # its README's medium model


@dataclass(frozen=True)
class ReferenceHorizon:
    seconds: float  # training seconds when it was read (evaluations left out)
    epochs: float
    validation_nats_per_char: float


@dataclass(frozen=True)
class ReferenceResult:
    tokens_per_s: float  # training tokens over training time (evaluation excluded)
    validation_loss: float  # nats per token, after the last epoch (or when time ran out)
    validation_nats_per_char: float
    epochs: float
    wall_s: float  # training and evaluation, as its own log would show
    horizons: tuple[ReferenceHorizon, ...] = ()


class ReferenceModel(nn.Module):
    def __init__(self, vocab: int, settings: ReferenceSettings) -> None:
        super().__init__()
        self.drop = nn.Dropout(settings.dropout)
        self.encoder = nn.Embedding(vocab, settings.size)
        self.rnn = nn.LSTM(settings.size, settings.size, settings.layers, dropout=settings.dropout)
        self.decoder = nn.Linear(settings.size, vocab)
        if settings.tied:
            self.decoder.weight = self.encoder.weight
        nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)
        if not settings.tied:
            nn.init.uniform_(self.decoder.weight, -0.1, 0.1)

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


def train_reference(
    data: PreparedData,
    device: torch.device,
    settings: ReferenceSettings,
    horizons_s: Sequence[float] = (),
    clock: Callable[[], float] = time.perf_counter,
) -> ReferenceResult:
    """Train and evaluate as its main.py does, with cuDNN at PyTorch's defaults (our Trainer turns autotuning on)."""
    with torch.backends.cudnn.flags(enabled=True, benchmark=False, deterministic=False, allow_tf32=True):
        return run_reference(data, device, settings, sorted(horizons_s), clock)


class TrainingClock:
    """Seconds spent training: `pause()` before an evaluation and `resume()` after it leave it out."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock, self.spent, self.since = clock, 0.0, clock()

    def seconds(self) -> float:
        return self.spent + self.clock() - self.since

    def pause(self) -> None:
        self.spent = self.seconds()

    def resume(self) -> None:
        self.since = self.clock()


def run_reference(
    data: PreparedData,
    device: torch.device,
    settings: ReferenceSettings,
    horizons: list[float],
    clock: Callable[[], float],
) -> ReferenceResult:
    started = time.perf_counter()
    torch.manual_seed(settings.seed)
    train = batchify(data.train_stream, settings.batch_size, device)
    validation = batchify(data.validation_stream, EVALUATION_BATCH, device)
    model = ReferenceModel(data.tokenizer.vocab_size, settings).to(device)
    per_char = validation.numel() / data.validation_characters
    learning_rate, best, tokens = settings.learning_rate, None, 0
    validation_loss, epochs_done = math.inf, 0.0
    batches_per_epoch = len(range(0, train.shape[0] - 1, settings.bptt))
    out_of_budget, batches = False, 0
    training_clock = TrainingClock(clock)
    readings: list[ReferenceHorizon] = []

    def evaluate_now() -> float:
        training_clock.pause()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        loss = evaluate(model, validation, settings.bptt)
        training_clock.resume()
        return loss

    for epoch in range(settings.epochs):
        model.train()
        hidden = initial_hidden(model, settings.batch_size)
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
            passed = [horizon for horizon in horizons[len(readings) :] if training_clock.seconds() >= horizon]
            if passed:
                seconds, epochs_now = training_clock.seconds(), epoch + (number + 1) / batches_per_epoch
                reading = evaluate_now() * per_char
                readings.extend(ReferenceHorizon(seconds, round(epochs_now, 3), reading) for _ in passed)
                model.train()
            if (
                (settings.max_seconds is not None and time.perf_counter() - started >= settings.max_seconds)
                or (settings.max_batches is not None and batches >= settings.max_batches)
                or (horizons and len(readings) == len(horizons))
            ):
                out_of_budget = True
                epochs_done += (number + 1) / batches_per_epoch
                break
        else:
            epochs_done += 1
        validation_loss = evaluate_now()
        if best is None or validation_loss < best:
            best = validation_loss
        else:
            learning_rate /= 4.0
        if out_of_budget:
            break
    train_seconds = training_clock.seconds()
    for _ in horizons[len(readings) :]:  # the epochs ran out first: the end is the reading
        readings.append(ReferenceHorizon(train_seconds, round(epochs_done, 3), validation_loss * per_char))
    return ReferenceResult(
        tokens_per_s=tokens / max(train_seconds, 1e-9),
        validation_loss=validation_loss,
        validation_nats_per_char=validation_loss * per_char,
        epochs=round(epochs_done, 3),
        wall_s=time.perf_counter() - started,
        horizons=tuple(readings),
    )
