"""The Train pane's live figures, driven by a scripted training source (no child process): a starting state
before the first step, speed and ETA only while the run trains, a colour per state, a resumed run's whole
history, the loss plot's keys and colours, and every panel reachable by keyboard at 80 × 24."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets._footer import FooterKey

import poet_tui.app.train_pane
from poet_tui.app.form_plot import LossAndFormPlot
from poet_tui.app.train_pane import TrainPane
from poet_tui.app.training_process import TrainingSource
from poet_tui.run_progress import RunProgress
from tests.helpers.pilot import RecordingApp, fill, run_app, text_of, wait_until

from .conftest import FIXED_RUN, fixed_config

RUN = "20260101-000000-scripted"


class ScriptedSource(TrainingSource):
    """A training process the test speaks for: `say()` hands the pane events; stop() says goodbye."""

    def __init__(self, argv: list[str] | None = None) -> None:
        super().__init__()
        self.argv = argv or []
        self.queue: asyncio.Queue[list[dict[str, Any]] | None] = asyncio.Queue()
        self.step = 0

    @property
    def pid(self) -> int | None:
        return None

    def start(self) -> None:
        pass

    def say(self, *events: dict[str, Any]) -> None:
        self.queue.put_nowait(list(events))

    def stop(self) -> None:
        super().stop()
        self.say({"event": "done", "step": self.step, "reason": "stopped"})
        self.queue.put_nowait(None)

    async def events(self) -> AsyncIterator[list[dict[str, Any]]]:
        while (events := await self.queue.get()) is not None:
            yield events


def start_event(**extra: Any) -> dict[str, Any]:
    config = fixed_config()
    config.training.max_steps = 1000
    return {"event": "start", "run": RUN, "device": "cpu", "params": 9000, "config": config.to_dict(), **extra}


def step_event(step: int, loss: float = 2.0) -> dict[str, Any]:
    return {
        "event": "step",
        "step": step,
        "epoch": step / 100,
        "loss": loss,
        "tokens_per_s": 5000.0,
        "elapsed_s": step / 10,
        "mem": {"rss": (300 + step) * 2**20},
    }


def state_style(pane: TrainPane) -> str:
    """The style of the state word in the Run panel (its second line)."""
    content = pane.query_one("#run-stats").content
    start = content.plain.index("\n") + 1
    return next(str(span.style) for span in content.spans if span.start <= start < span.end)


def live_text(pane: TrainPane) -> str:
    return text_of(pane.query_one("#run-stats")) + "\n" + text_of(pane.query_one("#run-time"))


def test_the_run_panel_says_starting_then_training_and_shows_no_live_figure_once_stopped(poet_home: Path) -> None:
    app = RecordingApp(load_engine=False)
    seen: dict[str, str] = {}

    async def script(pilot: Pilot[Any]) -> None:
        await pilot.press("f3")
        pane = app.query_one(TrainPane)
        source = ScriptedSource()
        pane.begin(source, RunProgress())
        await wait_until(pilot, lambda: "starting: loading the corpus" in live_text(pane))
        assert "step 0" not in live_text(pane) and "tokens/s" not in live_text(pane)
        seen["starting"] = state_style(pane)
        source.say(start_event())
        await wait_until(pilot, lambda: "training the first steps" in live_text(pane))
        assert "starting" in live_text(pane) and "tokens/s" not in live_text(pane)
        source.step = 20
        source.say(*(step_event(step, 3.0 - step / 100) for step in range(2, 21, 2)))
        await wait_until(pilot, lambda: "step 20 · epoch 0.20 · 5.0k tokens/s" in live_text(pane))
        assert "ETA" in live_text(pane) and "● training" in live_text(pane)
        assert "train 2.800 nats/token" in live_text(pane)
        seen["training"] = state_style(pane)
        await pilot.press("ctrl+y")
        await wait_until(pilot, lambda: "paused" in live_text(pane))
        assert "tokens/s" not in live_text(pane) and "ETA" not in live_text(pane)
        seen["paused"] = state_style(pane)
        await pilot.press("ctrl+y", "ctrl+t")
        await wait_until(pilot, lambda: pane.source is None and "stopped at step 20" in live_text(pane))
        assert "tokens/s" not in live_text(pane) and "ETA" not in live_text(pane)
        assert "2% of the budget · 2s trained" in live_text(pane)
        seen["stopped"] = state_style(pane)

    run_app(app, script)
    assert len(set(seen.values())) == 4, seen  # each state in a colour of its own


def test_a_resumed_run_starts_from_its_whole_history(fixed_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Resuming (as the Checkpoints pane's `r` does) reads the run's metrics.jsonl first: the plot starts at
    its first step with its evaluations, and the best is the run's, before and after the session starts."""
    children: list[ScriptedSource] = []

    def child(argv: list[str]) -> ScriptedSource:
        children.append(ScriptedSource(argv))
        return children[-1]

    monkeypatch.setattr(poet_tui.app.train_pane, "ChildTraining", child)
    app = RecordingApp()

    async def script(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: app.engine_ready)
        await pilot.press("f3")
        pane = app.query_one(TrainPane)
        plot = pane.query_one("#train-plot", LossAndFormPlot)
        pane.resume_run(FIXED_RUN)
        await wait_until(pilot, lambda: bool(children))
        assert "--resume" in " ".join(children[0].argv) or FIXED_RUN in " ".join(children[0].argv)
        await wait_until(pilot, lambda: plot.plotted == (12, 3))  # 12 steps and 3 evaluations, from step 5
        assert plot.plotted_steps is not None and plot.plotted_steps[0] == 5
        text = live_text(pane)
        assert "resuming" in text and "best 1.449 nats/token = 2.000 bits/char at step 60" in text
        assert "val 1.449 nats/token" in text and "val —" not in text
        children[0].step = 62
        children[0].say(start_event(run=FIXED_RUN, resumed_from_step=60), step_event(62, 1.3))
        await wait_until(pilot, lambda: plot.plotted == (13, 3))
        assert plot.plotted_steps == (5, 62)
        assert "● training" in live_text(pane) and "best 1.449 nats/token" in live_text(pane)
        children[0].stop()
        await wait_until(pilot, lambda: pane.source is None)

    run_app(app, script)


