"""Starting with a model (`poet --checkpoint RUN`) and quitting: the REPL says a model is loading and how far it
is, a prompt submitted meanwhile is queued and runs once the model is ready (or is dropped, said so, when the load
fails), and neither quitting nor the app's exit waits for a load still in progress.

Each test holds the load at "reading the checkpoint" with a gate it opens itself, so nothing races the load."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from poet_tui.app.repl_loading import NO_MODEL
from poet_tui.app.repl_pane import ReplPane
from poet_tui.app.transcript import Transcript
from poet_tui.errors import PoetError
from tests.app.conftest import FIXED_RUN
from tests.helpers.pilot import RecordingApp, run_app, text_of, wait_until


class Gate:
    """Replaces load_for_generation: the load waits at the gate until the test opens it (then loads, or fails)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, error: PoetError | None = None) -> None:
        import poet_tui.generation

        self.real = poet_tui.generation.load_for_generation
        self.error = error
        self.opened = threading.Event()
        self.waiting = False
        monkeypatch.setattr(poet_tui.generation, "load_for_generation", self.load)

    def load(self, name_or_path: str, device: str = "auto") -> Any:
        self.waiting = True
        self.opened.wait(timeout=30)  # a safety net: a test that forgets to open it still ends
        self.waiting = False
        if self.error is not None:
            raise self.error
        return self.real(name_or_path, device)


def notes(app: RecordingApp) -> str:
    return "\n".join(text_of(note) for note in app.query_one(Transcript).query(".note"))


