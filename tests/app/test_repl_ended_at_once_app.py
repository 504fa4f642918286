"""An empty exchange says why it is empty: the model's first token ended the poem, and ctrl+t (the poem stop)
lets it write on."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

import poet_tui.generation
from poet_tui.app.repl_pane import ReplPane
from poet_tui.runs import Run
from tests.helpers import ending_at_once
from tests.helpers.pilot import RecordingApp, run_app, text_of, wait_until


def test_a_poem_ended_by_its_first_token_says_so_and_ctrl_t_writes_on(
    trained_run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        poet_tui.generation, "load_for_generation", ending_at_once(poet_tui.generation.load_for_generation)
    )
    app = RecordingApp(checkpoint=trained_run.id)

    async def script(pilot: Pilot[Any]) -> None:
        repl = app.query_one(ReplPane)
        await wait_until(pilot, lambda: repl.loaded is not None)
        repl.set_form(repl.form_choice.with_form("free")[0])
        repl.focus_default()
        await pilot.press("enter")
        await wait_until(pilot, lambda: repl.exchanges and repl.exchanges[0].finished)
        empty = repl.exchanges[0]
        assert empty.completion == ""
        footer = text_of(empty.query_one(".exchange-footer"))
        assert footer.startswith("1 token · ") and "ended at the first token (ctrl+t: poem stop off)" in footer

        await pilot.press("ctrl+t")  # the poem stop off: <eod> is written as a blank line, and the poem goes on
        assert not repl.settings.stop_at_end_of_poem
        repl.settings.max_tokens = 3
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(repl.exchanges) == 2 and repl.exchanges[max(repl.exchanges)].finished)
        written = repl.exchanges[max(repl.exchanges)]
        assert written.completion and "ended at the first token" not in text_of(written.query_one(".exchange-footer"))
        assert app.errors() == []

    run_app(app, script)
