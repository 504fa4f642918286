"""A run's event history as numbers: the rows `poet metrics` prints as a table or CSV, and the curves it writes to
TensorBoard. Torch-free; it reads only typed events (event_types.py), so every value here has been checked.

CSV cells are numbers this module formats itself (plus the event kind, a fixed word): nothing a file holds as
text reaches a cell, so a hostile `metrics.jsonl` cannot plant a spreadsheet formula (`=…`, `+…`, `@…`)."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TextIO

from poet_tui.event_types import EvalEvent, Event, SampleEvent, StartEvent, StepEvent

# Every column --csv can write, in the order it writes them; only those some row fills are written.
CSV_COLUMNS = (
    "event",
    "step",
    "epoch",
    "tokens",
    "loss",
    "lr",
    "tokens_per_s",
    "elapsed_s",
    "mem_rss",
    "mem_gpu_allocated",
    "mem_gpu_reserved",
    "mem_gpu_peak",
    "val_loss",
    "val_ppl",
    "val_bpc",
    "best",
    "form_adherence",
    "novelty",
)
ROW_KINDS = ("step", "eval")  # the events that carry figures; the rest are text or bookkeeping
MEMORY_COUNTERS = ("rss", "gpu_allocated", "gpu_reserved", "gpu_peak")  # the design card's; others are not columns

Cell = int | float


def metric_row(event: Event) -> dict[str, Cell | str] | None:
    """One CSV row of a step or eval event (absent figures left out), None for any other kind."""
    row: dict[str, Cell | str | None]
    match event:
        case StepEvent():
            row = {
                "event": "step",
                "step": event.step,
                "epoch": event.epoch,
                "tokens": event.tokens,
                "loss": event.loss,
                "lr": event.lr,
                "tokens_per_s": event.tokens_per_s,
                "elapsed_s": event.elapsed_s,
            }
            row.update({f"mem_{name}": event.mem.get(name) for name in MEMORY_COUNTERS})
        case EvalEvent():
            row = {
                "event": "eval",
                "step": event.step,
                "val_loss": event.val_loss,
                "val_ppl": event.val_ppl,
                "val_bpc": event.val_bpc,
                "best": int(event.best),
                "form_adherence": event.form_adherence,
                "novelty": event.novelty,
            }
        case _:
            return None
    return {key: value for key, value in row.items() if value is not None}


def number_cell(value: Cell | str) -> str:
    """A figure as CSV text: whole numbers as they are, others in the shortest form that reads back exactly."""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""  # checked events are finite; never write "nan"
    return str(value)


def metric_rows(events: Iterable[Event], kinds: Sequence[str] = ROW_KINDS) -> list[dict[str, Cell | str]]:
    return [row for event in events if (row := metric_row(event)) is not None and row["event"] in kinds]


def write_csv(events: Iterable[Event], stream: TextIO, kinds: Sequence[str] = ROW_KINDS) -> int:
    """A header of the columns some row fills (in CSV_COLUMNS' order), then one row per event; the row count."""
    rows = metric_rows(events, kinds)
    present = {key for row in rows for key in row}
    columns = [column for column in CSV_COLUMNS if column in present or column in ("event", "step")]
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([number_cell(row[column]) if column in row else "" for column in columns])
    return len(rows)


# ----- the evaluations table -----
@dataclass(frozen=True)
class EvaluationRow:
    step: int
    train_loss: float | None  # the last training loss logged at or before the evaluation's step
    val_loss: float
    val_bpc: float | None
    best: bool
    form_adherence: float | None
    novelty: float | None


def evaluation_rows(events: Iterable[Event]) -> list[EvaluationRow]:
    """Every evaluation in the order the log has them (a rolled-back one too), each with the training loss
    logged nearest before it."""
    rows = []
    last_step: StepEvent | None = None
    for event in events:
        if isinstance(event, StepEvent):
            last_step = event
        elif isinstance(event, EvalEvent):
            near = last_step if last_step is not None and last_step.step <= event.step else None
            rows.append(
                EvaluationRow(
                    event.step,
                    None if near is None else near.loss,
                    event.val_loss,
                    event.val_bpc,
                    event.best,
                    event.form_adherence,
                    event.novelty,
                )
            )
    return rows


# ----- curves for TensorBoard -----
# tag → how the scalar is named in TensorBoard (the part before "/" groups its cards)
SCALAR_TAGS = {
    "train_loss": "loss/train_nats_per_token",
    "val_loss": "loss/val_nats_per_token",
    "val_bpc": "bits_per_char/val",
    "lr": "train/learning_rate",
    "tokens_per_s": "train/tokens_per_s",
    "form_adherence": "quality/form_adherence",
    "novelty": "quality/novelty",
}


@dataclass(frozen=True)
class Point:
    step: int
    value: float
    wall_time: float | None  # seconds since the epoch, when the log says when it happened


@dataclass(frozen=True)
class SampleText:
    step: int
    text: str
    wall_time: float | None


@dataclass
class Curves:
    """What training went on from: a step at or before the last one logged (a NaN rollback, a resume after a
    kill) drops every later point, as the Train pane's plot does, so no curve zigzags back on itself."""

    scalars: dict[str, list[Point]] = field(default_factory=lambda: {tag: [] for tag in SCALAR_TAGS.values()})
    samples: list[SampleText] = field(default_factory=list)
    started: float | None = None  # the first session's start, as seconds since the epoch
    elapsed_s: float | None = None

    def wall_time(self) -> float | None:
        return None if self.started is None or self.elapsed_s is None else self.started + self.elapsed_s

    def add(self, name: str, step: int, value: float | None) -> None:
        if value is not None:
            self.scalars[SCALAR_TAGS[name]].append(Point(step, value, self.wall_time()))

    def forget_from(self, step: int) -> None:
        for tag, points in self.scalars.items():
            self.scalars[tag] = [point for point in points if point.step < step]
        self.samples = [sample for sample in self.samples if sample.step < step]

    def apply(self, event: Event) -> None:
        match event:
            case StartEvent() if self.started is None:
                self.started = parse_time(event.time)
            case StepEvent():
                train = self.scalars[SCALAR_TAGS["train_loss"]]
                if train and event.step <= train[-1].step:
                    self.forget_from(event.step)
                if event.elapsed_s is not None:
                    self.elapsed_s = event.elapsed_s
                self.add("train_loss", event.step, event.loss)
                self.add("lr", event.step, event.lr)
                self.add("tokens_per_s", event.step, event.tokens_per_s)
            case EvalEvent():
                self.add("val_loss", event.step, event.val_loss)
                self.add("val_bpc", event.step, event.val_bpc)
                self.add("form_adherence", event.step, event.form_adherence)
                self.add("novelty", event.step, event.novelty)
            case SampleEvent():
                self.samples.append(SampleText(event.step, event.text, self.wall_time()))
            case _:
                pass

    @property
    def point_count(self) -> int:
        return sum(len(points) for points in self.scalars.values())


def curves_of(events: Iterable[Event]) -> Curves:
    curves = Curves()
    for event in events:
        curves.apply(event)
    return curves


def parse_time(text: str | None) -> float | None:
    """A start event's `2026-11-23T07:15:45Z` as seconds since the epoch; None for anything else."""
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None
