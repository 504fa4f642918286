"""Issue #18's scored text in the REPL: ctrl+s opens a dialog to paste a poem or load one from a file; the text
is shown coloured by surprisal with its bits/char (the engine's own figure for that text), and the dialog refuses
an empty text, a missing file or one that is not UTF-8 in one sentence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from poet_tui.app.lens_view import surprisal_colour
from poet_tui.app.repl_pane import ReplPane
from poet_tui.app.score_dialog import ScoreTextScreen
from poet_tui.lens.scoring import score_text
from poet_tui.runs import Run
from tests.helpers.lens import backgrounds, completion_styles, lens_settled, two_poems
from tests.helpers.pilot import RecordingApp, run_app, text_of, wait_until


def test_ctrl_s_scores_a_loaded_poem_and_shows_where_the_model_is_surprised(trained_run: Run, tmp_path: Path) -> None:
    poem = two_poems(trained_run)
    poem_file = tmp_path / "two poems.txt"
    poem_file.write_text(poem, encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    app = RecordingApp(checkpoint=trained_run.id)

    async def script(pilot: Pilot[Any]) -> None:
        repl = app.query_one(ReplPane)
        await wait_until(pilot, lambda: repl.loaded is not None)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ScoreTextScreen))
        dialog = app.screen
        error = dialog.query_one("#score-error")
        await pilot.press("ctrl+s")  # nothing to score yet: a sentence, and the dialog stays
        assert app.screen is dialog and error.display and text_of(error).startswith("Paste a poem above")

        path = dialog.query_one("#score-path", Input)
        for name, sentence in (("nowhere.txt", "is not a file"), ("latin1.txt", "is not valid UTF-8")):
            path.focus()
            path.value = str(tmp_path / name)
            await pilot.press("enter")
            await wait_until(pilot, lambda said=sentence: said in text_of(error))  # type: ignore[misc]
        path.value = str(poem_file)
        await pilot.press("enter")
        area = dialog.query_one(TextArea)
        await wait_until(pilot, lambda: area.text == poem)
        assert not error.display
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is not dialog and repl.exchanges)
        await lens_settled(pilot, repl)

        exchange = repl.exchanges[max(repl.exchanges)]
        assert exchange.scored_text and exchange.completion == poem and repl.lens_mode == "surprisal"
        expected = score_text(repl.loaded.model, repl.loaded.tokenizer, poem)
        scores = exchange.scores or []
        assert [token.token_id for token in scores] == [token.token_id for token in expected.tokens]
        assert exchange.bits_per_char is not None and abs(exchange.bits_per_char - expected.bits_per_char) < 1e-9
        figure = f"{expected.bits_per_char:.2f} bits/char"
        assert figure in text_of(app.query_one("#lens-legend"))
        assert figure in text_of(exchange.query_one(".exchange-footer"))
        styles = completion_styles(exchange)
        for token in scores:
            for position in range(token.start, token.end):
                assert backgrounds(styles[position]) == {surprisal_colour(token.surprisal_bits)}
        assert app.errors() == []

    run_app(app, script)


def test_a_text_the_model_cannot_spell_is_one_sentence_in_the_footer_and_a_toast(trained_run: Run) -> None:
    app = RecordingApp(checkpoint=trained_run.id)

    async def script(pilot: Pilot[Any]) -> None:
        repl = app.query_one(ReplPane)
        await wait_until(pilot, lambda: repl.loaded is not None)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ScoreTextScreen))
        app.screen.query_one(TextArea).text = "月落乌啼霜满天"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: repl.exchanges)
        await lens_settled(pilot, repl)
        exchange = repl.exchanges[max(repl.exchanges)]
        assert exchange.scores is None
        [error] = app.errors()
        assert error.startswith("The text has characters this model never saw")
        assert "not scored: " in text_of(exchange.query_one(".exchange-footer"))

    run_app(app, script)


def test_a_file_or_a_paste_is_read_as_the_corpus_was(tmp_path: Path) -> None:
    """CR LF line ends become the newlines the model was trained on; a binary file is one sentence."""
    from poet_tui.app.score_dialog import plain_newlines, read_poem
    from poet_tui.errors import PoetError

    poem = tmp_path / "windows.txt"
    poem.write_bytes(b"The moon\r\nthe sea\r\n")
    assert read_poem(str(poem)) == "The moon\nthe sea\n"
    assert plain_newlines("a\r\nb\rc\n") == "a\nb\nc\n"
    binary = tmp_path / "image.png"
    binary.write_bytes(b"\x89PNG\r\n\x00\x00")
    with pytest.raises(PoetError, match="binary file"):
        read_poem(str(binary))
