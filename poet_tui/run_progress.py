"""Folds a run's event stream into the figures a display shows (the CLI's Rich view and the app's Train pane)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from poet_tui.config import RunConfig, TrainingConfig
from poet_tui.schedule import training_progress


@dataclass
class RunProgress:
    run: str = ""
    device: str = ""
    params: int = 0
    config: dict[str, Any] = field(default_factory=dict)
    training: TrainingConfig | None = None  # parsed from `config` once, for the budget fraction and ETA
    step: int = 0
    epoch: float = 0.0
    tokens: int = 0
    train_loss: float | None = None
    val_loss: float | None = None
    val_bpc: float | None = None
    best_val_loss: float | None = None
    tokens_per_s: float | None = None
    elapsed_s: float = 0.0
    memory: dict[str, int] = field(default_factory=dict)
    sample: str = ""
    status: str = "starting"
    done_reason: str | None = None
    error: str | None = None
    train_points: list[tuple[int, float]] = field(default_factory=list)
    val_points: list[tuple[int, float]] = field(default_factory=list)
    checkpoints: list[dict[str, Any]] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def apply(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "start":
            self.run = event.get("run", "")
            self.training = RunConfig.from_dict(event["config"]).training if event.get("config") else None
            self.device = event.get("device", "")
            self.params = event.get("params", 0)
            self.config = event.get("config", {})
            self.status = "training"
        elif kind == "step":
            self.step = event["step"]
            self.epoch = event.get("epoch", 0.0)
            self.tokens = event.get("tokens", 0)
            self.train_loss = event.get("loss")
            self.tokens_per_s = event.get("tokens_per_s")
            self.elapsed_s = event.get("elapsed_s", self.elapsed_s)
            self.memory = event.get("mem", {})
            if self.train_loss is not None:
                self.train_points.append((self.step, self.train_loss))
        elif kind == "eval":
            self.val_loss = event["val_loss"]
            self.val_bpc = event.get("val_bpc")
            self.val_points.append((event["step"], event["val_loss"]))
            if self.best_val_loss is None or self.val_loss < self.best_val_loss:
                self.best_val_loss = self.val_loss
        elif kind == "sample":
            self.sample = event.get("text", "")
        elif kind == "checkpoint":
            self.checkpoints.append(event)
        elif kind == "done":
            self.status = "stopped" if event.get("reason") == "stopped" else "done"
            self.done_reason = event.get("reason")
            self.step = event.get("step", self.step)
        elif kind == "error":
            self.status = "failed"
            self.error = event.get("message")

    @property
    def fraction(self) -> float | None:
        """How far through its budget the run is, from the config in its start event."""
        if self.training is None:
            return None
        return training_progress(self.training, self.step, self.epoch, self.elapsed_s)

    def eta_seconds(self) -> float | None:
        fraction = self.fraction
        if not fraction or self.elapsed_s <= 0:
            return None
        return self.elapsed_s * (1 - fraction) / fraction
