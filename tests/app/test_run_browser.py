"""The Checkpoints pane as a run browser, by keyboard: one row per run expandable to its checkpoints, the cursor
kept by identity (and moved to a run that appeared while it was on the newest), Enter and r acting on the
highlighted row, a formatted detail, compared runs overlaid in one plot, and every part reachable at 80×24."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from poet_tui.app.checkpoints_pane import CheckpointsPane
from poet_tui.app.messages import CheckpointWritten, OpenInRepl, ResumeRun
from poet_tui.app.run_plot import RunCurvesPlot
from poet_tui.app.run_table import RunTable, sparkline, stem_text
from tests.helpers.pilot import RecordingApp, run_app, text_of, wait_until

from .conftest import FIXED_RUN

WORD_RUN = "20250102-093000-shakespeare-sonnets-word"
NEWER_RUN = "20250103-100000-shakespeare-sonnets-char"


def add_run(home: Path, run_id: str, tokenizer: str = "char", bpc: float | None = None) -> Path:
    """A copy of the fixed run under another name (and tokenizer), its validation bits/char scaled by `bpc`."""
    run_dir = home / "runs" / run_id
    shutil.copytree(home / "runs" / FIXED_RUN, run_dir)
    config = run_dir / "run.toml"
    config.write_text(config.read_text().replace('kind = "char"', f'kind = "{tokenizer}"'))
    if bpc is not None:
        events = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
        for event in events:
            if event["event"] == "eval":
                event["val_bpc"] = round(bpc * (1 + 60 / event["step"]), 3)
        (run_dir / "metrics.jsonl").write_text("".join(json.dumps(event) + "\n" for event in events))
    return run_dir


class BrowsingApp(RecordingApp):
    """The app, remembering what the pane asked to open or resume instead of loading models or training."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []
        self.resumed: list[str] = []

    def on_open_in_repl(self, message: OpenInRepl) -> None:
        message.prevent_default()  # the app's own handler would switch panes and load the model
        self.opened.append(message.model)

    def on_resume_run(self, message: ResumeRun) -> None:
        message.prevent_default()
        self.resumed.append(message.run_id)


async def open_browser(pilot: Pilot[Any], runs: int) -> CheckpointsPane:
    app = pilot.app
    await wait_until(pilot, lambda: getattr(app, "engine_ready", False))
    await pilot.press("f4")
    pane = app.query_one(CheckpointsPane)
    await wait_until(pilot, lambda: len(pane.runs) == runs and pane.detail_run is not None)
    return pane


def row_texts(pane: CheckpointsPane) -> list[list[str]]:
    table = pane.query_one(RunTable)
    return [[cell.plain for cell in table.get_row_at(index)] for index in range(table.row_count)]


def words(text: str) -> str:
    """The text with each run of spaces and newlines as one space (the detail aligns its values in a column)."""
    return " ".join(text.split())


def cursor_key(pane: CheckpointsPane) -> str | None:
    return pane.query_one(RunTable).cursor_key


def test_one_row_per_run_with_its_figures_expandable_to_its_checkpoints(fixed_home: Path) -> None:
    add_run(fixed_home, WORD_RUN, "word", bpc=0.5)
    app = BrowsingApp()

    async def script(pilot: Pilot[Any]) -> None:
        pane = await open_browser(pilot, 2)
        rows = row_texts(pane)
        assert len(rows) == 2  # runs only: best and latest are a run's children, not rows of their own
        word, char = rows  # newest first
        assert "2025-01-02 09:30" in word[0] and "2025-01-01 12:00" in char[0]
        assert word[1:5] == ["shakespeare-sonnets", "word", "9.0k", "60"]  # the corpus is not cut
        assert word[5] == "1.000*"  # a word run's bits/char is marked as flattered by <unk>
        assert char[5] == "2.000"
        assert word[6] == sparkline([(20, 2.0), (40, 1.25), (60, 1.0)]) == "█▃▁"
        assert word[7] == char[7] == "stopped"
        assert cursor_key(pane) == f"run:{WORD_RUN}"
        await pilot.press("right")
        rows = row_texts(pane)
        assert [row[0].strip() for row in rows[1:3]] == ["├ best", "└ latest"]
        assert [row[4] for row in rows[1:3]] == ["40", "60"]
        await pilot.press("down", "down", "left")  # on latest: ← folds its run and goes back to it
        assert len(row_texts(pane)) == 2 and cursor_key(pane) == f"run:{WORD_RUN}"

    run_app(app, script)