def test_the_loss_plot_draws_validation_as_markers_with_round_ticks_and_units(poet_home: Path) -> None:
    app = RecordingApp(load_engine=False)
    calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    class Recorder:
        def __getattr__(self, name: str) -> Any:
            return lambda *args, **kwargs: calls.append((name, args, kwargs))

    async def script(pilot: Pilot[Any]) -> None:
        await pilot.press("f3")
        plot = app.query_one("#train-plot", LossAndFormPlot)
        train = [(step, 1.2 + 3 * math.exp(-step / 30) + 0.2 * (-1) ** step) for step in range(2, 146, 2)]
        plot.show(train, [(step, 1.3 + 3 * math.exp(-step / 30)) for step in (25, 50, 75, 100, 125)], [60])
        await wait_until(pilot, lambda: plot.plotted == (72, 5))
        plot.draw(Recorder())

    run_app(app, script)
    named = {name: (args, kwargs) for name, args, kwargs in calls}
    scatter_x = named["scatter"][0][0]
    assert scatter_x == [25, 50, 75, 100, 125]  # validation: a marker at each evaluation, no line between
    assert [args[0][0] for name, args, _ in calls if name == "plot"] == [2, 2]  # raw and smoothed training
    assert not any("label" in kwargs for _, _, kwargs in calls)  # no legend inside the canvas
    x_values, x_labels = named["xticks"][0]
    assert x_labels == ["0", "20", "40", "60", "80", "100", "120", "140"][1:] or all(
        value % 10 == 0 for value in x_values
    )
    _, y_labels = named["yticks"][0]
    assert all(len(label.split(".")[-1]) <= 2 for label in y_labels)
    assert "nats/token" in named["ylabel"][0][0]
    assert named["vline"][0][0] == 60


