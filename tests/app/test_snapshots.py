"""Each pane at 120×40 over a fixed POET_HOME (one stopped run, two checkpoints, fixed times): no clock,
no temporary path and no speed figure appears on these screens. Update with `pytest --snapshot-update`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from poet_tui.app.app import PoetApp
from poet_tui.app.run_plot import RunCurvesPlot
from tests.helpers.pilot import SIZE, settle, wait_until

from .conftest import FIXED_RUN


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


def test_corpus_pane(fixed_home: Path, snap_compare: Any) -> None:
    assert snap_compare(PoetApp(), terminal_size=SIZE, run_before=lambda pilot: show(pilot, "f2"))


def test_train_pane(fixed_home: Path, snap_compare: Any) -> None:
    assert snap_compare(PoetApp(), terminal_size=SIZE, run_before=lambda pilot: show(pilot, "f3"))


def test_checkpoints_pane(fixed_home: Path, snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await show(pilot, "f4")
        pane = pilot.app.query_one("#checkpoints-pane")
        await wait_until(pilot, lambda: pane.detail_run == FIXED_RUN)
        plot = pane.query_one("#checkpoint-plot", RunCurvesPlot)
        await wait_until(pilot, lambda: not plot.dirty and plot.plotted_runs == [FIXED_RUN])  # redrawn by a timer
        still_cursors(pilot)
        await settle(pilot)

    assert snap_compare(PoetApp(), terminal_size=SIZE, run_before=run_before)


def test_repl_pane(fixed_home: Path, snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        repl = pilot.app.query_one("#repl-pane")
        await wait_until(pilot, lambda: repl.loaded is not None)
        await settle(pilot)
        await pilot.press("f6")
        pilot.app.query_one("#prompt").focus()
        await pilot.press(*"Shall I compare thee")
        still_cursors(pilot)
        await settle(pilot)

    assert snap_compare(PoetApp(checkpoint=FIXED_RUN), terminal_size=SIZE, run_before=run_before)


def test_help_screen(fixed_home: Path, snap_compare: Any) -> None:
    assert snap_compare(PoetApp(), terminal_size=SIZE, run_before=lambda pilot: show(pilot, "f1"))