def test_a_new_run_takes_the_cursor_from_the_newest_and_enter_and_r_act_on_the_highlighted_row(
    fixed_home: Path,
) -> None:
    app = BrowsingApp()

    async def script(pilot: Pilot[Any]) -> None:
        pane = await open_browser(pilot, 1)
        # A run trained in this session wrote a checkpoint: the cursor was on the newest run, so it moves on.
        add_run(fixed_home, NEWER_RUN)
        app.post_message(CheckpointWritten())
        await wait_until(pilot, lambda: len(pane.runs) == 2)
        assert cursor_key(pane) == f"run:{NEWER_RUN}"
        await pilot.press("enter", "r")
        await pilot.pause()
        assert app.opened[-1].endswith(f"{NEWER_RUN}/checkpoints/best.safetensors")
        assert app.resumed == [NEWER_RUN]
        # The user moved to the older run: a run appearing now leaves the cursor where the user put it.
        await pilot.press("down")
        add_run(fixed_home, "20250104-100000-shakespeare-sonnets-char")
        app.post_message(CheckpointWritten())
        await wait_until(pilot, lambda: len(pane.runs) == 3)
        assert cursor_key(pane) == f"run:{FIXED_RUN}"
        assert pane.query_one(RunTable).cursor_row == 2  # the same run, at another index
        await pilot.press("r")
        await pilot.pause()
        assert app.resumed[-1] == FIXED_RUN
        # A checkpoint's row opens that checkpoint, and keeps the cursor through sorting.
        await pilot.press("right", "down", "down")
        latest = f"checkpoint:{fixed_home / 'runs' / FIXED_RUN / 'checkpoints' / 'latest.safetensors'}"
        assert cursor_key(pane) == latest
        await pilot.press("S")
        assert cursor_key(pane) == latest
        await pilot.press("enter")
        await pilot.pause()
        assert app.opened[-1] == latest.removeprefix("checkpoint:")

    run_app(app, script)


def test_the_detail_is_a_formatted_summary_with_units(fixed_home: Path) -> None:
    add_run(fixed_home, WORD_RUN, "word", bpc=0.5)
    app = BrowsingApp()

    async def script(pilot: Pilot[Any]) -> None:
        pane = await open_browser(pilot, 2)
        await pilot.press("down")
        await wait_until(pilot, lambda: pane.detail_run == FIXED_RUN)
        detail = words(text_of(pane.query_one("#checkpoint-config")))
        assert "[model]" not in detail and "hidden_size" not in detail  # not the raw TOML
        for expected in (
            "status stopped",
            "corpus shakespeare-sonnets",
            "LSTM, 1 layer × 24 hidden, 16 embedding",
            "9,000 parameters",
            "4 sequences × 16 tokens",
            "steps 60 on cpu",
            "nats/token · 2.000 bits/char",
            f"runs/{FIXED_RUN}/",
            "checkpoints/best.safetensors · 26.",
        ):
            assert expected in detail
        assert "flattered" not in detail
        await pilot.press("right", "down")  # the best checkpoint's own figures first
        detail = words(text_of(pane.query_one("#checkpoint-config")))
        assert "checkpoint best step 40 validation 1.950 nats/token" in detail
        await pilot.press("up", "up")
        detail = text_of(pane.query_one("#checkpoint-config"))
        assert "1.000* bits/char" in detail and "word model: bits/char flattered by <unk>" in detail

    run_app(app, script)


