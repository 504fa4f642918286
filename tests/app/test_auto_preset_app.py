"""The Train form opens on `--preset auto`: the budget, the corpus and the device size the run, and whatever the
user typed or wrote in their config file stays theirs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Select

from poet_tui import user_config
from poet_tui.app.train_pane import TrainPane
from poet_tui.budget_presets import CPU_ROWS, SMALL_CORPUS_DROPOUT
from tests.helpers.pilot import RecordingApp, fill, run_app

SHORT, LONG = CPU_ROWS[0].settings, CPU_ROWS[-1].settings


@pytest.fixture(autouse=True)
def fresh_config_reads() -> None:
    user_config.forget_loaded_configs()


def value(train: TrainPane, dest: str) -> str:
    return str(train.form.widget_for(dest).value)  # type: ignore[attr-defined]


def test_auto_follows_budget_and_corpus_but_keeps_what_the_user_typed(poet_home: Path, tiny_corpus: Path) -> None:
    app = RecordingApp(load_engine=False)

    async def script(pilot: Pilot[Any]) -> None:
        await pilot.press("f3")
        train = app.query_one(TrainPane)
        assert train.form.query_one("#field-preset", Select).value == "auto"
        assert value(train, "hidden") == str(LONG["model.hidden_size"])  # no budget: the 10-minute row
        await fill(pilot, train, {"max_minutes": "1"})
        assert value(train, "hidden") == str(SHORT["model.hidden_size"])
        assert value(train, "lr") == str(SHORT["training.learning_rate"])
        await fill(pilot, train, {"hidden": "96", "max_minutes": "20"})
        assert value(train, "hidden") == "96"  # typed by the user: kept
        assert value(train, "lr") == str(LONG["training.learning_rate"])  # still auto's: follows the budget
        await fill(pilot, train, {"corpus": str(tiny_corpus)})
        assert value(train, "dropout") == str(SMALL_CORPUS_DROPOUT)  # a tiny corpus is read many times over
        train.form.query_one("#field-preset", Select).value = "defaults"
        await pilot.pause()
        await fill(pilot, train, {"max_minutes": "1"})
        assert value(train, "hidden") == "256"  # auto is off: the budget no longer re-sizes anything
        config = train.form.config()
        assert config.training.max_minutes == 1 and config.model.hidden_size == 256

    run_app(app, script)


def test_the_config_file_wins_over_auto_in_the_form(poet_home: Path) -> None:
    path = user_config.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[train]\nhidden = 512\n", encoding="utf-8")
    user_config.forget_loaded_configs()
    app = RecordingApp(load_engine=False)

    async def script(pilot: Pilot[Any]) -> None:
        await pilot.press("f3")
        train = app.query_one(TrainPane)
        assert value(train, "hidden") == "512"
        await fill(pilot, train, {"max_minutes": "1"})
        assert value(train, "hidden") == "512" and value(train, "lr") == str(SHORT["training.learning_rate"])

    run_app(app, script)