def test_a_prompt_submitted_while_the_model_loads_is_queued_and_runs_when_it_is_ready(
    fixed_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate(monkeypatch)
    app = RecordingApp(checkpoint=FIXED_RUN)

    async def script(pilot: Pilot[Any]) -> None:
        repl = app.query_one(ReplPane)
        await wait_until(pilot, lambda: gate.waiting and repl.load_stage == 1)
        # Loading, and saying so: the stage in the header, never "No model is loaded" in the transcript.
        header = text_of(app.query_one("#repl-model"))
        assert header == f"loading {FIXED_RUN}… step 2 of 3: reading the checkpoint"
        assert app.query_one("#repl-loading").display
        assert "No model is loaded" not in notes(app)
        assert f"Loading {FIXED_RUN}" in notes(app)
        assert "loading — Enter will run when ready" in text_of(app.query_one("#repl-status"))
        # A prompt now is queued, not dropped; escape drops it, and a later one is queued again.
        await pilot.press(*"Thy", "enter")
        await wait_until(pilot, lambda: "queued: “Thy”" in notes(app))
        assert "queued: “Thy”" in notes(app) and "queued: “Thy”" in text_of(app.query_one("#repl-status"))
        await pilot.press("escape")
        await wait_until(pilot, lambda: "was dropped" in notes(app))
        assert "the queued prompt “Thy” was dropped" in notes(app) and repl.queued is None
        await pilot.press(*"Shall I", "enter")
        assert repl.queued == "Shall I" and not repl.exchanges
        gate.opened.set()
        await wait_until(pilot, lambda: repl.exchanges and repl.exchanges[0].finished)
        assert [exchange.prompt for exchange in repl.exchanges.values()] == ["Shall I"]
        assert repl.exchanges[0].footer.split(" tokens")[0].isdigit()
        assert text_of(app.query_one("#repl-model")).startswith(f"model {FIXED_RUN}/best")
        assert not app.query_one("#repl-loading").display
        assert "Running the queued prompt “Shall I”." in notes(app)
        assert app.focused is app.query_one("#prompt")  # the next prompt can be typed at once
        assert app.errors() == []

    run_app(app, script)


def test_a_load_that_fails_drops_the_queued_prompt_and_says_so(
    fixed_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate(monkeypatch, PoetError("no run or checkpoint named 'nowhere'; `poet checkpoints list` shows them."))
    app = RecordingApp(checkpoint="nowhere")

    async def script(pilot: Pilot[Any]) -> None:
        repl = app.query_one(ReplPane)
        await wait_until(pilot, lambda: gate.waiting)
        await pilot.press(*"Shall I", "enter")
        gate.opened.set()
        # Wait for the notes to be mounted (not only added) and the app to have shown the error.
        await wait_until(pilot, lambda: notes(app).endswith(NO_MODEL) and app.errors())
        assert "nowhere could not be loaded: the queued prompt “Shall I” was dropped." in notes(app)
        assert not repl.exchanges and repl.queued is None
        assert text_of(app.query_one("#repl-model")) == "no model loaded · ctrl+o opens one"
        assert app.errors() == ["no run or checkpoint named 'nowhere'; `poet checkpoints list` shows them."]
        # With no load in progress, Enter is refused with a hint, not queued.
        await pilot.press(*"Thy", "enter")
        assert repl.queued is None and not repl.exchanges

    run_app(app, script)


def test_the_app_exits_without_waiting_for_a_model_still_loading(
    fixed_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Quit while the load is held: the app's exit (which waits for every worker thread) is over while the load
    still waits at the gate, so the load cannot be a thread the exit waits for."""
    gate = Gate(monkeypatch)
    app = RecordingApp(checkpoint=FIXED_RUN)

    async def script(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: gate.waiting)
        await pilot.press("ctrl+q")

    run_app(app, script)
    try:
        assert gate.waiting, "the app's exit waited for the model load"
    finally:
        gate.opened.set()


EXIT_NOW = """
import atexit, sys, threading, time
from pathlib import Path
from poet_tui.app.background import exit_now, start_daemon

out = Path(sys.argv[1])
atexit.register(lambda: (out / "atexit").write_text("ran"))
start_daemon(lambda: threading.Event().wait(), "never-ends")  # like a torch import that is far from done
def save():
    time.sleep(0.2)
    (out / "saved").write_text("saved")
threading.Thread(target=save).start()  # like a worker that saves: it must finish
from concurrent.futures import ThreadPoolExecutor
ThreadPoolExecutor(1).submit(int)  # an idle executor thread, never shut down: told to stop, not waited on forever
print("flushed", end="")
exit_now(3)
"""


def test_exit_now_joins_what_saves_runs_atexit_flushes_and_leaves_daemons_behind(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(EXIT_NOW), str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stdout) == (3, "flushed")
    assert (tmp_path / "saved").read_text() == "saved"
    assert (tmp_path / "atexit").read_text() == "ran"


def footer_problems(app: RecordingApp) -> list[str]:
    """Every shown key of the footer, checked whole: inside the screen and the footer, given at least the cells
    its label needs, overlapping no other key; and every key the screen shows is there."""
    from rich.cells import cell_len
    from textual.widgets._footer import FooterKey

    from poet_tui.app.key_footer import KeyFooter

    footer = app.screen.query_one(KeyFooter)
    keys = list(footer.query(FooterKey))
    problems = []
    for key in keys:
        label = key.render().plain.rstrip()
        region = key.region
        if not footer.region.contains_region(region) or region.right > app.size.width:
            problems.append(f"{label!r} is outside the footer at {region}")
        if region.width < cell_len(label) or region.height != 1:
            problems.append(f"{label!r} is cut to {region.width} cells")
        problems += [
            f"{label!r} overlaps another key" for other in keys if other is not key and other.region.overlaps(region)
        ]
    shown = {binding.action for _, binding, _, _ in app.screen.active_bindings.values() if binding.show}
    missing = shown - {key.action for key in keys}
    return problems + [f"no key for {action}" for action in sorted(missing)]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_no_footer_label_is_cut_on_any_pane(fixed_home: Path, size: tuple[int, int]) -> None:
    from poet_tui.app.key_footer import KeyFooter

    app = RecordingApp(checkpoint=FIXED_RUN)
    seen: dict[str, list[str]] = {}

    async def script(pilot: Pilot[Any]) -> None:
        repl = app.query_one(ReplPane)
        await wait_until(pilot, lambda: repl.loaded is not None and app.engine_ready)
        for pane in ("repl", "corpus", "train", "checkpoints"):
            await pilot.press({"corpus": "f2", "train": "f3", "checkpoints": "f4", "repl": "f5"}[pane])
            await pilot.pause(0.2)
            seen[pane] = footer_problems(app)
            if pane == "repl":  # the F6 row focused: other keys, checked too
                await pilot.press("f6")
                await pilot.pause(0.2)
                seen["repl settings"] = footer_problems(app)
                await pilot.press("f6")
        if size == (120, 40):  # room enough: every pane's keys keep their words
            assert not app.screen.query_one(KeyFooter).shown.key_only

    run_app(app, script, size=size)
    assert seen == {pane: [] for pane in ("repl", "repl settings", "corpus", "train", "checkpoints")}


def test_the_footer_shortens_the_app_keys_first_then_the_pane_keys_from_the_last_and_never_cuts() -> None:
    from poet_tui.app.key_footer import Entry, layout

    entries = [Entry("⏎", "Generate", False), Entry("^r", "Regenerate", False), Entry("^l", "Clear", False)]
    entries += [Entry("^q", "Quit", True), Entry("f1", "Help", True)]
    assert layout(entries, 80) == layout(entries, 80, max_rows=1)  # one row, padded, when it fits
    assert not layout(entries, 80).compact and len(layout(entries, 80).rows) == 1
    narrow = layout(entries, 22)
    assert narrow.compact and len(narrow.rows) == 2
    assert narrow.key_only == {4, 3, 2}  # help and quit first, then the pane's last key
    tiny = layout(entries, 4)  # not even keys alone fit two rows: more rows, every key whole
    assert tiny.key_only == set(range(5)) and len(tiny.rows) > 2
    assert [index for row in tiny.rows for index in row] == list(range(5))


def cut_widgets(app: RecordingApp, selector: str) -> list[str]:
    """The widgets under `selector` that are not whole on the screen: outside it, or cut by their container."""
    from textual.widgets import Checkbox, Input, Label, Select, Static

    screen = app.screen.region
    cut = []
    for widget in app.query_one(selector).query("Label, Input, Checkbox, Select, Static"):
        if not widget.display or not isinstance(widget, Label | Input | Checkbox | Select | Static):
            continue
        region = widget.region
        visible = app.screen.find_widget(widget).region if region else region
        if not screen.contains_region(region) or visible != region:
            cut.append(f"{widget.id or type(widget).__name__} at {region}, shown {visible}")
    return cut


def test_every_repl_panel_is_whole_and_reachable_by_keyboard_at_80_by_24(fixed_home: Path) -> None:
    app = RecordingApp(checkpoint=FIXED_RUN)

    async def script(pilot: Pilot[Any]) -> None:
        repl = app.query_one(ReplPane)
        await wait_until(pilot, lambda: repl.loaded is not None)
        await pilot.press("f6")  # the settings and form rows, with the focus in them
        await pilot.pause(0.2)
        assert app.focused is app.query_one("#setting-top_k")
        for panel in ("#repl-model", "#repl-status", "#repl-settings", "#repl-form"):
            assert cut_widgets(app, panel) == [], panel
        assert app.query_one("#setting-min_copy").region.right <= 80  # was cut off at 80 columns
        # A refusal gets a line of its own, under the fields rather than over them.
        await pilot.press("end", "ctrl+u", "1", "tab", "end", "ctrl+u", *"1.5")
        await pilot.pause(0.2)
        error = app.query_one("#setting-error")
        assert "Top-p" in text_of(error)
        assert cut_widgets(app, "#repl-settings") == []
        assert all(not error.region.overlaps(field.region) for field in app.query("#repl-settings Input"))
        await pilot.press("escape", "f6")
        assert app.focused is app.query_one("#prompt")
        # A transcript longer than its panel: Tab reaches it, and the keyboard scrolls it.
        repl.settings.max_tokens, repl.settings.stop_at_end_of_poem = 600, False
        await pilot.press("enter")
        await wait_until(pilot, lambda: repl.exchanges and repl.exchanges[0].finished)
        await pilot.pause(0.2)
        transcript = app.query_one(Transcript)
        assert transcript.max_scroll_y > 0
        for _ in range(6):
            if app.focused is transcript:
                break
            await pilot.press("tab")
        assert app.focused is transcript
        await pilot.press("home")  # a scroll may be animated: waited for, never timed
        await wait_until(pilot, lambda: transcript.scroll_y == 0)
        await pilot.press("pagedown")
        await wait_until(pilot, lambda: transcript.scroll_y > 0)

    run_app(app, script, size=(80, 24))


def test_importing_the_app_loads_neither_torch_nor_numpy() -> None:
    """The first frame waits for every import the app makes; torch and numpy (about 0.2 s more here) come later,
    in the background or with the first completion, and the overlap helpers the REPL needs are pure Python. The
    package's version (importlib.metadata, about 30 ms) is read only when asked for."""
    from tests.helpers import loaded_among, modules_loaded_by

    loaded = modules_loaded_by("poet_tui.app.app", then="from poet_tui.overlap import DEFAULT_MIN_COPY, copied_spans")
    assert loaded_among(loaded, "torch", "numpy", "importlib.metadata") == []


def test_deferred_panes_come_after_the_first_frame_and_still_hear_that_the_engine_is_ready(fixed_home: Path) -> None:
    """`poet` mounts the panes not shown at start after its first frame; each then works as if it had been there."""
    from poet_tui.app.checkpoints_pane import CheckpointsPane
    from poet_tui.app.train_pane import TrainPane

    app = RecordingApp(defer_panes=True)

    async def script(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: app.engine_ready and app.query(TrainPane) and app.query(ReplPane))
        await pilot.press("f4")
        checkpoints = app.query_one(CheckpointsPane)
        await wait_until(pilot, lambda: checkpoints.summaries)
        await pilot.press("f3")
        train = app.query_one(TrainPane)
        await wait_until(pilot, lambda: train.engine_loaded)
        assert app.focused is not None and train in app.focused.ancestors
        assert app.errors() == []

    run_app(app, script)


def test_a_deferred_pane_asked_for_before_it_is_mounted_is_mounted_then(
    fixed_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keys and messages that need a pane not mounted yet (a key typed before the first frame) mount it first; and
    quitting does not need the Train pane to be there."""
    from poet_tui.app.app import PoetApp
    from poet_tui.app.messages import CorpusChosen
    from poet_tui.app.train_pane import TrainPane

    async def not_yet(self: PoetApp) -> None:
        return None

    monkeypatch.setattr(PoetApp, "mount_deferred_panes", not_yet)
    app = RecordingApp(defer_panes=True, load_engine=False)

    async def script(pilot: Pilot[Any]) -> None:
        await pilot.pause()
        assert not app.query(TrainPane) and not app.query(ReplPane)
        app.post_message(CorpusChosen("shakespeare-sonnets"))
        await wait_until(pilot, lambda: app.current_pane == "train" and app.query(TrainPane))
        assert app.query_one(TrainPane).form.widget_for("corpus").value == "shakespeare-sonnets"  # type: ignore[attr-defined]
        await pilot.press("f5")
        assert app.current_pane == "repl" and app.focused is app.query_one("#prompt")

    run_app(app, script)

    quitter = RecordingApp(defer_panes=True, load_engine=False)

    async def quit_at_once(pilot: Pilot[Any]) -> None:
        assert not quitter.query(TrainPane)
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: quitter.return_code == 0)

    run_app(quitter, quit_at_once)
