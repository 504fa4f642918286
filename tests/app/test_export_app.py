"""An export folder in the app: `poet --checkpoint DIR` and the REPL's open-model dialog (ctrl+o, a typed path)
load it like a run; with no training text, the status line says there is no highlighting, once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from poet_tui.app.modals import ModelPicker
from poet_tui.app.repl_pane import ReplPane
from poet_tui.export import export_model
from poet_tui.runs import Run
from tests.helpers.pilot import RecordingApp, run_app, text_of, wait_until


async def complete(pilot: Pilot[Any], repl: ReplPane) -> Any:
    repl.focus_default()
    await pilot.press("enter")
    await wait_until(pilot, lambda: repl.exchanges and repl.exchanges[max(repl.exchanges)].finished)
    return repl.exchanges[max(repl.exchanges)]


def test_the_app_opens_an_export_folder_from_the_command_line(trained_run: Run, tmp_path: Path) -> None:
    folder = tmp_path / "shared model"
    export_model(trained_run.id, str(folder))
    app = RecordingApp(checkpoint=str(folder))

    async def script(pilot: Pilot[Any]) -> None:
        repl = app.query_one(ReplPane)
        await wait_until(pilot, lambda: repl.loaded is not None)
        assert repl.loaded.run is None and repl.loaded.label == "shared model"
        assert text_of(app.query_one("#repl-model")).startswith("model shared model · char · ")
        assert "no highlighting: An exported model carries no training text" in text_of(app.query_one("#repl-status"))
        assert not repl.indexing
        exchange = await complete(pilot, repl)
        assert exchange.footer.split(" tokens")[0].isdigit()  # it streamed, with no novelty to report
        assert app.errors() == []

    run_app(app, script)


def test_the_open_model_dialog_takes_a_typed_export_folder(trained_run: Run, tmp_path: Path) -> None:
    folder = tmp_path / "model"
    export_model(trained_run.id, str(folder))
    app = RecordingApp()

    async def script(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: app.engine_ready)
        await pilot.press("f5", "ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, ModelPicker))
        path_input = app.screen.query_one("#picker-path", Input)
        path_input.focus()
        path_input.value = str(folder)
        await pilot.press("enter")
        repl = app.query_one(ReplPane)
        await wait_until(pilot, lambda: repl.loaded is not None)
        assert repl.loaded.label == "model" and repl.loaded.export_folder == folder
        assert app.errors() == []

    run_app(app, script)
