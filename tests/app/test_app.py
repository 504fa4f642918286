"""Pilot tests: every pane driven by the keyboard, training in a real child process on a tiny CPU model."""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Select

from poet_tui.app.app import PoetApp
from poet_tui.app.checkpoints_pane import CheckpointsPane
from poet_tui.app.corpus_pane import CorpusPane
from poet_tui.app.live_widgets import LossPlot
from poet_tui.app.repl_pane import ReplPane
from poet_tui.app.train_pane import TrainPane
from poet_tui.app.training_process import ChildTraining, process_alive
from poet_tui.forms import FORMS, satisfies
from tests.helpers.pilot import TINY_RUN, RecordingApp, fill, run_app, text_of, wait_until

from .conftest import FIXED_RUN

OTHER_RUN = "20250101-130000-shakespeare-sonnets-char"


def test_corpus_to_training_to_checkpoint_to_repl(poet_home: Path) -> None:
    """The whole path a new user takes, by keyboard: corpus → train → checkpoints → REPL."""
    app = RecordingApp()

    async def script(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: app.engine_ready)
        # Corpus: the first bundled corpus, highlighted, then Enter carries it into the Train pane.
        await pilot.press("f2", "down", "up", "enter")
        train = app.query_one(TrainPane)
        assert app.current_pane == "train"
        assert train.form.corpus == "shakespeare-sonnets"
        await fill(pilot, train, {**TINY_RUN, "max_steps": "20", "eval_every": "5"})
        assert train.form.validate_now() is None
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: train.source is None and train.progress.status == "done", timeout=90)
        plot = app.query_one("#train-plot", LossPlot)
        await wait_until(pilot, lambda: min(plot.plotted) >= 2)  # the plot redraws on its own timer
        run_id = train.progress.run
        # Checkpoints: the run's best and latest appear; Enter opens the highlighted one in the REPL.
        await pilot.press("f4")
        pane = app.query_one(CheckpointsPane)
        await wait_until(pilot, lambda: {s.stem for s in pane.summaries if s.run_id == run_id} >= {"best", "latest"})
        await pilot.press("enter")
        repl = app.query_one(ReplPane)
        assert app.current_pane == "repl"
        await wait_until(pilot, lambda: repl.loaded is not None and repl.loaded.run.id == run_id)
        # REPL: a prompt streams tokens into the transcript.
        await pilot.press(*"The ", "enter")
        await wait_until(pilot, lambda: repl.exchanges and repl.exchanges[0].finished)
        assert repl.exchanges[0].prompt == "The "
        # The sonnets are almost all sonnets, so the REPL starts in that form; ctrl+f cycles on to free verse.
        status = app.query_one("#repl-status")
        assert "form sonnet" in text_of(status)
        assert satisfies(repl.exchanges[0].prompt + repl.exchanges[0].completion, FORMS["sonnet"])
        await pilot.press("ctrl+f", "ctrl+f", "ctrl+f", "ctrl+f")
        assert "form free" in text_of(status) and "length 200" in text_of(status)
        # Temperature and length by keys: the status line follows.
        await pilot.press("ctrl+up", "ctrl+up")
        assert "temp 0.90" in text_of(status)
        await pilot.press("ctrl+down")
        assert "temp 0.85" in text_of(status)
        await pilot.press("alt+up")
        assert "length 216" in text_of(status)
        await pilot.press("alt+down", "alt+down")
        assert "length 184" in text_of(status)
        # Escape stops a long completion (a huge length, no stop at the end of a poem).
        repl.settings.max_tokens = 1_000_000
        await pilot.press("ctrl+t")
        assert "poem stop off" in text_of(status)
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(repl.exchanges) == 2 and len(repl.exchanges[1].completion) > 50)
        await pilot.press("escape")
        await wait_until(pilot, lambda: repl.exchanges[1].finished)
        assert "stopped" in repl.exchanges[1].footer
        assert repl.streaming is None
        assert not app.errors()

    run_app(app, script)


def test_a_crashing_child_is_shown_as_failed_with_its_stderr(poet_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    crash = [sys.executable, "-c", "import sys; print('CUDA exploded on line 7', file=sys.stderr); sys.exit(3)"]
    monkeypatch.setattr(ChildTraining, "command", property(lambda self: crash))
    app = RecordingApp()

    async def script(pilot: Pilot[Any]) -> None:
        train = app.query_one(TrainPane)
        await pilot.press("f3")
        await fill(pilot, train, {"corpus": "shakespeare-sonnets"})
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: train.source is None and train.progress.status == "failed")
        await pilot.pause(0.3)
        assert "exited with code 3" in (train.progress.error or "")
        assert "CUDA exploded on line 7" in text_of(app.query_one("#sample"))
        assert app.is_running  # the app stays up

    run_app(app, script)


