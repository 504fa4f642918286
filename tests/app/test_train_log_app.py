"""The Train pane when its training child dies without an error event: the last lines of its stderr, and the
train.log in the run folder that keeps all of it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from poet_tui.app.train_pane import TrainPane
from poet_tui.app.training_process import ChildTraining
from poet_tui.runs import Run
from poet_tui.train_log import TRAIN_LOG
from tests.helpers.pilot import RecordingApp, fill, run_app, text_of, wait_until
from tests.test_train_log import CRASHING_CHILD


def test_a_child_that_segfaults_shows_the_end_of_train_log_and_its_path(
    trained_run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRASH_RUN", trained_run.id)
    monkeypatch.setattr(ChildTraining, "command", property(lambda self: [sys.executable, "-c", CRASHING_CHILD]))
    app = RecordingApp()
    log = trained_run.directory / TRAIN_LOG

    async def script(pilot: Pilot[Any]) -> None:
        train = app.query_one(TrainPane)
        await pilot.press("f3")
        await fill(pilot, train, {"corpus": "shakespeare-sonnets"})
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: train.source is None and train.progress.status == "failed")
        await pilot.pause(0.5)  # a refresh of the panes must not paint over it
        shown = text_of(app.query_one("#sample"))
        assert "Fatal Python error: Segmentation fault" in shown and "warning 59" in shown
        assert "warning 0:" not in shown  # the last lines only
        assert f"(all of it is kept in {log})" in shown
        assert any("exited with code -11" in note and str(log) in note for note in app.errors())
        assert app.is_running

    run_app(app, script)
    assert log.read_text(encoding="utf-8").splitlines()[-1] == "Fatal Python error: Segmentation fault"
    assert Path(log).stat().st_size > 0
