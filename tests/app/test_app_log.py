"""The app's log: what a toast said (a warning, an error) can be read again in $POET_HOME/logs/app.log, and an
unexpected failure leaves its traceback there, with the toast naming the file. A log that cannot be written
(a link planted in its place) is never written through and never stops the app."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from poet_tui.app.app_log import app_log_path
from poet_tui.app.background import ThreadFailed
from poet_tui.errors import PoetError
from tests.helpers.pilot import RecordingApp, run_app


def failing_deep_inside() -> None:
    raise ValueError("the tensor had the wrong shape")


def test_an_unexpected_failure_leaves_its_traceback_and_the_toast_names_the_log(poet_home: Path) -> None:
    app = RecordingApp(load_engine=False)

    async def script(pilot: Pilot[Any]) -> None:
        try:
            failing_deep_inside()
        except ValueError as error:
            app.post_message(ThreadFailed("loading the model", error))
        app.post_message(ThreadFailed("reading the corpus", PoetError("corpus 'x' is empty; add poems to it.")))
        await pilot.pause()
        await pilot.pause()

    run_app(app, script)
    log = app_log_path()
    assert log.parent == poet_home / "logs"
    text = log.read_text(encoding="utf-8")
    assert "error: loading the model failed" in text
    assert "Traceback" in text and "failing_deep_inside" in text and "wrong shape" in text
    assert "corpus 'x' is empty; add poems to it." in text  # what a toast said, kept
    assert text.count("loading the model failed") == 1  # the unexpected error once, not once more as a toast
    unexpected = next(message for message in app.errors() if "wrong shape" in message)
    assert str(log) in unexpected
    assert all(str(log) not in message for message in app.errors() if "empty" in message)  # a sentence is enough


def test_nothing_is_written_when_nothing_went_wrong(poet_home: Path) -> None:
    app = RecordingApp(load_engine=False)

    async def script(pilot: Pilot[Any]) -> None:
        app.notify("Training on 'tang300'")
        await pilot.pause()

    run_app(app, script)
    assert not (poet_home / "logs").exists()


def test_a_link_in_the_logs_place_is_not_written_through(poet_home: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep me\n", encoding="utf-8")
    (poet_home / "logs").mkdir(parents=True)
    os.symlink(target, app_log_path())
    app = RecordingApp(load_engine=False)

    async def script(pilot: Pilot[Any]) -> None:
        app.post_message(ThreadFailed("loading the model", RuntimeError("boom")))
        await pilot.pause()
        await pilot.pause()

    run_app(app, script)
    assert target.read_text(encoding="utf-8") == "keep me\n"
    failure = next(message for message in app.errors() if "boom" in message)
    assert "details" not in failure  # no log to point at
