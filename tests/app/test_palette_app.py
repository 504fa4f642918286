"""The conventions a user reaches for: ctrl+p opens Textual's command palette with the app's own actions (run
through the very key bindings) and its theme switcher; Pause moved to ctrl+y; a theme picked is remembered in
$POET_HOME; the config file's theme and Train defaults reach the app, and a bad config file is said, not fatal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import Button, Input

from poet_tui import user_config
from poet_tui.app.app_state import remember_theme
from poet_tui.app.help_screen import HelpScreen
from poet_tui.app.palette import palette_commands
from poet_tui.app.train_form import TrainForm
from poet_tui.app.train_pane import TrainPane
from poet_tui.budget_presets import CPU_ROWS
from poet_tui.run_progress import RunProgress
from tests.helpers.pilot import RecordingApp, run_app, wait_until

from .test_train_pane_live import ScriptedSource


@pytest.fixture(autouse=True)
def fresh_config_reads() -> None:
    user_config.forget_loaded_configs()


def write_config(text: str) -> None:
    path = user_config.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    user_config.forget_loaded_configs()


async def choose(pilot: Pilot[Any], query: str, closes: bool = True) -> None:
    """ctrl+p, type the query, wait for the list, take the best match (`closes`: and wait for the palette to go)."""
    await pilot.press("ctrl+p")
    await wait_until(pilot, lambda: CommandPalette.is_open(pilot.app))
    await pilot.press(*("space" if character == " " else character for character in query))
    await wait_until(pilot, lambda: pilot.app.screen.query("CommandList").first().option_count > 0)
    await pilot.press("down", "enter")
    if closes:
        await wait_until(pilot, lambda: not CommandPalette.is_open(pilot.app))
    await pilot.pause()


def test_ctrl_p_opens_the_palette_and_an_entry_runs_the_keys_own_action(
    poet_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[TrainPane] = []
    monkeypatch.setattr(TrainPane, "action_start", lambda pane: started.append(pane))
    app = RecordingApp(load_engine=False)

    async def script(pilot: Pilot[Any]) -> None:
        assert app.current_pane == "corpus"
        await choose(pilot, "start a run")
        assert app.current_pane == "train" and started == [app.query_one(TrainPane)]
        await choose(pilot, "go to checkpoints")
        assert app.current_pane == "checkpoints"

    run_app(app, script)


def test_the_palette_offers_what_can_be_done_now_with_its_key(poet_home: Path) -> None:
    app = RecordingApp(load_engine=False)

    async def script(pilot: Pilot[Any]) -> None:
        titles = {command.title: command.help for command in palette_commands(app)}
        assert "Train: start a run" in titles and titles["Train: start a run"].startswith("^s")
        assert not any("pause" in title or "stop the run" in title for title in titles)
        assert titles["Train: resume the run picked under the form"].startswith("^r")
        textual = [command.title for command in app.get_system_commands(app.screen)]
        assert "Theme" in textual and not {"Quit", "Keys", "Screenshot"} & set(textual)
        pane = app.query_one(TrainPane)
        source = ScriptedSource()
        pane.begin(source, RunProgress())
        titles = {command.title: command.help for command in palette_commands(app)}
        assert titles["Train: pause the run"].startswith("^y") and "Train: start a run" not in titles
        assert "Train: stop the run (saves a checkpoint)" in titles
        await choose(pilot, "pause the run")
        assert source.paused  # the palette ran the Pause key's action
        assert "Train: continue the run" in {command.title for command in palette_commands(app)}
        await pilot.press("ctrl+y")  # and the key itself, from the Train pane
        assert not source.paused
        source.stop()
        await wait_until(pilot, lambda: pane.source is None)
        await pilot.press("ctrl+y")
        await wait_until(pilot, lambda: ("No run is training.", "warning") in app.notes)

    run_app(app, script)


def test_pause_is_in_the_footer_and_ctrl_p_is_the_palette_on_every_pane(poet_home: Path) -> None:
    app = RecordingApp(load_engine=False)

    async def script(pilot: Pilot[Any]) -> None:
        await pilot.press("f3")
        await pilot.pause()
        footer_keys = {key.key for key in app.query("FooterKey")}
        assert {"ctrl+y", "ctrl+p"} <= footer_keys
        assert "^y" in str(app.query_one("#train-pause", Button).label)
        for pane in ("f2", "f4", "f5"):
            await pilot.press(pane, "ctrl+p")
            await wait_until(pilot, lambda: CommandPalette.is_open(app))
            await pilot.press("escape")
            await wait_until(pilot, lambda: not CommandPalette.is_open(app))
        await pilot.press("f1", "ctrl+p")  # not over a dialog: a choice there would act behind it
        await pilot.pause()
        assert not CommandPalette.is_open(app) and isinstance(app.screen, HelpScreen)

    run_app(app, script)


def test_a_theme_picked_in_the_palette_is_remembered_by_the_next_start(poet_home: Path) -> None:
    first = RecordingApp(load_engine=False)

    async def pick(pilot: Pilot[Any]) -> None:
        assert first.theme == "textual-dark"
        await choose(pilot, "theme", closes=False)
        await wait_until(pilot, lambda: "themes" in str(first.screen.query_one("CommandInput", Input).placeholder))
        await pilot.press(*"dracula", "down", "enter")
        await wait_until(pilot, lambda: first.theme == "dracula")

    run_app(first, pick)
    assert json.loads((poet_home / "app-state.json").read_text(encoding="utf-8")) == {"theme": "dracula"}
    second = RecordingApp(load_engine=False)
    assert second.theme == "dracula"  # set before the first frame

    async def look(pilot: Pilot[Any]) -> None:
        assert second.theme == "dracula" and second.errors() == []

    run_app(second, look)


DAMAGED_STATES = [b"{not json", b"[1, 2]", b'{"theme": "no-such-theme"}', b'{"theme": 3}', b"\xff\xfe",
                  b'{"theme": "nord"' * 9000, b"[" * 100 + b"]" * 100]  # fmt: skip


def test_a_damaged_state_file_is_ignored_and_replaced_by_the_next_pick(poet_home: Path) -> None:
    poet_home.mkdir(parents=True)
    state = poet_home / "app-state.json"
    for content in DAMAGED_STATES:
        state.write_bytes(content)
        assert RecordingApp(load_engine=False).theme == "textual-dark", content
        remember_theme("nord")  # what the app calls when a theme is picked
        assert json.loads(state.read_text(encoding="utf-8")) == {"theme": "nord"}, content
    state.write_bytes(DAMAGED_STATES[0])
    app = RecordingApp(load_engine=False)

    async def script(pilot: Pilot[Any]) -> None:
        app.theme = "gruvbox"
        await pilot.pause()

    run_app(app, script)
    assert app.errors() == []
    assert json.loads(state.read_text(encoding="utf-8")) == {"theme": "gruvbox"}
    state.unlink()
    state.symlink_to(poet_home.parent / "elsewhere.json")  # never written through: the link itself is replaced
    (poet_home.parent / "elsewhere.json").write_text('{"theme": "dracula"}', encoding="utf-8")
    assert RecordingApp(load_engine=False).theme == "textual-dark"
    remember_theme("nord")
    assert not state.is_symlink() and (poet_home.parent / "elsewhere.json").read_text() == '{"theme": "dracula"}'


def test_a_state_file_that_cannot_be_written_is_a_warning_only(poet_home: Path) -> None:
    poet_home.mkdir(parents=True)
    (poet_home / "app-state.json").mkdir()  # a folder in its place: the rename fails
    app = RecordingApp(load_engine=False)

    async def script(pilot: Pilot[Any]) -> None:
        app.theme = "nord"
        await wait_until(pilot, lambda: any("could not be remembered" in note for note, _ in app.notes))
        assert app.theme == "nord"

    run_app(app, script)


def test_the_config_theme_applies_until_one_is_picked_in_the_app(poet_home: Path) -> None:
    write_config('theme = "gruvbox"\n')
    configured = RecordingApp(load_engine=False)
    assert configured.theme == "gruvbox"

    async def look(pilot: Pilot[Any]) -> None:
        await pilot.pause()

    run_app(configured, look)
    assert not (poet_home / "app-state.json").exists()  # the file's theme is not a pick: nothing is written
    poet_home.mkdir(parents=True, exist_ok=True)
    (poet_home / "app-state.json").write_text('{"theme": "nord", "other": 1}', encoding="utf-8")
    app = RecordingApp(load_engine=False)
    assert app.theme == "nord"  # picked in the app: it wins over the file

    async def script(pilot: Pilot[Any]) -> None:
        app.theme = "monokai"
        await pilot.pause()

    run_app(app, script)
    assert json.loads((poet_home / "app-state.json").read_text(encoding="utf-8")) == {"theme": "monokai", "other": 1}


def test_an_unknown_config_theme_and_a_bad_config_are_said_not_fatal(poet_home: Path) -> None:
    write_config('theme = "solarised"\n')
    app = RecordingApp(load_engine=False)

    async def unknown_theme(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: any("'solarised'" in note for note, _ in app.notes))
        assert app.theme == "textual-dark"

    run_app(app, unknown_theme)
    write_config("[train]\nhidden = -1\n")
    broken = RecordingApp(load_engine=False)

    async def bad_file(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: any("[train] hidden must be" in error for error in broken.errors()))
        await pilot.press("f3")
        form = broken.query_one(TrainForm)
        assert form.shown_value(form.initial, _hidden()) == CPU_ROWS[-1].settings["model.hidden_size"]  # not -1: auto's

    run_app(broken, bad_file)


def _hidden() -> Any:
    from poet_tui.options import option

    return option("model.hidden_size")


def test_the_train_form_starts_from_the_config_defaults(poet_home: Path) -> None:
    write_config('device = "cpu"\n[train]\nhidden = 512\nbatch-size = "auto"\n')
    app = RecordingApp(load_engine=False)

    async def script(pilot: Pilot[Any]) -> None:
        await pilot.press("f3")
        form = app.query_one(TrainForm)
        assert form.widget_for("hidden").value == "512"  # type: ignore[attr-defined]
        assert form.widget_for("batch_size").value == "auto"  # type: ignore[attr-defined]
        assert form.widget_for("device").value == "cpu"  # type: ignore[attr-defined]
        assert "from the config file" in str(form.widget_for("hidden").tooltip)
        form.corpus = "shakespeare-sonnets"
        config = form.config()
        assert config.model.hidden_size == 512 and config.training.auto_batch_size
        assert "--device=cpu" in config.to_argv()  # what the training child is started with

    run_app(app, script)