def test_form_validation_is_inline_and_blocks_start(poet_home: Path) -> None:
    app = RecordingApp()

    async def script(pilot: Pilot[Any]) -> None:
        train = app.query_one(TrainPane)
        await pilot.press("f3")
        error = app.query_one("#form-error")
        assert "Pick a corpus" in text_of(error)
        await fill(pilot, train, {"corpus": "shakespeare-sonnets", "batch_size": "0"})
        assert text_of(error) == "Batch size must be at least 1."
        await fill(pilot, train, {"batch_size": "big"})
        assert text_of(error) == "Batch size must be a whole number or auto, not 'big'."
        await fill(pilot, train, {"batch_size": "auto"})
        assert text_of(error) == "" and "--batch-size=auto" in train.form.config().to_argv()
        await fill(pilot, train, {"batch_size": "8", "dropout": "1.5"})
        assert text_of(error) == "Dropout must be in [0, 1)."
        await fill(pilot, train, {"dropout": "0.2", "corpus": "no-such-corpus"})
        assert "no corpus named 'no-such-corpus'" in text_of(error)
        await pilot.press("ctrl+s")
        assert train.source is None
        assert app.errors()
        # A preset fills in its values.
        await fill(pilot, train, {"corpus": "tang300"})
        train.form.query_one("#field-preset", Select).value = "word-gpu"
        await pilot.pause()
        assert train.form.widget_for("hidden").value == "650"  # type: ignore[attr-defined]
        assert train.form.validate_now() is None

    run_app(app, script)


def test_adding_a_corpus_and_a_bad_path(poet_home: Path, tiny_corpus: Path) -> None:
    app = RecordingApp()

    async def script(pilot: Pilot[Any]) -> None:
        pane = app.query_one(CorpusPane)
        await pilot.press("ctrl+n", *str(tiny_corpus), "enter")
        await wait_until(pilot, lambda: "tiny-poems" in pane.entries)
        assert pane.highlighted == "tiny-poems"
        await wait_until(pilot, lambda: "tiny-poems" in pane.previews)
        assert pane.previews["tiny-poems"].stats.documents == 40
        await pilot.press("ctrl+n", *"/no/such/poems.txt", "tab", *"mine", "enter")
        await wait_until(pilot, lambda: app.errors())
        assert "does not exist" in app.errors()[0]

    run_app(app, script)


def test_checkpoints_sort_and_delete(fixed_home: Path) -> None:
    shutil.copytree(fixed_home / "runs" / FIXED_RUN, fixed_home / "runs" / OTHER_RUN)
    with open(fixed_home / "runs" / OTHER_RUN / "metrics.jsonl", "a", encoding="utf-8") as log:
        log.write('{"event": "start", "run": "x", "device": "cpu", "params": 9000}\n{"event": "step", "step": 90}\n')
    app = RecordingApp()

    async def script(pilot: Pilot[Any]) -> None:
        pane = app.query_one(CheckpointsPane)
        await wait_until(pilot, lambda: app.engine_ready)
        await pilot.press("f4")
        await wait_until(pilot, lambda: len(pane.runs) == 2)
        table = app.query_one("#checkpoint-table", DataTable)
        while pane.sort_key != "steps":
            await pilot.press("s")
        steps = [table.get_row_at(index)[4].plain for index in range(table.row_count)]
        assert steps == ["60", "90"]
        await pilot.press("S")
        steps = [table.get_row_at(index)[4].plain for index in range(table.row_count)]
        assert steps == ["90", "60"]
        # Delete the fixed run's latest checkpoint: the modal asks which; Escape keeps everything.
        await pilot.press("down", "right", "down", "down")
        assert pane.selected is not None and (pane.selected.run_id, pane.selected.stem) == (FIXED_RUN, "latest")
        await pilot.press("d", "escape")
        assert len(pane.summaries) == 4
        await pilot.press("d", "left", "left", "enter")
        await wait_until(pilot, lambda: len(pane.summaries) == 3)
        assert [s.stem for s in pane.summaries if s.run_id == FIXED_RUN] == ["best"]
        # The cursor went back to the checkpoint's run; on a run's row, d asks about the whole run.
        assert pane.highlighted == (pane.run_named(FIXED_RUN), None)
        await pilot.press("d", "left", "enter")
        await wait_until(pilot, lambda: len(pane.runs) == 1)
        assert not (fixed_home / "runs" / FIXED_RUN).exists()
        assert (fixed_home / "runs" / OTHER_RUN).exists()

    run_app(app, script)


