"""Typed events: every kind round-trips through a line, damaged or unknown lines are skipped, one fold reads
them, and a notice (a real NaN rollback) reaches the CLI's live view and `poet checkpoints show`."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from poet_tui.cli.train_display import TrainingDisplay
from poet_tui.event_types import (
    EVENT_KINDS,
    CheckpointEvent,
    DoneEvent,
    ErrorEvent,
    EvalEvent,
    Event,
    NoticeEvent,
    SampleEvent,
    StartEvent,
    StepEvent,
)
from poet_tui.events import (
    EventLog,
    encode_event,
    parse_event_line,
    parse_typed_event_line,
    read_events,
    read_typed_events,
)
from poet_tui.run_progress import RunProgress
from poet_tui.runs import RunStore
from tests.conftest import tiny_config
from tests.test_cli import TINY_FLAGS, poet

EXAMPLES: dict[str, Event] = {
    "start": StartEvent(
        run="20250101-120000-poems-char",
        time="2025-01-01T12:00:00Z",
        device="cpu",
        params=9000,
        config=tiny_config("poems").to_dict(),
        resumed_from_step=12,
        forms={"quatrain": 0.25, "sonnet": 0.125},
    ),
    "step": StepEvent(
        step=120, epoch=0.4, tokens=614400, loss=1.83, lr=0.002, tokens_per_s=51234.0, elapsed_s=12.1, mem={"rss": 1}
    ),
    "eval": EvalEvent(step=200, val_loss=1.61, val_ppl=5.0, val_bpc=2.32, best=True, form_adherence=0.5, novelty=0.25),
    "sample": SampleEvent(step=200, text="Shall I compare thee…\n", novelty=0.25),
    "checkpoint": CheckpointEvent(step=200, kind="best", path="/tmp/runs/x/checkpoints/best.safetensors"),
    "done": DoneEvent(step=900, reason="max_steps", best_val_loss=1.5),
    "notice": NoticeEvent(step=300, kind="nan_rollback", message="rolled back to step 200", batch_size=None),
    "error": ErrorEvent(message="one sentence a user can act on"),
}


@pytest.mark.parametrize("kind", sorted(EVENT_KINDS))
def test_every_kind_round_trips_through_a_line_with_event_first(kind: str) -> None:
    event = EXAMPLES[kind]
    line = encode_event(event.to_json())
    assert line.startswith(f'{{"event":"{kind}"')
    assert parse_typed_event_line(line) == event
    assert parse_event_line(line) == json.loads(line)


def test_the_registry_names_every_kind_the_design_card_lists() -> None:
    assert set(EVENT_KINDS) == {"start", "step", "eval", "sample", "checkpoint", "done", "notice", "error"}
    assert all(event_class.event == kind for kind, event_class in EVENT_KINDS.items())


def test_old_lines_with_few_fields_still_read() -> None:
    """An old log's lines carry only some optional fields (and unknown ones): the rest take their defaults."""
    step = parse_typed_event_line('{"event":"step","step":5,"loss":1.9,"mem":{"rss":1},"future":[1,2]}')
    assert step == StepEvent(step=5, loss=1.9, mem={"rss": 1})
    notice = parse_typed_event_line('{"event":"notice","kind":"batch_size","batch_size":64,"message":"picked 64"}')
    assert notice == NoticeEvent(message="picked 64", kind="batch_size", batch_size=64)
    assert notice.step is None and notice.line() == "before training: picked 64" and not notice.is_recovery


@pytest.mark.parametrize(
    "line",
    [
        '{"event":"teleport","step":1}',  # a kind poet-tui does not know
        '{"event":"step"}',  # a required field missing
        '{"event":"step","step":"7"}',
        '{"event":"step","step":-1}',
        '{"event":"step","step":true}',
        '{"event":"step","step":3,"loss":NaN}',
        '{"event":"step","step":3,"loss":1e999}',
        '{"event":"step","step":3,"mem":{"rss":"a lot"}}',
        '{"event":"eval","step":3,"val_loss":-1}',
        '{"event":"notice","step":3,"kind":"nan_rollback"}',
        '{"event":"notice","message":["not","text"]}',
        '{"event":"start","config":{}}',
        '{"event":"start","run":"x","config":[]}',
        '{"event":7}',
        '["event","step"]',
        '{"event":"step","step":3',  # torn by a crash
        "[" * 10_000,
        "",
    ],
)
def test_a_damaged_or_unknown_line_is_skipped(line: str) -> None:
    assert parse_typed_event_line(line) is None
    assert parse_event_line(line) is None


