"""Folds a run's typed events into the figures a display shows: the CLI's Rich view, `poet checkpoints show`,
and the app's Train and Checkpoints panes — one fold for all of them."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, assert_never

from poet_tui.config import TrainingConfig
from poet_tui.event_types import (
    CheckpointEvent,
    DoneEvent,
    ErrorEvent,
    EvalEvent,
    Event,
    NoticeEvent,
    SampleEvent,
    StartEvent,
    StepEvent,
    typed_events,
)
from poet_tui.formatting import human_count
from poet_tui.forms import describe_shares, dominant_forms
from poet_tui.schedule import training_progress

MEMORY_HISTORY = 240  # step reports kept for a memory sparkline

if TYPE_CHECKING:
    from poet_tui.runs import Run


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
    threads: int | None = None  # CPU threads of the last step report; None on a GPU
    elapsed_s: float = 0.0
    memory: dict[str, int] = field(default_factory=dict)
    memory_history: list[dict[str, int]] = field(default_factory=list)  # the last MEMORY_HISTORY step reports'
    sample: str = ""
    sample_step: int | None = None
    status: str = "starting"
    stepped: bool = False  # a step was reported since the last start event: the session is really training
    resumed_from_step: int | None = None  # the step the last session resumed from (None: a new run)
    done_reason: str | None = None
    error: str | None = None
    train_points: list[tuple[int, float]] = field(default_factory=list)
    val_points: list[tuple[int, float]] = field(default_factory=list)
    forms: dict[str, float] = field(default_factory=dict)  # share of the training poems in each known form
    form_adherence: float | None = None  # the last evaluation's; None when the corpus has no dominant form
    adherence_points: list[tuple[int, float]] = field(default_factory=list)
    novelty: float | None = None  # the last evaluation's sample's; None when it was not measured
    novelty_points: list[tuple[int, float]] = field(default_factory=list)
    evaluations: list[EvalEvent] = field(default_factory=list)  # every one, also those a rollback undid
    checkpoints: list[CheckpointEvent] = field(default_factory=list)
    notices: list[NoticeEvent] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> RunProgress:
        progress = cls()
        for event in events:
            progress.apply(event)
        return progress

    @classmethod
    def from_run(cls, run: Run) -> RunProgress:
        """Everything a run's log says, folded; its status from its lock and its last session's goodbye.
        Raises PoetError only when the log cannot be opened safely (a link in its place)."""
        events = run.events()
        progress = cls.from_events(typed_events(events))
        progress.status = run.status(events)
        return progress

    def apply(self, event: Event) -> None:
        match event:
            case StartEvent():
                config = event.run_config
                self.run = event.run
                self.training = config.training if config is not None else None
                self.device = event.device
                self.params = event.params
                self.config = event.config
                self.forms = event.forms
                self.status = "training"
                self.stepped = False
                self.resumed_from_step = event.resumed_from_step
                self.tokens_per_s = None  # the last session's speed is not this one's
                self.threads = None
                self.done_reason = None  # a new session: the last one's goodbye no longer applies
                self.error = None
            case StepEvent():
                self.forget_points_from(event.step)
                self.step = event.step
                self.epoch = event.epoch
                self.tokens = event.tokens
                self.train_loss = event.loss
                self.tokens_per_s = event.tokens_per_s
                self.threads = event.threads
                if event.elapsed_s is not None:
                    self.elapsed_s = event.elapsed_s
                self.memory = event.mem
                self.stepped = True
                if event.mem:
                    self.memory_history = [*self.memory_history[-(MEMORY_HISTORY - 1) :], event.mem]
                if event.loss is not None:
                    self.train_points.append((event.step, event.loss))
            case EvalEvent():
                self.val_loss = event.val_loss
                self.val_bpc = event.val_bpc
                self.val_points.append((event.step, event.val_loss))
                self.evaluations.append(event)
                if event.form_adherence is not None:
                    self.form_adherence = event.form_adherence
                    self.adherence_points.append((event.step, event.form_adherence))
                if event.novelty is not None:
                    self.novelty = event.novelty
                    self.novelty_points.append((event.step, event.novelty))
                if self.best_val_loss is None or event.val_loss < self.best_val_loss:
                    self.best_val_loss = event.val_loss
            case SampleEvent():
                self.sample = event.text
                self.sample_step = event.step
            case CheckpointEvent():
                self.checkpoints.append(event)
            case DoneEvent():
                self.status = "stopped" if event.reason == "stopped" else "done"
                self.done_reason = event.reason
                self.step = event.step
            case NoticeEvent():
                self.notices.append(event)
            case ErrorEvent():
                self.status = "failed"
                self.error = event.message
            case _:
                assert_never(event)

    def forget_points_from(self, step: int) -> None:
        """A step at or before the last one plotted: the run went back (a NaN rollback, or a resume after a
        kill), so the curve keeps only the path it goes on from."""
        if self.train_points and step <= self.train_points[-1][0]:
            self.train_points = [point for point in self.train_points if point[0] < step]
            self.val_points = [point for point in self.val_points if point[0] < step]
            self.adherence_points = [point for point in self.adherence_points if point[0] < step]
            self.novelty_points = [point for point in self.novelty_points if point[0] < step]

    @property
    def best_evaluation(self) -> EvalEvent | None:
        """The evaluation with the lowest validation loss (its step and bits/char), None before one."""
        return min(self.evaluations, key=lambda evaluation: evaluation.val_loss, default=None)

    @property
    def bits_per_nat(self) -> float | None:
        """Bits/char per nat/token, from the last evaluation that reported both (it depends on the corpus and
        the tokenizer: about 1/ln 2 for characters, more for words)."""
        for evaluation in reversed(self.evaluations):
            if evaluation.val_bpc is not None and evaluation.val_loss > 0:
                return evaluation.val_bpc / evaluation.val_loss
        return None

    @property
    def recovery_steps(self) -> list[int]:
        """The steps where training recovered from something (for marks on a loss plot), each once."""
        return sorted({notice.step for notice in self.notices if notice.step is not None and notice.is_recovery})

    @property
    def fraction(self) -> float | None:
        """How far through its budget the run is, from the config in its start event."""
        if self.training is None:
            return None
        return training_progress(self.training, self.step, self.epoch, self.elapsed_s)

    @property
    def dominant_forms(self) -> list[str]:
        """The forms form adherence is measured against (each holds at least a tenth of the training poems)."""
        return dominant_forms(self.forms)

    def speed_text(self) -> str:
        """ "12.3k tokens/s", with the CPU threads when known ("12.3k tokens/s on 1 thread")."""
        speed = f"{human_count(self.tokens_per_s)} tokens/s"
        if self.threads is None:
            return speed
        return f"{speed} on {self.threads} thread" + ("" if self.threads == 1 else "s")

    def forms_summary(self, most: int = 4) -> str:
        """`wulv 27% · qijue 19% · …`: the corpus's forms, largest first; "" when no poem is in a known form."""
        if not self.forms:
            return ""
        shown = describe_shares(dict(list(self.forms.items())[:most]))
        return shown + (" · …" if len(self.forms) > most else "")

    def adherence_summary(self) -> str:
        """`38% (wulv, qijue) at step 1,200`: the last form adherence; "" before one is measured."""
        if self.form_adherence is None:
            return ""
        forms = f" ({', '.join(self.dominant_forms)})" if self.dominant_forms else ""
        step = f" at step {self.adherence_points[-1][0]:,}" if self.adherence_points else ""
        return f"{self.form_adherence:.0%}{forms}{step}"

    def novelty_summary(self) -> str:
        """`83% at step 1,200`: the last sample's novelty; "" before one is measured."""
        if self.novelty is None:
            return ""
        step = f" at step {self.novelty_points[-1][0]:,}" if self.novelty_points else ""
        return f"{self.novelty:.0%}{step}"

    def eta_seconds(self) -> float | None:
        fraction = self.fraction
        if not fraction or self.elapsed_s <= 0:
            return None
        return self.elapsed_s * (1 - fraction) / fraction
