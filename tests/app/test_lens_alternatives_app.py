"""Issue #18's alternatives in the REPL: f8 puts a cursor on the latest completion's tokens (scoring it first if
the lens was off), the side panel lists the top-k alternatives the model weighed there, most likely first; ←/→ and
a click move the cursor, Enter on an alternative branches: a new completion streams from that position with that
token, and the earlier one stays in the transcript. Relations only: never which text a seed samples."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import OptionList

from poet_tui.app.lens_panel import AlternativeList, AlternativesPanel
from poet_tui.app.lens_view import CURSOR
from poet_tui.app.repl_lens import TOP_K
from poet_tui.app.repl_pane import ReplPane
from poet_tui.app.transcript import Segment
from poet_tui.runs import Run
from tests.helpers.lens import complete, completion_styles, first_token_offset, has_style, lens_settled
from tests.helpers.pilot import RecordingApp, run_app, text_of, wait_until


def test_f8_shows_the_alternatives_and_enter_on_one_branches_keeping_the_earlier_completion(trained_run: Run) -> None:
    app = RecordingApp(checkpoint=trained_run.id)

    async def script(pilot: Pilot[Any]) -> None:
        repl = app.query_one(ReplPane)
        await wait_until(pilot, lambda: repl.loaded is not None)
        repl.settings.max_tokens, repl.settings.seed = 30, 5
        earlier = await complete(pilot, repl, "The ")
        earlier_text, earlier_ids = earlier.completion, list(earlier.token_ids or [])
        panel = app.query_one(AlternativesPanel)
        assert not panel.display

        await pilot.press("f8")  # the lens was off: it turns to probability and scores first
        await lens_settled(pilot, repl)
        await wait_until(pilot, lambda: panel.display)
        assert repl.lens_mode == "confidence" and earlier.cursor == 0
        options = app.query_one(AlternativeList)
        assert app.focused is options
        vocabulary = repl.loaded.model.config.vocab_size
        assert options.option_count == min(TOP_K, vocabulary) == len(panel.alternatives)
        probabilities = [alternative.probability for alternative in panel.alternatives]
        assert probabilities == sorted(probabilities, reverse=True) and 0 < sum(probabilities) <= 1.0001
        assert text_of(panel.query_one("#lens-token")).startswith(f"token 1 of {len(earlier.scores or [])} ")

        await pilot.press("right", "right")
        scores = earlier.scores or []
        assert earlier.cursor == 2 and text_of(panel.query_one("#lens-token")).startswith("token 3 of ")
        marked = completion_styles(earlier)
        assert all(has_style(marked[position], CURSOR) for position in range(scores[2].start, scores[2].end))
        assert not any(has_style(marked[position], CURSOR) for position in range(scores[0].start, scores[0].end))
        await pilot.press("left")
        assert earlier.cursor == 1
        position = earlier.cursor
        drawn = scores[position].token_id
        await pilot.press("down")
        chosen = panel.alternatives[options.highlighted or 0]

        await pilot.press("enter")
        await wait_until(pilot, lambda: len(repl.exchanges) == 2 and repl.exchanges[max(repl.exchanges)].finished)
        branch = repl.exchanges[max(repl.exchanges)]
        assert branch is not earlier and not panel.display and repl.cursor_exchange is None
        assert earlier.completion == earlier_text and earlier.token_ids == earlier_ids  # the earlier one is kept
        assert branch.context_ids == [*(earlier.context_ids or []), *earlier_ids[:position], chosen.token_id]
        assert branch.shared == earlier_text[: scores[position].start] and branch.choice == chosen.text
        assert branch.prompt == earlier.prompt and branch.completion and branch.token_ids
        assert chosen.token_id != drawn or options.highlighted == 1
        assert f"token {position + 1}" in text_of(app.query(".note").last())
        # The branch is scored too (the lens is on), after exactly the ids it was drawn from.
        await lens_settled(pilot, repl)
        assert branch.scores is not None and [t.token_id for t in branch.scores] == branch.token_ids

        # A click on a token of the branch puts the cursor there.
        segment = branch.query(Segment).first()
        offset, clicked = first_token_offset(segment)
        await pilot.click(segment, offset=offset)
        await wait_until(pilot, lambda: repl.cursor_exchange == branch.exchange_id)
        assert branch.cursor == clicked and panel.display
        await pilot.press("escape")  # back to the prompt; the cursor is put away
        assert not panel.display and branch.cursor is None and app.focused is app.query_one("#prompt")
        assert isinstance(options, OptionList) and app.errors() == []

    run_app(app, script)


def test_at_80x24_the_panel_leaves_the_transcripts_text_beside_it(trained_run: Run) -> None:
    """The cursor's token and every line of text stay left of the alternatives panel, and get the room back when
    it closes."""
    app = RecordingApp(checkpoint=trained_run.id)

    async def script(pilot: Pilot[Any]) -> None:
        repl = app.query_one(ReplPane)
        await wait_until(pilot, lambda: repl.loaded is not None)
        repl.settings.max_tokens, repl.settings.seed = 120, 5
        exchange = await complete(pilot, repl, "The ")
        transcript = app.query_one("#transcript")
        full_width = transcript.content_region.width
        await pilot.press("f8")
        panel = app.query_one(AlternativesPanel)
        await wait_until(pilot, lambda: panel.display and exchange.cursor == 0)
        await pilot.pause()
        assert transcript.content_region.right <= panel.region.x
        for segment in exchange.query(Segment):
            assert segment.region.right <= panel.region.x
        await pilot.press("escape")
        await pilot.pause()
        assert not panel.display and transcript.content_region.width == full_width
        assert app.errors() == []

    run_app(app, script, size=(80, 24))
