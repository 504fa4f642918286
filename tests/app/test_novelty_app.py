"""Novelty in the app: once eval events carry it, the Train pane plots it on the loss plot's 0–1 right axis (a
subtitle in each series' colour says which is which, also at 80 × 24) and the Run panel shows the last value;
the Checkpoints pane shows a run's last novelty from the same fold."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.content import Content
from textual.pilot import Pilot

from poet_tui.app.form_plot import LossAndFormPlot
from poet_tui.app.messages import TrainingEvents
from poet_tui.app.train_pane import TrainPane
from poet_tui.event_types import EvalEvent, Event, StartEvent, StepEvent
from tests.helpers.pilot import RecordingApp, checkpoint_detail_after, run_app, text_of, wait_until

from .conftest import FIXED_RUN, fixed_config


def run_events(novelty: list[float | None], adherence: float | None) -> list[Event]:
    forms = {"sonnet": 0.99} if adherence is not None else {}
    events: list[Event] = [StartEvent(run="r", device="cpu", config=fixed_config().to_dict(), forms=forms)]
    for index, share in enumerate(novelty, start=1):
        step = 6 * index
        events.append(StepEvent(step=step, loss=3.0 - index / 10))
        events.append(EvalEvent(step=step, val_loss=3.1, form_adherence=adherence, novelty=share))
    return events


def feed(novelty: list[float | None], size: tuple[int, int], adherence: float | None = None) -> dict[str, Any]:
    """The Run panel's text, the novelty points plotted and the plot's subtitle once the events arrived."""
    app = RecordingApp(load_engine=False)
    seen: dict[str, Any] = {}

    async def script(pilot: Pilot[Any]) -> None:
        await pilot.press("f3")
        app.query_one(TrainPane).post_message(TrainingEvents(run_events(novelty, adherence)))
        plot = app.query_one("#train-plot", LossAndFormPlot)
        await wait_until(pilot, lambda: plot.plotted[1] == len(novelty))  # it redraws on its own timer
        seen["stats"], seen["plotted"] = text_of(app.query_one("#run-stats")), plot.plotted_novelty
        seen["subtitle"] = Content.from_markup(plot.border_subtitle).plain
        assert plot.size.height >= 8 and plot.size.width >= 40  # readable, at 80 × 24 too

    run_app(app, script, size=size)
    return seen


def test_the_train_pane_plots_novelty_and_shows_the_last_value() -> None:
    seen = feed([1.0, 0.75, 0.5], (120, 40))
    assert "novelty 50% at step 18" in seen["stats"]
    assert seen["plotted"] == 3
    assert "novelty" in seen["subtitle"] and "right axis, 0–1" in seen["subtitle"]
    assert "adherence" not in seen["subtitle"]


def test_novelty_and_adherence_share_the_right_axis_at_80_by_24() -> None:
    seen = feed([0.875, 0.625], (80, 24), adherence=0.25)
    assert "novelty 62% at step 12" in seen["stats"] and "form adherence 25% (sonnet)" in seen["stats"]
    assert seen["plotted"] == 2
    assert "adherence" in seen["subtitle"] and "novelty" in seen["subtitle"]


def test_without_novelty_there_is_neither_line_nor_series() -> None:
    seen = feed([None, None], (120, 40))
    assert "novelty" not in seen["stats"] and seen["plotted"] == 0 and "novelty" not in seen["subtitle"]


def test_the_checkpoints_pane_shows_a_runs_last_novelty(fixed_home: Path) -> None:
    lines = [{"event": "eval", "step": 60, "val_loss": 2.0, "novelty": 0.875}]
    assert "novelty 88% at step 60" in checkpoint_detail_after(fixed_home, FIXED_RUN, lines)