def test_repl_keys_history_seed_and_refused_prompts(fixed_home: Path) -> None:
    app = RecordingApp(checkpoint=FIXED_RUN)

    async def script(pilot: Pilot[Any]) -> None:
        repl = app.query_one(ReplPane)
        assert app.current_pane == "repl"
        await wait_until(pilot, lambda: repl.loaded is not None)
        # Settings form: top-k, top-p and a seed, changed by typing.
        await pilot.press("f6", *"5", "tab", "end", "ctrl+u", *"0.9", "tab", *"42")
        assert (repl.settings.top_k, repl.settings.top_p, repl.settings.seed) == (5, 0.9, 42)
        status = text_of(app.query_one("#repl-status"))
        assert "top-k 5" in status and "top-p 0.90" in status and "seed 42" in status
        await pilot.press("f6")  # hide the form, back to the prompt
        # An empty prompt starts a new poem; ctrl+r regenerates it: same seed, same text.
        await pilot.press("enter")
        await wait_until(pilot, lambda: repl.exchanges and repl.exchanges[0].finished)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: len(repl.exchanges) == 2 and repl.exchanges[1].finished)
        assert repl.exchanges[0].prompt == repl.exchanges[1].prompt == ""
        assert repl.exchanges[0].completion == repl.exchanges[1].completion
        # Characters the model never saw: refused with the engine's sentence, nothing generated.
        await pilot.press(*"Жизнь", "enter")
        await pilot.pause()
        assert len(repl.exchanges) == 2
        assert any("never saw" in error for error in app.errors())
        # History: up brings back earlier prompts.
        await pilot.press(*"Shall I", "enter")
        await wait_until(pilot, lambda: len(repl.exchanges) == 3 and repl.exchanges[2].finished)
        prompt = app.query_one("#prompt")
        await pilot.press("up")
        assert prompt.value == "Shall I"  # type: ignore[attr-defined]
        await pilot.press("up")
        assert prompt.value == "Жизнь"  # type: ignore[attr-defined]
        await pilot.press("down", "down")
        assert prompt.value == ""  # type: ignore[attr-defined]

    run_app(app, script)


