"""Messages between the panes, and from workers to the panes (workers never touch widgets)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.message import Message
from textual.worker import Worker, WorkerState

from poet_tui.event_types import Event


class TrainingEvents(Message):
    """Typed events read from a training run (a child's stdout, or a followed `metrics.jsonl`).

    A run can report faster than the screen redraws; queued messages of this kind are merged
    into one, keeping every event in order, so nothing is lost and the pane folds them at once.
    """

    def __init__(self, events: list[Event]) -> None:
        super().__init__()
        self.events = events

    def can_replace(self, message: Message) -> bool:
        # Textual asks the older message whether the newer pending one may supersede it:
        # hand our events to the newer message first, so the merge loses nothing.
        if isinstance(message, TrainingEvents):
            message.events[:0] = self.events
            return True
        return False


class TrainingEnded(Message):
    """The training process exited (or a followed process disappeared)."""

    def __init__(self, exit_code: int | None, stderr_tail: list[str], log_path: Path | None = None) -> None:
        super().__init__()
        self.exit_code = exit_code
        self.stderr_tail = stderr_tail
        self.log_path = log_path  # the run's train.log, where all of its stderr is kept


class CheckpointWritten(Message):
    """A run wrote a checkpoint: the Checkpoints pane is out of date."""


class EngineReady(Message):
    """PyTorch and the engine modules that need it are imported: panes may list runs and load models."""


class GpuStatusChanged(Message):
    """What NVML says about the GPU (None: no NVIDIA GPU or no driver)."""

    def __init__(self, status: Any) -> None:
        super().__init__()
        self.status = status


class CorpusChosen(Message):
    """The user picked a corpus to train on."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name


class OpenInRepl(Message):
    """Load this run or checkpoint into the REPL."""

    def __init__(self, model: str) -> None:
        super().__init__()
        self.model = model


class ResumeRun(Message):
    """Continue training this run (from the Checkpoints pane)."""

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id


class TokensGenerated(Message):
    """A batch of generated text for the exchange being streamed, and its characters' overlap matches (a
    `poet_tui.overlap.Match` each, found in the generating thread; None while there is no overlap index)."""

    def __init__(self, exchange_id: int, text: str, matches: list[Any] | None = None) -> None:
        super().__init__()
        self.exchange_id = exchange_id
        self.text = text
        self.matches = matches


class CompletionFinished(Message):
    """A completion ended: how many tokens, how fast, and why; how many steps its form forced; the sentence of
    a PoetError that ended it (a form the model cannot write, a prompt that breaks it), if one did; and the ids
    of every token it drew."""

    def __init__(
        self,
        exchange_id: int,
        tokens: int,
        tokens_per_second: float,
        reason: str,
        forced_steps: int = 0,
        error: str | None = None,
        token_ids: list[int] | None = None,
    ) -> None:
        super().__init__()
        self.exchange_id = exchange_id
        self.tokens = tokens
        self.tokens_per_second = tokens_per_second
        self.reason = reason
        self.forced_steps = forced_steps
        self.error = error
        self.token_ids = token_ids  # every token the completion drew (the lens scores exactly these)


class WorkerFailed(Message):
    """A pane's worker raised; the app, the one place that reports failures, shows it."""

    def __init__(self, worker: Worker[Any]) -> None:
        super().__init__()
        self.worker = worker


class ForwardWorkerFailures:
    """Mixed into each pane. Worker.StateChanged does not bubble, so a pane passes its failures up as WorkerFailed."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.post_message(WorkerFailed(event.worker))  # type: ignore[attr-defined]