def test_marked_runs_overlay_their_validation_bits_per_character(fixed_home: Path) -> None:
    add_run(fixed_home, WORD_RUN, "word", bpc=0.5)
    app = BrowsingApp()

    async def script(pilot: Pilot[Any]) -> None:
        pane = await open_browser(pilot, 2)
        plot = pane.query_one(RunCurvesPlot)
        await wait_until(pilot, lambda: plot.plotted_runs == [WORD_RUN])  # the highlighted run alone
        assert plot.legend == ["validation*", "train (≈ bits/char)"]
        await pilot.press("space")
        assert row_texts(pane)[0][0].startswith("●")
        await pilot.press("down", "space")
        await wait_until(pilot, lambda: plot.plotted_runs == [WORD_RUN, FIXED_RUN])
        assert plot.legend == ["word 01-02 09:30*", "char 01-01 12:00"]
        assert "flattered by <unk>" in str(plot.border_subtitle)
        assert plot.border_title == "validation bits/char · 2 runs compared"
        steps, values = plot.tick_labels  # round ticks: whole steps, bits/char with at most two decimals
        assert steps and all(label.replace(",", "").isdigit() for label in steps), steps
        assert values and all(len(label.partition(".")[2]) <= 2 for label in values), values
        detail = text_of(pane.query_one("#checkpoint-config"))
        assert detail.startswith("2 runs compared")
        assert "word 01-02 09:30* · best 1.000* bits/char" in detail
        await pilot.press("space")  # one left marked: the plot shows the highlighted run again
        await wait_until(pilot, lambda: plot.plotted_runs == [FIXED_RUN])

    run_app(app, script)


def test_every_part_is_reachable_by_keyboard_at_80_by_24(fixed_home: Path) -> None:
    add_run(fixed_home, WORD_RUN, "word", bpc=0.5)
    app = BrowsingApp()

    async def script(pilot: Pilot[Any]) -> None:
        pane = await open_browser(pilot, 2)
        table = pane.query_one(RunTable)
        assert table.virtual_size.width <= table.scrollable_content_region.width  # every column fits
        assert [row[-1] for row in row_texts(pane)] == ["stopped", "stopped"]
        screen = app.screen.region
        for widget_id in ("#checkpoint-plot", "#checkpoint-config-scroll"):
            await pilot.press("tab")
            focused = app.focused
            assert focused is not None and focused.id == widget_id.removeprefix("#")
            await pilot.pause()
            region = focused.region
            assert region.height > 5 and screen.contains_region(region), (widget_id, region)
        detail = pane.query_one("#checkpoint-config-scroll")
        await pilot.press("end")
        assert detail.scroll_y > 0  # the detail scrolls on its own to its last line

    run_app(app, script, size=(80, 24))


def test_the_table_uses_its_width_at_120_columns(fixed_home: Path) -> None:
    app = BrowsingApp()

    async def script(pilot: Pilot[Any]) -> None:
        pane = await open_browser(pilot, 1)
        table = pane.query_one(RunTable)
        width = table.scrollable_content_region.width
        assert width - 2 <= table.virtual_size.width <= width
        assert row_texts(pane)[0][1] == "shakespeare-sonnets"

    run_app(app, script)


def test_runs_started_in_the_same_minute_are_told_apart(fixed_home: Path) -> None:
    same_minute = "20250101-120045-shakespeare-sonnets-char"
    add_run(fixed_home, same_minute)
    app = BrowsingApp()

    async def script(pilot: Pilot[Any]) -> None:
        pane = await open_browser(pilot, 2)
        names = [row[0] for row in row_texts(pane)]
        assert "12:00:45" in names[0] and "12:00:00" in names[1], names
        plot = pane.query_one(RunCurvesPlot)
        await pilot.press("space", "down", "space")
        await wait_until(pilot, lambda: len(plot.plotted_runs) == 2)
        assert plot.legend == ["char 01-01 12:00:45", "char 01-01 12:00:00"]

    run_app(app, script)


