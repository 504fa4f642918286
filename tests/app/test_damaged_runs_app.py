"""The app beside damaged runs: listed with their reason, never opened or resumed, deletable, and the healthy
runs work as before."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from poet_tui.app.checkpoints_pane import CheckpointsPane
from poet_tui.app.corpus_pane import CorpusPane
from poet_tui.app.run_table import RunTable
from tests.helpers.pilot import RecordingApp, run_app, text_of, wait_until

from .conftest import FIXED_RUN

DAMAGED_RUN = "20250101-130000-shakespeare-sonnets-char"


def make_damaged_copy(home: Path) -> Path:
    damaged = home / "runs" / DAMAGED_RUN
    shutil.copytree(home / "runs" / FIXED_RUN, damaged)
    (damaged / "checkpoints" / "best.json").write_text('{"step": "abc", "model": {}}')
    return damaged


def test_a_damaged_checkpoint_is_listed_with_its_reason_and_never_opened(fixed_home: Path) -> None:
    damaged = make_damaged_copy(fixed_home)
    app = RecordingApp()

    async def script(pilot: Pilot[Any]) -> None:
        pane = app.query_one(CheckpointsPane)
        await wait_until(pilot, lambda: app.engine_ready)
        await pilot.press("f4")
        await wait_until(pilot, lambda: len(pane.summaries) == 4)
        table = app.query_one(RunTable)
        problems = [summary for summary in pane.summaries if summary.problem]
        assert [(summary.run_id, summary.stem) for summary in problems] == [(DAMAGED_RUN, "best")]
        # The run with a damaged checkpoint is the newest; it shows its checkpoints, the damaged one marked.
        rows = [[cell.plain for cell in table.get_row_at(index)] for index in range(table.row_count)]
        assert "2025-01-01 13:00" in rows[0][0] and "2025-01-01 12:00" in rows[3][0]
        assert [row[0].strip() for row in rows[1:3]] == ["├ best", "└ latest"]
        assert rows[1][-1] == "damaged" and rows[2][-1] == ""
        await pilot.press("down")
        assert pane.selected is not None and pane.selected.problem is not None
        detail = text_of(app.query_one("#checkpoint-config"))
        assert "damaged" in detail and "step should be a whole number" in detail
        await pilot.press("enter")
        await pilot.press("r")
        assert sum("step should be a whole number" in message for message in app.errors()) == 2
        assert app.current_pane == "checkpoints"  # neither the REPL nor the Train pane took it
        await pilot.press("d", "left", "left", "enter")  # the damaged checkpoint itself can be deleted
        await wait_until(pilot, lambda: len(pane.summaries) == 3)
        assert not (damaged / "checkpoints" / "best.json").exists()
        assert (fixed_home / "runs" / FIXED_RUN / "checkpoints" / "best.json").exists()

    run_app(app, script)


def test_a_damaged_registry_entry_is_named_and_the_others_stay(fixed_home: Path, tiny_corpus: Path) -> None:
    registry = fixed_home / "corpora" / "registry.toml"
    registry.parent.mkdir(parents=True)
    registry.write_text(
        f'[corpora.good]\npath = "{tiny_corpus}"\ntitle = "good"\nlanguage = "en"\n\n'
        '[corpora.broken]\npath = 42\ntitle = "broken"\n'
    )
    app = RecordingApp()

    async def script(pilot: Pilot[Any]) -> None:
        pane = app.query_one(CorpusPane)
        await wait_until(pilot, lambda: "good" in pane.entries)
        assert "broken" not in pane.entries
        assert any("'broken' is damaged" in message for message, _ in app.notes)

    run_app(app, script)
