"""Running the engine's own Trainer for a benchmark case, and measuring memory the same way for every case.

The cases train through `poet_tui.trainer.Trainer` (the loop `poet train` runs), in a throw-away run store, so
the figures are the product's, evaluation, checkpoints and samples included. Only the validation measure can
be swapped: `WindowedEvaluationTrainer` scores nanoGPT's way.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as functional

from poet_tui.bench.texts import window_starts, windowed_loss
from poet_tui.config import RunConfig
from poet_tui.device import device_label, process_rss
from poet_tui.events import EventLog
from poet_tui.runs import Run, RunStore
from poet_tui.train import PreparedData
from poet_tui.trainer import Trainer


@dataclass(frozen=True)
class WindowedValidation:
    windows: int
    length: int = 256
    batch: int = 64
    seed: int = 1337


class WindowedEvaluationTrainer(Trainer):
    """The engine's Trainer, but validation is the mean loss over fixed random windows from a zero state."""

    windowed = WindowedValidation(windows=256)

    def __init__(self, *arguments: Any, **keywords: Any) -> None:
        super().__init__(*arguments, **keywords)
        stream, windowed = self.data.validation_stream, self.windowed
        self.window_starts = window_starts(stream.numel(), windowed.windows, windowed.length, windowed.seed)
        self.validation_tokens = stream.to(self.device, dtype=torch.long)

    def evaluate(self) -> tuple[float, float]:
        windowed = self.windowed
        loss = windowed_loss(
            self.model, self.validation_tokens, self.window_starts, windowed.length, windowed.batch, self.autocast
        )
        return loss, loss / math.log(2)  # char tokens without <eod>: nats per token are nats per character


class ColumnEvaluationTrainer(Trainer):
    """The engine's Trainer, but validation is read as word_language_model's evaluate reads it: the stream cut
    into `columns` parallel columns (batchify), read in bptt-long pieces with the state carried, the mean loss
    over every token scored. Its own yardstick, so ours and theirs are scored by one procedure."""

    columns = 10
    piece = 35

    def __init__(self, *arguments: Any, **keywords: Any) -> None:
        super().__init__(*arguments, **keywords)
        stream = self.data.validation_stream
        rows = stream.numel() // self.columns
        self.column_tokens = stream[: rows * self.columns].to(self.device, torch.long).view(self.columns, rows)

    @torch.no_grad()
    def evaluate(self) -> tuple[float, float]:
        self.model.eval()
        tokens = self.column_tokens
        state = self.model.initial_state(self.columns, self.device)
        total = 0.0
        for start in range(0, tokens.shape[1] - 1, self.piece):
            length = min(self.piece, tokens.shape[1] - 1 - start)
            with self.autocast():
                logits, state = self.model(tokens[:, start : start + length], state)
            targets = tokens[:, start + 1 : start + 1 + length]
            total += float(
                functional.cross_entropy(
                    logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="sum"
                )
            )
        self.model.train()
        loss = total / max(1, tokens.numel())  # its evaluate divides by every token, the unscored first row's too
        nats_per_char = loss * tokens.numel() / self.data.validation_characters  # as reference.py converts
        return loss, nats_per_char / math.log(2)


@dataclass(frozen=True)
class Evaluation:
    seconds: float  # since the case's clock started
    loss: float  # nats per token: what the engine ranks checkpoints by
    nats_per_char: float  # the engine's val_bpc in nats: comparable across tokenizers


@dataclass
class TrainingRecord:
    """What the event stream said, with each evaluation's time since the case started."""

    run: Run
    case_started: float  # time.monotonic() the case's clock counts from
    trainer: Trainer | None = None
    reason: str = ""
    evaluations: list[Evaluation] = field(default_factory=list)
    step_speeds: list[float] = field(default_factory=list)  # tokens/s of each logged interval
    largest_rss: int = 0

    def observe(self, event: dict[str, Any]) -> None:
        if event["event"] == "eval":
            seconds = time.monotonic() - self.case_started
            self.evaluations.append(Evaluation(seconds, float(event["val_loss"]), event["val_bpc"] * math.log(2)))
        elif event["event"] == "step":
            self.step_speeds.append(float(event["tokens_per_s"]))
            self.largest_rss = max(self.largest_rss, int(event.get("mem", {}).get("rss", 0)))

    def best(self) -> Evaluation | None:
        """The best evaluation, the earliest of equals."""
        return min(self.evaluations, key=lambda item: (item.loss, item.seconds), default=None)

    def steady_tokens_per_s(self) -> float | None:
        """The median logged speed, leaving out the first interval (warm-up)."""
        speeds = self.step_speeds[1:] or self.step_speeds
        return statistics.median(speeds) if speeds else None

    def kept_best_loss(self) -> float | None:
        """The validation loss the run's `best` checkpoint vouches for."""
        files = self.run.checkpoint("best")
        if files is None:
            return None
        return json.loads(files.metadata.read_text(encoding="utf-8")).get("val_loss")


def train_with_engine(
    config: RunConfig,
    data: PreparedData,
    home: Path,
    case_started: float,
    trainer_class: type[Trainer] = Trainer,
) -> TrainingRecord:
    """Create a run under `home` and train it with the engine's loop; `case_started` is a time.monotonic()."""
    config.validate()
    config.model.vocab_size = data.tokenizer.vocab_size
    run, lock = RunStore(home / "runs").create(config, data.corpus.name)
    record = TrainingRecord(run, case_started)
    events = EventLog(record.run.metrics_path, record.observe)
    try:
        record.trainer = trainer_class(config, record.run, data, events, lambda: False, case_started)
        record.reason = record.trainer.run_loop()
    finally:
        events.close()
        lock.release()
    return record


def describe_device(device: torch.device) -> dict[str, Any]:
    """Which machine the figures come from: GPU name, or CPU threads."""
    info: dict[str, Any] = {"device": device_label(device), "torch": torch.__version__}
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    else:
        info["cpu_threads"] = torch.get_num_threads()
    return info


@dataclass
class MemoryMeter:
    """Peak memory of one case: torch's peak allocation on CUDA, the largest resident set seen on the CPU."""

    device: torch.device
    largest_rss: int = 0

    @classmethod
    def start(cls, device: torch.device) -> MemoryMeter:
        """Reset torch's peak counter, so the peak is this case's own."""
        if device.type == "cuda":
            torch.cuda.synchronize(device)
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats(device)
        meter = cls(device)
        meter.note_rss(process_rss())
        return meter

    def note_rss(self, rss: int) -> None:
        self.largest_rss = max(self.largest_rss, rss)

    def result(self) -> dict[str, Any]:
        if self.device.type == "cuda":
            return {"peak_memory_bytes": int(torch.cuda.max_memory_allocated(self.device)), "peak_memory_kind": "cuda"}
        self.note_rss(process_rss())
        return {"peak_memory_bytes": self.largest_rss or None, "peak_memory_kind": "cpu_rss"}
