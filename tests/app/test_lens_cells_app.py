"""Issue #18's cells in the REPL: f9 searches the model's validation text for hidden units that track named
features, in a worker of the dialog (a busy line; the app answers keys meanwhile; escape cancels), lists the
findings with their correlation, a layer can be chosen, and Enter colours the current text red/blue by the chosen
unit's activation, with a legend; f7 then cycles through the cell view too. An exported model has no training
text: the dialog searches the current text instead and says why."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Select

from poet_tui.app.cells_dialog import TOP_PER_FEATURE, CellsScreen
from poet_tui.app.lens_view import activation_colour
from poet_tui.app.repl_pane import ReplPane
from poet_tui.export import export_model
from poet_tui.lens import cells
from poet_tui.lens.cells import unit_trace
from poet_tui.runs import Run
from tests.helpers.lens import backgrounds, complete, completion_styles, lens_settled, score, two_poems
from tests.helpers.pilot import RecordingApp, run_app, text_of, wait_until


def test_f9_finds_cells_in_a_worker_and_choosing_one_colours_the_text_by_its_activation(
    trained_run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    searched: list[list[int] | None] = []
    find = cells.find_cells

    def held(*args: Any, **kwargs: Any) -> Any:
        searched.append(kwargs.get("layers"))
        release.wait(30)
        return find(*args, **kwargs)

    monkeypatch.setattr(cells, "find_cells", held)
    app = RecordingApp(checkpoint=trained_run.id)

    async def script(pilot: Pilot[Any]) -> None:
        repl = app.query_one(ReplPane)
        await wait_until(pilot, lambda: repl.loaded is not None)
        repl.settings.max_tokens, repl.settings.seed = 50, 2
        exchange = await complete(pilot, repl)

        await pilot.press("f9")
        await wait_until(pilot, lambda: isinstance(app.screen, CellsScreen) and searched)
        dialog = app.screen
        assert isinstance(dialog, CellsScreen) and dialog.searching
        assert dialog.query_one("#cells-busy").display
        assert text_of(dialog.query_one("#cells-status")).startswith("Searching the validation text")
        await pilot.press("escape")  # cancels the search; the dialog stays
        assert app.screen is dialog and not dialog.searching
        assert text_of(dialog.query_one("#cells-status")).startswith("Search cancelled")
        release.set()
        await pilot.press("ctrl+l")  # layer 0 alone: a new search
        await wait_until(pilot, lambda: not dialog.searching and dialog.findings)
        assert searched[-1] == [0] and dialog.query_one("#cells-layer", Select).value == 0
        table = dialog.query_one(DataTable)
        assert table.row_count == len(dialog.findings) and {f.layer for f in dialog.findings} == {0}
        features = {finding.feature for finding in dialog.findings}
        assert "position_in_line" in features and all(-1 <= f.correlation <= 1 for f in dialog.findings)
        assert text_of(dialog.query_one("#cells-feature")).startswith(dialog.findings[0].feature)

        await pilot.press("down")
        chosen = dialog.findings[1]
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is not dialog)
        await lens_settled(pilot, repl)
        assert repl.lens_mode == "cells" and repl.lens_unit == chosen
        expected = unit_trace(repl.loaded.model, repl.loaded.tokenizer, exchange.completion, chosen.layer, chosen.unit)
        assert exchange.trace == expected and exchange.trace_unit == (chosen.layer, chosen.unit)
        styles = completion_styles(exchange)
        for start, end, activation in expected:
            for position in range(start, end):
                assert backgrounds(styles[position]) == {activation_colour(activation, 1.0).lower()}
        legend = text_of(app.query_one("#lens-legend"))
        assert f"layer {chosen.layer} unit {chosen.unit}: {chosen.feature} r {chosen.correlation:+.2f}" in legend

        await pilot.press("f7", "f7")  # cells → off → probability
        assert repl.lens_mode == "confidence"
        await pilot.press("f7", "f7")  # → surprisal → cells, the unit kept
        assert repl.lens_mode == "cells"
        await pilot.press("f9")  # again: all layers (the first search of them was cancelled), searched now
        await wait_until(pilot, lambda: isinstance(app.screen, CellsScreen) and app.screen.findings)
        again = app.screen
        assert isinstance(again, CellsScreen) and not again.searching
        count = len(searched)
        await pilot.press("ctrl+l")  # layer 0: kept from before, nothing searched
        await pilot.pause()
        assert len(searched) == count and "kept from before" in text_of(again.query_one("#cells-status"))
        await pilot.press("ctrl+l")  # layer 1: searched now
        await wait_until(pilot, lambda: len(searched) == count + 1 and not again.searching and again.findings)
        assert searched[-1] == [1] and {finding.layer for finding in again.findings} == {1}
        await pilot.press("escape")
        assert not isinstance(app.screen, CellsScreen) and app.errors() == []

    run_app(app, script)


def test_an_exported_model_searches_the_current_text_and_says_why(trained_run: Run, tmp_path: Path) -> None:
    folder = tmp_path / "shared model"
    export_model(trained_run.id, str(folder))
    app = RecordingApp(checkpoint=str(folder))

    async def script(pilot: Pilot[Any]) -> None:
        repl = app.query_one(ReplPane)
        await wait_until(pilot, lambda: repl.loaded is not None)
        await pilot.press("f9")
        await wait_until(pilot, lambda: isinstance(app.screen, CellsScreen))
        status = text_of(app.screen.query_one("#cells-status"))
        assert "exported model carries no training text" in status and "no current text yet" in status
        await pilot.press("escape")
        text = two_poems(trained_run)
        await score(pilot, repl, text)
        await pilot.press("f9")
        await wait_until(pilot, lambda: isinstance(app.screen, CellsScreen) and not app.screen.searching)
        dialog = app.screen
        assert isinstance(dialog, CellsScreen) and dialog.findings
        assert dialog.findings == cells.find_cells(repl.loaded.model, repl.loaded.tokenizer, text, top=TOP_PER_FEATURE)
        status = text_of(dialog.query_one("#cells-status"))
        assert "the current text (an exported model carries no training text" in status
        assert f"({len(text):,} characters)" in status
        assert app.errors() == []

    run_app(app, script)


def test_a_run_whose_validation_text_is_gone_is_told_the_apps_way_out(
    trained_run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine's reason with the dialog's own way out (^t), never the CLI's --text FILE."""
    from poet_tui.lens import lens_text

    def gone(loaded: Any) -> Any:
        raise lens_text.NoValidationText("the corpus 'tiny' has changed since run x trained on it, so its text is lost")

    monkeypatch.setattr(lens_text, "validation_documents", gone)
    app = RecordingApp(checkpoint=trained_run.id)

    async def script(pilot: Pilot[Any]) -> None:
        repl = app.query_one(ReplPane)
        await wait_until(pilot, lambda: repl.loaded is not None)
        await pilot.press("f9")
        await wait_until(pilot, lambda: isinstance(app.screen, CellsScreen) and not app.screen.searching)
        status = text_of(app.screen.query_one("#cells-status"))
        assert status.startswith("The corpus 'tiny' has changed") and "^t searches the current text instead" in status
        assert "--text" not in status
        await pilot.press("escape")
        assert app.errors() == []

    run_app(app, script)
