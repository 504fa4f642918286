"""Each pane at 120×40 and at 80×24 over a fixed POET_HOME (one stopped run, two checkpoints, fixed times): no clock,
no temporary path and no speed figure appears on these screens. Update with `pytest --snapshot-update`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select

from poet_tui.app.app import PoetApp
from poet_tui.app.live_widgets import LossPlot
from poet_tui.app.run_plot import RunCurvesPlot
from tests.helpers.pilot import SIZE, settle, wait_until

from .conftest import FIXED_RUN

# The size the app is designed for, and the smallest terminal it must stay whole and readable in.
SIZES = pytest.mark.parametrize("size", [SIZE, (80, 24)], ids=["120x40", "80x24"])


def still_cursors(pilot: Pilot[Any]) -> None:
    """A blinking cursor is on or off depending on the moment the screenshot is taken: hold it still."""
    for text_input in pilot.app.query(Input):
        text_input.cursor_blink = False


async def show(pilot: Pilot[Any], key: str) -> None:
    await settle(pilot)
    await pilot.press(key)
    await settle(pilot)
    still_cursors(pilot)
    await settle(pilot)


@SIZES
def test_corpus_pane(fixed_home: Path, snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(PoetApp(), terminal_size=size, run_before=lambda pilot: show(pilot, "f2"))


@SIZES
def test_train_pane(fixed_home: Path, snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(PoetApp(), terminal_size=size, run_before=lambda pilot: show(pilot, "f3"))


@SIZES
def test_train_pane_showing_a_run(fixed_home: Path, snap_compare: Any, size: tuple[int, int]) -> None:
    """An earlier run picked under the form: its whole loss curve, validation marks and final figures."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await show(pilot, "f3")
        pane = pilot.app.query_one("#train-pane")
        earlier = pane.query_one("#earlier-runs", Select)
        await wait_until(pilot, lambda: str(earlier.prompt).startswith("earlier runs ("))  # listed
        earlier.value = FIXED_RUN
        plot = pane.query_one("#train-plot", LossPlot)
        await wait_until(pilot, lambda: not plot.dirty and plot.plotted == (12, 3))  # redrawn by a timer
        still_cursors(pilot)
        await settle(pilot)

    assert snap_compare(PoetApp(), terminal_size=size, run_before=run_before)


@SIZES
def test_checkpoints_pane(fixed_home: Path, snap_compare: Any, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await show(pilot, "f4")
        pane = pilot.app.query_one("#checkpoints-pane")
        await wait_until(pilot, lambda: pane.detail_run == FIXED_RUN)
        plot = pane.query_one("#checkpoint-plot", RunCurvesPlot)
        await wait_until(pilot, lambda: not plot.dirty and plot.plotted_runs == [FIXED_RUN])  # redrawn by a timer
        still_cursors(pilot)
        await settle(pilot)

    assert snap_compare(PoetApp(), terminal_size=size, run_before=run_before)


@SIZES
def test_repl_pane(fixed_home: Path, snap_compare: Any, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        repl = pilot.app.query_one("#repl-pane")
        await wait_until(pilot, lambda: repl.loaded is not None)
        await settle(pilot)
        await pilot.press("f6")
        pilot.app.query_one("#prompt").focus()
        await pilot.press(*"Shall I compare thee")
        still_cursors(pilot)
        await settle(pilot)

    assert snap_compare(PoetApp(checkpoint=FIXED_RUN), terminal_size=size, run_before=run_before)


@SIZES
def test_help_screen(fixed_home: Path, snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(PoetApp(), terminal_size=size, run_before=lambda pilot: show(pilot, "f1"))
