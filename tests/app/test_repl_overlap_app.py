"""Issue #12 in the REPL: the loaded model's overlap index is built in a worker ("indexing…" until then), copied
spans are highlighted with the engine's own novelty, N is typed in the F6 row (0 refused), alt+n / alt+p walk the
spans and the side panel names a source line that holds each one. Relations only: never which text a seed samples."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input

from poet_tui.app import repl_overlap
from poet_tui.app.overlap_panel import OverlapPanel
from poet_tui.app.overlap_view import novelty_text
from poet_tui.app.repl_pane import ReplPane
from poet_tui.app.sampling_form import SamplingForm
from poet_tui.corpus_registry import resolve_corpus
from poet_tui.errors import PoetError
from poet_tui.overlap import copied_spans, novelty
from poet_tui.runs import Run
from tests.helpers.pilot import RecordingApp, run_app, text_of, wait_until


async def complete(pilot: Pilot[Any], repl: ReplPane) -> Any:
    count = len(repl.exchanges)
    repl.focus_default()
    await pilot.press("enter")
    await wait_until(pilot, lambda: len(repl.exchanges) > count and repl.exchanges[max(repl.exchanges)].finished)
    return repl.exchanges[max(repl.exchanges)]


def test_copied_spans_are_highlighted_measured_and_traced_to_their_source_line(
    trained_run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    build = repl_overlap.overlaps_for_run

    def held(run: Run) -> Any:
        release.wait(30)
        return build(run)

    monkeypatch.setattr(repl_overlap, "overlaps_for_run", held)
    app = RecordingApp(checkpoint=trained_run.id)
    documents = resolve_corpus(trained_run.config().corpus).documents

    async def script(pilot: Pilot[Any]) -> None:
        repl = app.query_one(ReplPane)
        status = app.query_one("#repl-status")
        await wait_until(pilot, lambda: repl.loaded is not None and repl.indexing)
        await pilot.pause(0.05)
        assert text_of(status).endswith("indexing…")
        release.set()
        await wait_until(pilot, lambda: repl.overlaps is not None)
        assert text_of(status).endswith("copies ≥ 12")

        await pilot.press("f6")
        form = app.query_one(SamplingForm)
        form.query_one("#setting-min_copy").focus()
        await pilot.press("end", "ctrl+u", "0")
        assert form.error is not None and form.error.startswith("Min copy is a whole number") and repl.min_copy == 12
        await pilot.press("backspace", "2")  # two characters: a tiny model surely copies some pairs
        assert form.error is None and repl.min_copy == 2
        await pilot.press("f6")

        repl.settings.max_tokens = 120
        repl.settings.seed = 3
        exchange = await complete(pilot, repl)
        text = exchange.completion
        assert exchange.matches is not None and len(exchange.matches) == len(text)
        spans = copied_spans(repl.overlaps.index.matcher().feed(text), 2)
        assert exchange.spans == spans and spans
        share = novelty(len(text), spans)
        assert 0.0 <= exchange.novelty == share <= 1.0
        assert novelty_text(share) in text_of(status)
        assert text_of(exchange.query_one(".exchange-footer")).endswith(novelty_text(share))

        panel = app.query_one(OverlapPanel)
        assert not panel.display
        for number in range(min(len(spans), 6)):
            await pilot.press("alt+n")
            assert exchange.selected == number and panel.display
            span, copied = spans[number], repl.selected_span_text
            assert copied == text[span.start : span.end]
            # the panel names the first line the copy has words of (a copy may begin with a line end)
            skipped = min(len(copied) - len(copied.lstrip("\n")), len(copied) - 1)
            number = span.source.line + skipped
            line = documents[span.source.document].text.split("\n")[number - 1]
            first_line = copied[skipped:].split("\n")[0]
            assert first_line in line and f"line {number}" in text_of(panel)
            assert first_line in text_of(panel)
        if len(spans) > 1:
            await pilot.press("alt+p")
            assert exchange.selected == min(len(spans), 6) - 2
            # A real terminal sends alt+n as ESC n: a key that also carries the character "n", which the focused
            # prompt would type unless the binding comes first.
            prompt = app.query_one("#prompt", Input)
            prompt.focus()
            await pilot.pause()
            before = prompt.value
            app.post_message(events.Key("alt+n", "n"))
            await pilot.pause()
            assert prompt.value == before and exchange.selected == min(len(spans), 6) - 1

        await pilot.press("ctrl+n")  # 2 → 8: spans are cut again, the selection goes
        assert repl.min_copy == 8 and exchange.selected is None and not panel.display
        assert exchange.spans == copied_spans(exchange.matches, 8)
        assert form.query_one("#setting-min_copy").value == "8"

    run_app(app, script)


def test_an_index_that_cannot_be_had_is_one_sentence_and_the_repl_goes_on(
    trained_run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    def changed(run: Run) -> Any:
        raise PoetError(f"the corpus has changed since run {run.id} trained on it.")

    monkeypatch.setattr(repl_overlap, "overlaps_for_run", changed)
    app = RecordingApp(checkpoint=trained_run.id)

    async def script(pilot: Pilot[Any]) -> None:
        repl = app.query_one(ReplPane)
        await wait_until(pilot, lambda: repl.loaded is not None and repl.overlap_problem is not None)
        assert text_of(app.query_one("#repl-status")).endswith(
            f"no highlighting: The corpus has changed since run {trained_run.id} trained on it."
        )
        repl.settings.max_tokens = 20
        repl.settings.stop_at_end_of_poem = False  # a first token that ends the poem must not leave it empty
        exchange = await complete(pilot, repl)
        assert exchange.completion and exchange.matches is None and exchange.novelty is None
        assert "novelty" not in text_of(exchange.query_one(".exchange-footer"))
        await pilot.press("alt+n")
        assert not app.query_one(OverlapPanel).display and not app.errors()

    run_app(app, script)
