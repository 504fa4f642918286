"""What each event line means: one small frozen dataclass per kind, checked field by field when it is read.

Writers still build plain dicts (`EventLog.emit`); every reader turns a line into one of these first, so a
damaged, forged or foreign line is refused here, once, and the readers `match` on the kind with nothing left
to check. The JSON on disk is the design card's: `"event"` first, unknown fields ignored, optional ones absent.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, ClassVar, Self

from poet_tui.errors import PoetError
from poet_tui.schemas import (
    Invalid,
    boolean,
    fail,
    integer,
    lenient_form_shares,
    mapping,
    number,
    optional_number,
    text,
)

if TYPE_CHECKING:
    from poet_tui.config import RunConfig

Checker = Callable[[Any, str], Any]


def whole(value: Any, name: str) -> int:
    return integer(value, name)


def optional_whole(value: Any, name: str) -> int | None:
    return None if value is None else integer(value, name)


def positive_number(value: Any, name: str) -> float:
    return number(value, name, 0.0)


def optional_positive_number(value: Any, name: str) -> float | None:
    return optional_number(value, name, 0.0)


def optional_share(value: Any, name: str) -> float | None:
    return optional_number(value, name, 0.0, 1.0)


def lenient_share(value: Any, name: str) -> float | None:
    """A share in 0..1, or None when damaged: a quality figure lost, never the evaluation that carries it."""
    try:
        return optional_share(value, name)
    except Invalid:
        return None


def corpus_forms(value: Any, name: str) -> dict[str, float]:
    """The corpus's `{form: share}` (schemas.form_shares_map); empty, as if absent, when damaged."""
    return lenient_form_shares(value, name) or {}


def short_text(value: Any, name: str) -> str:
    return text(value, name, max_length=100)


def sample_text(value: Any, name: str) -> str:
    return text(value, name, max_length=1_000_000)


def memory_counters(value: Any, name: str) -> dict[str, int]:
    """Bytes per counter (`rss`, `gpu_allocated`, ...): whole numbers only."""
    memory = mapping(value, name)
    if len(memory) > 32:
        fail(f"{name} has {len(memory)} counters")
    return {key: integer(amount, f"{name}.{key}") for key, amount in memory.items()}


class EventFields:
    """Parsing shared by every kind: required fields first, then each present field through its checker."""

    event: ClassVar[str]
    REQUIRED: ClassVar[tuple[str, ...]] = ()
    CHECKS: ClassVar[dict[str, Checker]] = {}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        for key in cls.REQUIRED:
            if key not in data:
                fail(f"a {cls.event} event has no {key}")
        values = {key: check(data[key], f"{cls.event}.{key}") for key, check in cls.CHECKS.items() if key in data}
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        """The line's object: `"event"` first, fields that are None left out (readers treat absent as None)."""
        values = {item.name: getattr(self, item.name) for item in fields(self)}  # type: ignore[arg-type]
        return {"event": self.event, **{key: value for key, value in values.items() if value is not None}}


@dataclass(frozen=True)
class StartEvent(EventFields):
    """A training session began (a new run or a resume): which run, where, and its whole config."""

    event: ClassVar[str] = "start"
    REQUIRED: ClassVar[tuple[str, ...]] = ("run",)
    CHECKS: ClassVar[dict[str, Checker]] = {
        "run": short_text,
        "time": short_text,
        "device": short_text,
        "params": whole,
        "config": mapping,
        "resumed_from_step": optional_whole,
        "forms": corpus_forms,
    }
    run: str
    time: str | None = None
    device: str = ""
    params: int = 0
    config: dict[str, Any] = field(default_factory=dict)
    resumed_from_step: int | None = None
    forms: dict[str, float] = field(default_factory=dict)  # share of the training poems in each known form

    @functools.cached_property
    def run_config(self) -> RunConfig | None:
        """The config as a checked RunConfig, or None when it is missing or does not validate (an old or
        damaged log still shows its losses; only the budget fraction and the form's settings are lost)."""
        from poet_tui.config import RunConfig

        if not self.config:
            return None
        try:
            config = RunConfig.from_dict(self.config)
            config.validate()
        except (PoetError, KeyError, TypeError, ValueError):
            return None
        return config


@dataclass(frozen=True)
class StepEvent(EventFields):
    """Training progress at a log interval: the mean loss since the last one, speed, memory and CPU threads."""

    event: ClassVar[str] = "step"
    REQUIRED: ClassVar[tuple[str, ...]] = ("step",)
    CHECKS: ClassVar[dict[str, Checker]] = {
        "step": whole,
        "epoch": positive_number,
        "tokens": whole,
        "loss": optional_number,
        "lr": optional_number,
        "tokens_per_s": optional_positive_number,
        "elapsed_s": optional_positive_number,
        "mem": memory_counters,
        "threads": optional_whole,
    }
    step: int
    epoch: float = 0.0
    tokens: int = 0
    loss: float | None = None
    lr: float | None = None
    tokens_per_s: float | None = None
    elapsed_s: float | None = None
    mem: dict[str, int] = field(default_factory=dict)
    threads: int | None = None  # CPU threads the step ran with (cpu_threads.py); absent on a GPU


