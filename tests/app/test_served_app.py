"""An app that ends without asking — a browser tab closed under `poet serve` ends it that way (the web driver's
ExitApp) — leaves its run training, as the quit dialog's "Leave it running" does: a paused run continues."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import psutil
from textual import messages
from textual.pilot import Pilot

from poet_tui.app.app import PoetApp
from poet_tui.app.train_pane import TrainPane
from poet_tui.app.training_process import process_alive
from tests.helpers.pilot import TINY_RUN, fill, run_app, wait_until


def test_an_app_ended_without_asking_leaves_a_paused_run_training(poet_home: Path) -> None:
    children: list[Any] = []  # the child's Popen: this test process is its parent, so it reaps it

    async def script(pilot: Pilot[Any]) -> None:
        app = pilot.app
        train = app.query_one(TrainPane)
        await pilot.press("f3")
        await fill(pilot, train, {"corpus": "shakespeare-sonnets", **TINY_RUN, "max_steps": "1000000"})
        await fill(pilot, train, {"eval_every": "400"})
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: train.progress.step >= 2, timeout=60)
        assert train.source is not None
        children.append(train.source.process)  # type: ignore[attr-defined]
        await pilot.press("ctrl+y")  # Pause
        child = psutil.Process(children[0].pid)
        await wait_until(pilot, lambda: child.status() == psutil.STATUS_STOPPED, timeout=60)
        app.post_message(messages.ExitApp())  # what the web driver sends when the browser's session closes
        await wait_until(pilot, lambda: not app.is_running)

    try:
        run_app(PoetApp(), script)
        child = psutil.Process(children[0].pid)
        assert child.status() != psutil.STATUS_STOPPED  # continued: nobody is left to press Continue
        assert children[0].poll() is None
    finally:
        for child in children:
            if process_alive(child.pid):
                os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=60)