def test_the_sparkline_spans_the_whole_curve() -> None:
    falls_then_rises = [
        (step, value) for step, value in enumerate([9.0, 5, 3, 2, 2.1, 2.2, 2.3, 2.4, 2.5, 2.6, 2.7, 3.0])
    ]
    line = sparkline(falls_then_rises, width=6)
    assert len(line) == 6 and line[0] == "█" and line.index("▁") not in (0, 5) and line[-1] > "▁"


def test_periodic_checkpoints_are_named_by_their_step() -> None:
    assert [stem_text(stem) for stem in ("best", "latest", "step-00001200")] == ["best", "latest", "step 1,200"]


def test_status_shows_a_training_run_and_a_damaged_one_with_its_reason(fixed_home: Path) -> None:
    from poet_tui.runs import Run

    training = add_run(fixed_home, NEWER_RUN)
    broken = add_run(fixed_home, WORD_RUN)
    (broken / "run.toml").write_text("this is [ not toml")
    app = BrowsingApp()

    async def script(pilot: Pilot[Any]) -> None:
        pane = await open_browser(pilot, 3)
        assert [row[-1] for row in row_texts(pane)] == ["training", "damaged", "stopped"]
        await pilot.press("down")
        shown = pane.query_one("#checkpoint-config")
        await wait_until(pilot, lambda: "damaged: " in text_of(shown))  # the highlight reaches the detail
        detail = text_of(shown)
        assert "run.toml" in detail and "d deletes the run" in detail
        await pilot.press("enter", "r")
        await pilot.pause()
        assert not app.opened and not app.resumed and len(app.errors()) == 2
        await pilot.press("d", "left", "enter")  # the only question for a run's row: delete the whole run
        await wait_until(pilot, lambda: len(pane.runs) == 2)
        assert not broken.exists()

    with Run(training).lock():  # held as a trainer holds it
        run_app(app, script)


def test_plot_and_status_colours_follow_the_theme(fixed_home: Path) -> None:
    app = BrowsingApp()

    async def script(pilot: Pilot[Any]) -> None:
        pane = await open_browser(pilot, 1)
        plot = pane.query_one(RunCurvesPlot)
        status = pane.query_one(RunTable).get_row_at(0)[-1]
        assert str(app.current_theme.warning).lower() in str(status.spans[0].style).lower()
        app.theme = "nord"
        await pilot.pause()
        status = pane.query_one(RunTable).get_row_at(0)[-1]
        assert str(app.current_theme.warning).lower() in str(status.spans[0].style).lower()
        first = plot.palette()[0]
        assert f"#{first[0]:02x}{first[1]:02x}{first[2]:02x}" == str(app.current_theme.accent).lower()

    run_app(app, script)


def test_a_run_without_a_checkpoint_yet_is_listed_and_says_so(fixed_home: Path) -> None:
    young = add_run(fixed_home, NEWER_RUN)
    shutil.rmtree(young / "checkpoints")
    (young / "checkpoints").mkdir()
    (young / "metrics.jsonl").write_text(json.dumps({"event": "start", "run": NEWER_RUN, "params": 9000}) + "\n")
    app = BrowsingApp()

    async def script(pilot: Pilot[Any]) -> None:
        pane = await open_browser(pilot, 2)
        assert row_texts(pane)[0][5:8] == ["—", "", "stopped"]
        plot = pane.query_one(RunCurvesPlot)
        await wait_until(pilot, lambda: not plot.dirty)
        assert str(plot.border_title).endswith("no evaluation yet")
        await pilot.press("right", "enter")
        await pilot.pause()
        assert not app.opened
        assert any("has no checkpoint" in message for message, _ in app.notes)

    run_app(app, script)