@dataclass(frozen=True)
class EvalEvent(EventFields):
    """A validation pass: loss per token (nats), perplexity, bits per character, and whether it is the best;
    when the corpus has dominant forms, the share of unconstrained samples in one of them (form_adherence); and
    the share of the evaluation's sample outside verbatim copies from the training text (novelty)."""

    event: ClassVar[str] = "eval"
    REQUIRED: ClassVar[tuple[str, ...]] = ("step", "val_loss")
    CHECKS: ClassVar[dict[str, Checker]] = {
        "step": whole,
        "val_loss": positive_number,
        "val_ppl": optional_positive_number,
        "val_bpc": optional_positive_number,
        "best": boolean,
        "form_adherence": lenient_share,
        "novelty": lenient_share,
    }
    step: int
    val_loss: float
    val_ppl: float | None = None
    val_bpc: float | None = None
    best: bool = False
    form_adherence: float | None = None
    novelty: float | None = None


@dataclass(frozen=True)
class SampleEvent(EventFields):
    """A short text the model wrote at an evaluation, and its novelty (the share of its characters outside
    verbatim copies from the training text; read leniently, like the eval event's)."""

    event: ClassVar[str] = "sample"
    REQUIRED: ClassVar[tuple[str, ...]] = ("step", "text")
    CHECKS: ClassVar[dict[str, Checker]] = {"step": whole, "text": sample_text, "novelty": lenient_share}
    step: int
    text: str
    novelty: float | None = None


@dataclass(frozen=True)
class CheckpointEvent(EventFields):
    """A checkpoint was written: `latest`, `best` or `periodic`."""

    event: ClassVar[str] = "checkpoint"
    REQUIRED: ClassVar[tuple[str, ...]] = ("step",)
    CHECKS: ClassVar[dict[str, Checker]] = {"step": whole, "kind": short_text, "path": text}
    step: int
    kind: str = ""
    path: str = ""


@dataclass(frozen=True)
class DoneEvent(EventFields):
    """The session ended as planned: a budget ran out, early stopping, or the user stopped it."""

    event: ClassVar[str] = "done"
    REQUIRED: ClassVar[tuple[str, ...]] = ("step",)
    CHECKS: ClassVar[dict[str, Checker]] = {
        "step": whole,
        "reason": short_text,
        "best_val_loss": optional_positive_number,
    }
    step: int
    reason: str = ""
    best_val_loss: float | None = None


NOTICE_TITLES = {
    "nan_rollback": "Loss was NaN: rolled back",
    "out_of_memory": "Out of memory: batch halved",
    "batch_size": "Batch size chosen",
}


@dataclass(frozen=True)
class NoticeEvent(EventFields):
    """A recovery that let training go on (NaN rollback, out-of-memory halving) or a choice made for the user."""

    event: ClassVar[str] = "notice"
    REQUIRED: ClassVar[tuple[str, ...]] = ("message",)
    CHECKS: ClassVar[dict[str, Checker]] = {
        "step": optional_whole,
        "kind": short_text,
        "message": text,
        "batch_size": optional_whole,
    }
    message: str
    kind: str = ""
    step: int | None = None  # absent for the batch size chosen before training starts
    batch_size: int | None = None

    @property
    def title(self) -> str:
        return NOTICE_TITLES.get(self.kind, "Notice")

    @property
    def is_recovery(self) -> bool:
        """Something went wrong and training went on (a choice made before training is not one)."""
        return self.kind != "batch_size"

    def line(self) -> str:
        """One line for a log or a toast: where it happened, then what."""
        where = "before training" if self.step is None else f"step {self.step}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class ErrorEvent(EventFields):
    """The session failed: one sentence a user can act on."""

    event: ClassVar[str] = "error"
    REQUIRED: ClassVar[tuple[str, ...]] = ("message",)
    CHECKS: ClassVar[dict[str, Checker]] = {"message": text}
    message: str


Event = StartEvent | StepEvent | EvalEvent | SampleEvent | CheckpointEvent | DoneEvent | NoticeEvent | ErrorEvent
EVENT_KINDS: dict[str, type[Event]] = {
    kind.event: kind
    for kind in (StartEvent, StepEvent, EvalEvent, SampleEvent, CheckpointEvent, DoneEvent, NoticeEvent, ErrorEvent)
}


def parse_event(data: Any) -> Event:
    """The typed event of one decoded line; raises Invalid (a short reason) for anything else."""
    data = mapping(data, "the event")
    kind = text(data.get("event"), "event", max_length=40)
    event_class = EVENT_KINDS.get(kind)
    if event_class is None:
        fail(f"'{kind[:40]}' is not an event kind poet-tui knows")
    try:
        return event_class.from_json(data)
    except TypeError as error:  # a required field the checks let through as absent: never, but never a traceback
        raise Invalid(str(error)) from None


def typed_event(data: Any) -> Event | None:
    """`parse_event`, with None for a line to skip."""
    try:
        return parse_event(data)
    except Invalid:
        return None


def typed_events(events: Iterable[Any]) -> list[Event]:
    """The readable events among decoded lines (old logs, a child's stdout), in order."""
    return [event for data in events if (event := typed_event(data)) is not None]
