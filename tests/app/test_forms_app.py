"""Forms in the app: the Train pane names the corpus's forms once a run starts and plots form adherence beside
the loss (also at 80 × 24); the Checkpoints pane shows a run's last adherence from the same fold."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from poet_tui.app.form_plot import LossAndFormPlot
from poet_tui.app.messages import TrainingEvents
from poet_tui.app.train_pane import TrainPane
from poet_tui.event_types import EvalEvent, Event, StartEvent, StepEvent
from tests.helpers.pilot import RecordingApp, checkpoint_detail_after, run_app, text_of, wait_until

from .conftest import FIXED_RUN, fixed_config


def run_events(forms: dict[str, float], adherence: list[float | None]) -> list[Event]:
    events: list[Event] = [StartEvent(run="r", device="cpu", config=fixed_config().to_dict(), forms=forms)]
    for index, share in enumerate(adherence, start=1):
        step = 6 * index
        events.append(StepEvent(step=step, loss=3.0 - index / 10))
        events.append(EvalEvent(step=step, val_loss=3.1, form_adherence=share))
    return events


def feed(forms: dict[str, float], adherence: list[float | None], size: tuple[int, int]) -> tuple[str, int]:
    """The Run panel's text and the adherence points plotted once a run's events reached the Train pane."""
    app = RecordingApp(load_engine=False)
    seen: dict[str, Any] = {}

    async def script(pilot: Pilot[Any]) -> None:
        await pilot.press("f3")
        train = app.query_one(TrainPane)
        train.post_message(TrainingEvents(run_events(forms, adherence)))
        plot = app.query_one("#train-plot", LossAndFormPlot)
        await wait_until(pilot, lambda: plot.plotted[1] == len(adherence))  # it redraws on its own timer
        seen["stats"], seen["plotted"] = text_of(app.query_one("#run-stats")), plot.plotted_adherence
        assert plot.size.height >= 8 and plot.size.width >= 40  # readable, at 80 × 24 too

    run_app(app, script, size=size)
    return seen["stats"], seen["plotted"]


def test_the_train_pane_shows_the_corpus_forms_and_plots_adherence() -> None:
    stats, plotted = feed({"wujue": 0.6, "qijue": 0.2, "wulv": 0.05}, [0.0, 0.25, 0.5], (120, 40))
    assert "forms wujue 60% · qijue 20% · wulv 5%" in stats
    assert "form adherence 50% (wujue, qijue) at step 18" in stats
    assert plotted == 3


def test_the_train_pane_stays_readable_at_80_by_24() -> None:
    stats, plotted = feed({"sonnet": 0.99}, [0.125, 0.375], (80, 24))
    assert "forms sonnet 99%" in stats and "form adherence 38% (sonnet) at step 12" in stats
    assert plotted == 2


def test_a_corpus_in_no_form_shows_neither_line_nor_series() -> None:
    stats, plotted = feed({}, [None, None], (120, 40))
    assert "forms" not in stats and "form adherence" not in stats
    assert plotted == 0


def test_the_checkpoints_pane_shows_a_runs_last_adherence(fixed_home: Path) -> None:
    lines = [
        {"event": "start", "run": FIXED_RUN, "device": "cpu", "forms": {"sonnet": 0.99}},
        {"event": "eval", "step": 60, "val_loss": 2.0, "form_adherence": 0.625},
    ]
    assert "form adherence 62% (sonnet) at step 60" in checkpoint_detail_after(fixed_home, FIXED_RUN, lines)