def test_l_and_z_change_what_is_plotted_and_show_in_the_footer(poet_home: Path) -> None:
    app = RecordingApp(load_engine=False)

    async def script(pilot: Pilot[Any]) -> None:
        await pilot.press("f3")
        plot = app.query_one("#train-plot", LossAndFormPlot)
        plot.show([(step, 4.0 / step**0.3) for step in range(10, 1010, 10)], [(500, 1.5), (1000, 1.2)])
        await wait_until(pilot, lambda: plot.plotted == (100, 2))
        assert plot.y_range is not None and plot.y_range[0] < 0.5 < 2.0 < plot.y_range[1]
        plot.focus()
        await pilot.pause()
        footer = {key.description for key in app.query(FooterKey)}
        assert {"Log scale", "Zoom recent"} <= footer
        await pilot.press("z")
        await wait_until(pilot, lambda: plot.plotted_steps is not None and plot.plotted_steps[0] == 760)
        assert plot.plotted == (25, 1) and "zoom" in str(plot.border_title)
        await pilot.press("z", "l")
        await wait_until(pilot, lambda: plot.plotted == (100, 2) and plot.log_scale and not plot.dirty)
        assert plot.y_range is not None and plot.y_range[0] < math.log10(0.5) < math.log10(2.0) < plot.y_range[1] < 1
        assert "log" in str(plot.border_title) and all(label[0].isdigit() for label in plot.tick_labels[1])

    run_app(app, script)


def test_the_plot_follows_the_theme(poet_home: Path) -> None:
    from textual.color import Color

    app = RecordingApp(load_engine=False)

    async def script(pilot: Pilot[Any]) -> None:
        await pilot.press("f3")
        plot = app.query_one("#train-plot", LossAndFormPlot)
        plot.show([(1, 2.0), (2, 1.5)], [(2, 1.6)])
        await wait_until(pilot, lambda: plot.plotted == (2, 1))
        app.theme = "nord"
        await wait_until(
            pilot, lambda: plot.colours.get("train") == Color.parse(app.theme_variables["text-primary"]).rgb
        )
        assert plot.colours["validation"] == Color.parse(app.theme_variables["text-accent"]).rgb

    run_app(app, script)


def test_every_panel_is_reachable_by_keyboard_at_80_by_24(poet_home: Path) -> None:
    app = RecordingApp(load_engine=False)

    async def script(pilot: Pilot[Any]) -> None:
        await pilot.press("f3")
        pane = app.query_one(TrainPane)
        await fill(pilot, pane, {"corpus": "shakespeare-sonnets", "batch_size": "0"})
        error = app.query_one("#form-error")
        await wait_until(pilot, lambda: "Batch size" in text_of(error))
        assert app.screen.region.contains_region(error.region) and error.region.height > 0  # in view
        await fill(pilot, pane, {"batch_size": "4"})
        source = ScriptedSource()
        pane.begin(source, RunProgress())
        source.step = 20
        source.say(start_event(), *(step_event(step) for step in range(2, 21, 2)))
        await wait_until(pilot, lambda: "tokens/s" in live_text(pane))
        run_panel = app.query_one("#run-stats")
        # The locked form gives way to the live figures: the Run panel is in view without scrolling.
        await wait_until(pilot, lambda: app.screen.region.contains_region(run_panel.region))
        reached = set()
        for _ in range(12):
            await pilot.press("tab")
            await pilot.pause()
            focused = app.focused
            if focused is not None and focused.id in ("train-plot", "memory", "sample-scroll"):
                reached.add(focused.id)
                assert app.screen.region.contains_region(focused.region), focused.id  # scrolled into view
        assert reached == {"train-plot", "memory", "sample-scroll"}
        pane.query_one("#train-stop").focus()
        await pilot.pause()
        top = pane.scroll_y
        await pilot.press("pagedown")
        await wait_until(pilot, lambda: pane.scroll_y > top)
        await pilot.press("end")
        await wait_until(pilot, lambda: pane.scroll_y == pane.max_scroll_y > 0)
        source.stop()
        await wait_until(pilot, lambda: pane.source is None)

    run_app(app, script, size=(80, 24))


def test_attaching_to_a_training_run_at_start_leaves_the_focus_in_the_pane_shown(fixed_home: Path) -> None:
    """A run already training when the app starts is followed in the Train pane, but the keys the user types stay
    with the pane they are looking at (the attach had moved the focus to the hidden Train pane's Pause button)."""
    from poet_tui.runs import Run

    app = RecordingApp()

    async def script(pilot: Pilot[Any]) -> None:
        train = app.query_one(TrainPane)
        await wait_until(pilot, lambda: train.source is not None)  # attached to the run that trains
        await pilot.pause()
        assert app.current_pane == "corpus"
        assert app.focused is not None and app.query_one("#corpus-pane") in app.focused.ancestors, app.focused

    with Run(fixed_home / "runs" / FIXED_RUN).lock():  # held as a trainer holds it
        run_app(app, script)
