"""Issue #18 in the REPL: f7 cycles the lens off → probability → surprisal → off (cells join once f9 chose a unit),
the latest completion is scored in a worker from the exact ids it drew and each token is coloured from its own
score, with a legend; the interface answers keys while the scoring worker runs. Relations only: never which text
a seed samples."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from textual.pilot import Pilot

from poet_tui.app import repl_lens
from poet_tui.app.lens_view import confidence_colour, surprisal_colour
from poet_tui.app.repl_pane import ReplPane
from poet_tui.lens import scoring
from poet_tui.runs import Run
from tests.helpers.lens import backgrounds, complete, completion_styles, lens_settled
from tests.helpers.pilot import RecordingApp, run_app, text_of, wait_until


def test_f7_colours_each_token_by_its_probability_then_its_surprisal_with_a_legend(
    trained_run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    asked: list[tuple[list[int], list[int]]] = []
    score = scoring.score_token_ids

    def held(model: Any, tokenizer: Any, context_ids: list[int], token_ids: list[int], top_k: int = 5) -> Any:
        asked.append((list(context_ids), list(token_ids)))
        release.wait(30)
        return score(model, tokenizer, context_ids, token_ids, top_k)

    monkeypatch.setattr(scoring, "score_token_ids", held)
    app = RecordingApp(checkpoint=trained_run.id)

    async def script(pilot: Pilot[Any]) -> None:
        repl = app.query_one(ReplPane)
        await wait_until(pilot, lambda: repl.loaded is not None)
        repl.settings.max_tokens, repl.settings.seed = 60, 3
        exchange = await complete(pilot, repl, "The ")
        legend = app.query_one("#lens-legend")
        assert repl.lens_mode == "off" and not legend.display and exchange.scores is None
        assert exchange.token_ids and len(exchange.token_ids) == exchange_tokens(exchange)

        await pilot.press("f7")
        assert repl.lens_mode == "confidence" and legend.display
        await wait_until(pilot, lambda: asked)
        # The worker holds the model; the interface still answers: temperature goes up, and the legend says so.
        temperature = repl.settings.temperature
        await pilot.press("ctrl+up")
        assert repl.settings.temperature > temperature and "working…" in text_of(legend)
        release.set()
        await lens_settled(pilot, repl)
        tokenizer = repl.loaded.tokenizer
        assert asked == [([tokenizer.end_of_document_id, *tokenizer.encode("The ")], exchange.token_ids)]
        scores = exchange.scores
        assert scores is not None and [token.token_id for token in scores] == exchange.token_ids
        styles = completion_styles(exchange)
        for token in scores:
            for position in range(token.start, min(token.end, len(exchange.completion))):
                assert backgrounds(styles[position]) == {confidence_colour(token.probability)}
        assert text_of(legend).startswith("lens: probability") and "≥80%" in text_of(legend)
        bits = sum(token.surprisal_bits for token in scores) / exchange.scored_characters
        assert f"{bits:.2f} bits/char" in text_of(legend)
        assert f"{bits:.2f} bits/char" in text_of(exchange.query_one(".exchange-footer"))

        await pilot.press("f7")
        assert repl.lens_mode == "surprisal" and len(asked) == 1  # the same scores, drawn another way
        styles = completion_styles(exchange)
        for token in scores:
            for position in range(token.start, min(token.end, len(exchange.completion))):
                assert backgrounds(styles[position]) == {surprisal_colour(token.surprisal_bits)}
        assert text_of(legend).startswith("lens: surprisal, bits")

        await pilot.press("f7")  # no unit chosen yet (f9): cells are skipped
        assert repl.lens_mode == "off" and not legend.display
        assert not any(backgrounds(styles) for styles in completion_styles(exchange))

        # With the lens on, the next completion is scored as soon as it ends.
        await pilot.press("f7")
        following = await complete(pilot, repl)
        await lens_settled(pilot, repl)
        assert following.scores is not None and len(asked) == 2 and asked[-1][1] == following.token_ids
        assert asked[-1][0] == [tokenizer.end_of_document_id]
        assert app.errors() == []

    run_app(app, script)


def exchange_tokens(exchange: Any) -> int:
    return int(exchange.footer.split(" tokens")[0].replace(",", ""))


def test_a_scoring_failure_is_one_sentence(trained_run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    from poet_tui.errors import PoetError

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise PoetError("every token id to score must be between 0 and 9, this model's vocabulary.")

    monkeypatch.setattr(scoring, "score_token_ids", refused)
    app = RecordingApp(checkpoint=trained_run.id)

    async def script(pilot: Pilot[Any]) -> None:
        repl = app.query_one(ReplPane)
        await wait_until(pilot, lambda: repl.loaded is not None)
        repl.settings.max_tokens = 20
        exchange = await complete(pilot, repl)
        await pilot.press("f7")
        await lens_settled(pilot, repl)
        assert exchange.scores is None
        assert app.errors() == ["Every token id to score must be between 0 and 9, this model's vocabulary."]
        assert repl_lens.TOP_K > 0

    run_app(app, script)


def test_the_lens_keys_are_in_the_footer_the_help_and_the_palette(poet_home: Any) -> None:
    from poet_tui.app.help_screen import help_content
    from poet_tui.app.palette import palette_commands

    app = RecordingApp(load_engine=False)

    async def script(pilot: Pilot[Any]) -> None:
        await pilot.press("f5")
        shown = {binding.key for (_, binding, enabled, _) in app.active_bindings.values() if binding.show}
        assert {"f7", "f8", "f9", "ctrl+s"} <= shown
        helps = {command.title: command.help for command in palette_commands(app)}
        assert helps["REPL: lens: colour tokens by probability, surprisal or a cell"].startswith("f7")
        assert helps["REPL: token cursor with the alternatives (Enter branches)"].startswith("f8")
        assert helps["REPL: score a text: paste or load a poem"].startswith("^s")
        assert helps["REPL: cells: hidden units that track features of the text"].startswith("f9")
        text = help_content().plain
        for section in ("Tokens and alternatives (f8 in REPL)", "Score a text (^s in REPL)", "Cells (f9 in REPL)"):
            assert section in text
        repl = app.query_one(ReplPane)
        await pilot.press("f7")  # no model yet: the mode still cycles, and nothing is scored
        assert repl.lens_mode == "confidence" and not repl.lens_pending and app.errors() == []

    run_app(app, script)