def test_pause_quit_leaving_it_running_reattach_stop_and_resume(poet_home: Path) -> None:
    pids: list[int] = []
    children: list[Any] = []  # the child's Popen: this test process is its parent, so it must reap it

    async def first(pilot: Pilot[Any]) -> None:
        app = pilot.app
        train = app.query_one(TrainPane)
        await pilot.press("f3")
        await fill(pilot, train, {"corpus": "shakespeare-sonnets", **TINY_RUN, "max_steps": "1000000"})
        await fill(pilot, train, {"eval_every": "400"})
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: train.progress.step >= 4, timeout=60)
        assert train.source is not None and train.source.pid is not None
        pids.append(train.source.pid)
        children.append(train.source.process)  # type: ignore[attr-defined]
        await pilot.press("ctrl+y")
        assert train.source.paused
        # The child stops itself (pausing.py) once its SIGTSTP handler runs: on a busy machine, not at once.
        await wait_until(pilot, lambda: psutil.Process(pids[0]).status() == psutil.STATUS_STOPPED, timeout=60)
        await pilot.press("ctrl+y")
        assert not train.source.paused
        # Quit: the app asks; "Leave it running" (one to the left of "Don't quit").
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("left", "enter")
        await wait_until(pilot, lambda: not app.is_running)

    async def second(pilot: Pilot[Any]) -> None:
        app = pilot.app
        train = app.query_one(TrainPane)
        await wait_until(pilot, lambda: train.source is not None and train.progress.step > 4, timeout=60)
        assert train.source is not None and train.source.pid == pids[0]  # re-attached, following metrics.jsonl
        step = train.progress.step
        await wait_until(pilot, lambda: train.progress.step > step)  # it kept training, and we see it live
        await pilot.press("f3", "ctrl+t")
        await wait_until(pilot, lambda: train.source is None and children[0].poll() is not None, timeout=60)
        assert train.progress.status == "stopped", (train.progress.error, children[0].returncode)
        run_id = train.progress.run
        # Resume it from the list of earlier runs.
        select = app.query_one("#earlier-runs", Select)
        await wait_until(pilot, lambda: any(f"{run_id} · stopped" in str(label) for label, _ in select._options))
        select.value = run_id
        stopped_at = train.progress.step
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: train.progress.run == run_id and train.progress.step > stopped_at, timeout=60)
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: train.source is None, timeout=60)
        assert train.progress.status == "stopped"

    try:
        run_app(PoetApp(), first)
        assert process_alive(pids[0])  # left running, its pipes drained
        run_app(PoetApp(), second)
    finally:
        for pid in pids:
            if process_alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_long_completion_is_shown_whole_in_bounded_segments(
    fixed_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """3,000 tokens, every one of them shown once and in order, in segments of bounded size so a batch redraws
    only the last one. Where a segment is cut depends on how the tokens were batched (by time), so the bounds
    checked are the ones that hold for any batching. How fast the transcript shows them is a benchmark
    (benchmarks/transcript_speed.py), not a test."""
    import poet_tui.sample
    from poet_tui.app.transcript import SEGMENT_CHARS

    streamed: list[str] = []  # every piece the generating thread took from the model, in order
    stream_completion = poet_tui.sample.stream_completion

    def recording_stream(*args: Any, **kwargs: Any) -> Iterator[str]:
        stream = stream_completion(*args, **kwargs)
        try:
            for piece in stream:
                streamed.append(piece)
                yield piece
        finally:
            stream.close()

    monkeypatch.setattr(poet_tui.sample, "stream_completion", recording_stream)
    app = RecordingApp(checkpoint=FIXED_RUN)

    async def script(pilot: Pilot[Any]) -> None:
        repl = app.query_one(ReplPane)
        await wait_until(pilot, lambda: repl.loaded is not None, timeout=120)
        streamed.clear()  # the two tokens that warmed the model up as it loaded
        repl.settings.max_tokens = 3000
        await pilot.press("ctrl+t", "enter")  # no stop at the end of a poem
        await wait_until(pilot, lambda: repl.exchanges and repl.exchanges[0].finished, timeout=120)
        exchange = repl.exchanges[0]
        assert exchange.footer.startswith("3,000 tokens")
        completion = "".join(streamed)
        assert exchange.completion == completion  # every batch of pieces arrived once, in order
        segments = [text_of(segment) for segment in exchange.query(".segment")]
        segments[0] = segments[0].removeprefix("(a new poem)\n")
        assert "\n".join(segments) == completion  # shown whole, cut only at line ends
        # The last segment, the one each batch redraws, is at most SEGMENT_CHARS long unless it is one line.
        assert len(segments[-1]) <= SEGMENT_CHARS or "\n" not in segments[-1][1:]
        # An earlier one was cut at its last line end when a batch took it past SEGMENT_CHARS: so it is at most
        # that long (or one line) plus one batch, and with the rest of its line it was past SEGMENT_CHARS.
        batch = max(len(piece) for piece in exchange.pieces)
        line = max(len(text) for text in completion.split("\n"))
        for segment, following in itertools.pairwise(segments):
            assert len(segment) < max(SEGMENT_CHARS, line + 1) + batch
            assert len(segment) + 1 + len(following.split("\n", 1)[0]) > SEGMENT_CHARS

    run_app(app, script)


def test_a_60_by_20_terminal_stacks_the_columns_instead_of_squeezing_them(fixed_home: Path) -> None:
    """Issue 5: the app stays usable in a 60×20 terminal; at 120 columns the columns stand side by side."""
    app = PoetApp(load_engine=False)

    async def script(pilot: Pilot[Any]) -> None:
        await pilot.pause()
        assert app.has_class("-narrow")
        stats = app.query_one("#corpus-stats")
        assert stats.size.width >= 50  # full width below the table, not a sliver beside it
        await pilot.press("f3")
        await pilot.pause()
        assert app.query_one("#train-live").size.width >= 50
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert not app.has_class("-narrow")
        assert app.query_one("#train-live").region.x > app.query_one("#train-left").region.x

    run_app(app, script, size=(60, 20))
