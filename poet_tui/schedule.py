"""Learning-rate schedules as pure functions of progress, so resuming needs only counters, not objects."""

from __future__ import annotations

import math
from dataclasses import dataclass

from poet_tui.config import TrainingConfig


def training_progress(config: TrainingConfig, step: int, epoch: float, elapsed_seconds: float) -> float:
    """How far through its budget the run is, 0..1: the furthest of steps, epochs and minutes."""
    fractions = [0.0]
    if config.max_steps:
        fractions.append(step / config.max_steps)
    if config.epochs:
        fractions.append(epoch / config.epochs)
    if config.max_minutes:
        fractions.append(elapsed_seconds / (config.max_minutes * 60.0))
    return min(1.0, max(fractions))


@dataclass
class PlateauState:
    """Reduce-on-plateau: halve the rate after `patience` evaluations without a new best."""

    factor: float = 1.0
    bad_evaluations: int = 0
    patience: int = 2

    def observe(self, improved: bool) -> None:
        if improved:
            self.bad_evaluations = 0
            return
        self.bad_evaluations += 1
        if self.bad_evaluations >= self.patience:
            self.factor *= 0.5
            self.bad_evaluations = 0


def learning_rate(config: TrainingConfig, step: int, progress: float, plateau: PlateauState) -> float:
    """Linear warmup, then cosine to `min_lr_ratio`, the plateau factor, or constant."""
    base = config.learning_rate
    if config.warmup_steps and step < config.warmup_steps:
        return base * (step + 1) / config.warmup_steps
    if config.schedule == "cosine":
        ratio = config.min_lr_ratio
        return base * (ratio + (1.0 - ratio) * 0.5 * (1.0 + math.cos(math.pi * progress)))
    if config.schedule == "plateau":
        return base * plateau.factor
    return base
