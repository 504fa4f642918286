"""Driving the app in tests: run it under a pilot, wait for what a worker or child does, read a widget's text,
type into the Train form, and remember every notification."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from poet_tui.app.app import PoetApp
from poet_tui.app.train_pane import TrainPane

SIZE = (120, 40)
# Train form values for a model that trains in seconds on a CPU; a test adds its own steps and corpus.
TINY_RUN = {"hidden": "24", "embedding": "16", "batch_size": "4", "bptt": "16", "log_every": "2", "max_minutes": ""}


class RecordingApp(PoetApp):
    """The app, remembering every notification it showed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.notes: list[tuple[str, str]] = []

    def notify(self, message: str, *args: Any, **kwargs: Any) -> None:
        self.notes.append((message, kwargs.get("severity", "information")))
        super().notify(message, *args, **kwargs)

    def errors(self) -> list[str]:
        return [message for message, severity in self.notes if severity == "error"]


def run_app(app: PoetApp, script: Callable[[Pilot[Any]], Awaitable[None]], size: tuple[int, int] = SIZE) -> None:
    """Run `app` headless in a terminal of `size` while `script` drives it; the app closes when it returns."""

    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await script(pilot)

    asyncio.run(main())


def text_of(widget: Any) -> str:
    """The plain text a Static-like widget shows."""
    content = widget.content
    return content.plain if hasattr(content, "plain") else str(content)


async def fill(pilot: Pilot[Any], train: TrainPane, values: dict[str, str]) -> None:
    """Type into form fields: focus, clear, type — as a user would with the keyboard."""
    for flag, value in values.items():
        train.form.widget_for(flag).focus()
        await pilot.press("end", "ctrl+u", *value)


async def wait_until(pilot: Pilot[Any], condition: Callable[[], object], timeout: float = 60.0) -> None:
    """Let the app run until `condition()` holds (workers, child processes); fail after `timeout` seconds, a
    safety net against a hang only: a busy machine is slower, so the wait must never be what a test measures."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {condition}")
        await pilot.pause(0.05)


async def settle(pilot: Pilot[Any]) -> None:
    """Wait for the engine to load and every worker to finish, then for the screen to catch up."""
    app = pilot.app
    await wait_until(pilot, lambda: getattr(app, "engine_ready", True))
    await app.workers.wait_for_complete()
    await pilot.pause(0.1)
    await app.workers.wait_for_complete()
    await pilot.pause(0.1)


def run_train_form(script: Callable[[Any, Pilot[Any]], Awaitable[object]], options: Any = None) -> Any:
    """The Train form alone in an app (built from `options`, the real table by default); returns what the
    script returns. The script gets the form and the pilot."""
    import asyncio

    from textual.app import App, ComposeResult

    from poet_tui.app.train_form import TrainForm
    from poet_tui.options import OPTIONS

    class FormApp(App[None]):
        def compose(self) -> ComposeResult:
            yield TrainForm(options=OPTIONS if options is None else options)

    async def main() -> object:
        app = FormApp()
        async with app.run_test() as pilot:
            return await script(app.query_one(TrainForm), pilot)

    return asyncio.run(main())


def checkpoint_detail_after(home: Path, run_id: str, events: list[dict[str, object]]) -> str:
    """The Checkpoints pane's detail text for `run_id` once `events` were appended to its metrics.jsonl."""
    from poet_tui.app.checkpoints_pane import CheckpointsPane

    with open(home / "runs" / run_id / "metrics.jsonl", "a", encoding="utf-8") as log:
        log.writelines(json.dumps(event) + "\n" for event in events)
    app = RecordingApp()
    seen: dict[str, str] = {}

    async def script(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: app.engine_ready)
        await pilot.press("f4")
        pane = app.query_one(CheckpointsPane)
        await wait_until(pilot, lambda: pane.detail_run == run_id)
        seen["detail"] = text_of(pane.query_one("#checkpoint-config"))

    run_app(app, script)
    return seen["detail"]