def test_a_log_reads_its_good_lines_around_damaged_ones(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    log = EventLog(path)
    log.emit("step", step=1, loss=2.0)
    log.close()
    with open(path, "a", encoding="utf-8") as file:
        file.write('{"event":"eval","step":"x","val_loss":"y"}\n{"event":"mystery"}\n' + "x" * 5_000_000 + "\n")
        file.write(encode_event(EXAMPLES["notice"].to_json()) + "\n" + '{"event":"done","step":2,"rea')
    assert list(read_typed_events(path)) == [StepEvent(step=1, loss=2.0), EXAMPLES["notice"]]
    assert [event["event"] for event in read_events(path)] == ["step", "notice"]


def test_a_start_event_whose_config_does_not_validate_still_folds() -> None:
    """The losses of an old or hand-edited log still show; only the budget fraction is unknown."""
    start = StartEvent(run="r", config={"corpus": "x", "training": {"max_steps": "many"}})
    progress = RunProgress.from_events([start, StepEvent(step=3, loss=1.0)])
    assert start.run_config is None and progress.training is None and progress.fraction is None
    assert progress.train_points == [(3, 1.0)]


def test_the_fold_keeps_notices_and_forgets_the_steps_a_rollback_undid() -> None:
    events: list[Event] = [
        NoticeEvent(kind="batch_size", batch_size=8, message="picked 8"),
        EXAMPLES["start"],
        *(StepEvent(step=step, loss=float(step)) for step in (2, 4, 6)),
        EvalEvent(step=4, val_loss=1.0),
        EvalEvent(step=6, val_loss=9.0),
        NoticeEvent(step=6, kind="nan_rollback", message="rolled back to step 4"),
        StepEvent(step=6, loss=0.5),
    ]
    progress = RunProgress.from_events(events)
    assert [notice.kind for notice in progress.notices] == ["batch_size", "nan_rollback"]
    assert progress.recovery_steps == [6]  # the batch size chosen before training is no recovery to mark
    assert progress.train_points == [(2, 2.0), (4, 4.0), (6, 0.5)]
    assert progress.val_points == [(4, 1.0)]
    assert [evaluation.step for evaluation in progress.evaluations] == [4, 6]  # history keeps both


def test_the_live_view_prints_a_line_per_notice() -> None:
    console = Console(file=io.StringIO(), force_terminal=True, width=200)
    with TrainingDisplay(console) as display:
        assert display.live is not None
        display.show(EXAMPLES["start"].to_json())
        display.show({"event": "notice", "step": 7, "kind": "nan_rollback", "message": "rolled back to step 5"})
        display.show({"event": "notice", "step": "damaged"})  # skipped, never a traceback
    output = console.file.getvalue()  # type: ignore[attr-defined]
    assert "step 7: rolled back to step 5" in output
    assert output.count("rolled back to step 5") >= 2  # the line above the panel, and the panel's own


def test_a_nan_rollback_is_shown_by_the_cli_and_checkpoints_show(tiny_corpus: Path, poet_home: Path) -> None:
    """A real run with an absurd learning rate: its loss overflows to inf/NaN within a few steps, training
    rolls back (and, still diverging, gives up after three rollbacks). Every notice it wrote is shown."""
    result = poet("train", "--corpus", str(tiny_corpus), *TINY_FLAGS, "--lr", "1e6", "--max-steps", "40")
    assert "Traceback" not in result.stderr
    (run,) = RunStore().list()
    notices = [event for event in read_typed_events(run.metrics_path) if isinstance(event, NoticeEvent)]
    assert notices and {notice.kind for notice in notices} == {"nan_rollback"}
    for notice in notices:
        assert notice.line() in result.stderr  # the CLI's view (not a terminal here: one line per event)
    shown = poet("checkpoints", "show", run.id)
    assert shown.returncode == 0, shown.stderr
    assert "Notices" in shown.stdout
    for notice in notices:
        assert f"Loss was NaN: rolled back · {notice.line()}" in shown.stdout
