"""Notices in the app: the Train pane toasts them (a burst is one toast) and marks recoveries on its loss plot;
the Checkpoints pane shows a run's notices and marks from the same fold."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from poet_tui.app.checkpoints_pane import CheckpointsPane
from poet_tui.app.live_widgets import LossPlot
from poet_tui.app.messages import TrainingEvents
from poet_tui.app.run_plot import RunCurvesPlot
from poet_tui.app.train_pane import TrainPane
from poet_tui.event_types import Event, NoticeEvent, StartEvent, StepEvent
from tests.helpers.pilot import RecordingApp, run_app, text_of, wait_until

from .conftest import FIXED_RUN, fixed_config


def warnings(app: RecordingApp) -> list[str]:
    return [message for message, severity in app.notes if severity == "warning"]


def test_the_train_pane_toasts_a_burst_of_notices_once_and_marks_the_plot(poet_home: Path) -> None:
    app = RecordingApp(load_engine=False)

    async def script(pilot: Pilot[Any]) -> None:
        await pilot.press("f3")
        train = app.query_one(TrainPane)
        events: list[Event] = [StartEvent(run="r", device="cpu", config=fixed_config().to_dict())]
        events += [StepEvent(step=step, loss=3.0 - step / 10) for step in range(1, 13)]
        events += [NoticeEvent(step=12, kind="nan_rollback", message="rolled back to step 10")] * 30
        events.append(NoticeEvent(step=15, kind="out_of_memory", message="halved the batch to 2"))
        train.post_message(TrainingEvents(events))
        await wait_until(pilot, lambda: len(app.notes) > 0)
        toasts = warnings(app)
        assert len(toasts) == 1 and "31 notices" in toasts[0] and "step 15: halved the batch to 2" in toasts[0]
        plot = app.query_one("#train-plot", LossPlot)
        await wait_until(pilot, lambda: plot.marked == [12, 15])  # the plot redraws on its own timer
        assert "31 notices" in text_of(app.query_one("#run-stats"))
        # A notice arriving soon after is not lost: it gets a toast of its own once the burst's has had its time.
        train.post_message(TrainingEvents([NoticeEvent(step=20, kind="nan_rollback", message="rolled back to 18")]))
        await wait_until(pilot, lambda: len(warnings(app)) == 2)
        assert warnings(app)[1] == "step 20: rolled back to 18"
        await wait_until(pilot, lambda: plot.marked == [12, 15, 20])

    run_app(app, script)


def test_the_checkpoints_pane_shows_a_runs_notices_and_marks_them(fixed_home: Path) -> None:
    notice = {"event": "notice", "step": 30, "kind": "nan_rollback", "message": "rolled back to step 20"}
    with open(fixed_home / "runs" / FIXED_RUN / "metrics.jsonl", "a", encoding="utf-8") as log:
        log.write(json.dumps(notice) + "\n")
    app = RecordingApp()

    async def script(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: app.engine_ready)
        await pilot.press("f4")
        pane = app.query_one(CheckpointsPane)
        await wait_until(pilot, lambda: pane.detail_run == FIXED_RUN)
        detail = text_of(pane.query_one("#checkpoint-config"))
        assert "Loss was NaN: rolled back · step 30: rolled back to step 20" in detail
        plot = pane.query_one("#checkpoint-plot", RunCurvesPlot)
        await wait_until(pilot, lambda: plot.marked == [30])

    run_app(app, script)
