"""The REPL's forms, by keyboard: ctrl+f and the F6 row pick a form, completions from a tiny trained (English) model
are in it (checked with `satisfies`, never by their text), refusals are one sentence and the REPL goes on."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, Select

from poet_tui.app.form_picker import FormPicker
from poet_tui.app.repl_pane import ReplPane
from poet_tui.form_choice import FormChoice
from poet_tui.forms import satisfies
from poet_tui.runs import Run
from tests.helpers.pilot import RecordingApp, run_app, text_of, wait_until


async def complete(pilot: Pilot[Any], repl: ReplPane, prompt: str = "") -> str:
    """Type a prompt, wait for its completion, and return the whole poem (prompt and completion)."""
    count = len(repl.exchanges)
    await pilot.press(*prompt, "enter")
    await wait_until(pilot, lambda: len(repl.exchanges) > count and repl.exchanges[max(repl.exchanges)].finished)
    exchange = repl.exchanges[max(repl.exchanges)]
    return exchange.prompt + exchange.completion


async def cycle_to(pilot: Pilot[Any], repl: ReplPane, name: str) -> None:
    for _ in range(12):
        if repl.form_choice.name == name:
            return
        await pilot.press("ctrl+f")
    raise AssertionError(f"ctrl+f never reached {name}")


def in_form(poem: str, name: str, **options: Any) -> bool:
    form = FormChoice.of(name, **options).form()
    assert form is not None
    return satisfies(poem, form)


def test_ctrl_f_picks_a_form_the_status_shows_it_and_a_refusal_keeps_the_repl_going(trained_run: Run) -> None:
    app = RecordingApp(checkpoint=trained_run.id)

    async def script(pilot: Pilot[Any]) -> None:
        repl = app.query_one(ReplPane)
        await wait_until(pilot, lambda: repl.loaded is not None)
        status = app.query_one("#repl-status")
        assert text_of(status).startswith("form free · temp 0.80 · length 200")
        await cycle_to(pilot, repl, "quatrain")
        assert text_of(status).startswith("form quatrain, ends when complete · temp 0.80 · top-k")
        assert "length" not in text_of(status)
        poem = await complete(pilot, repl)
        assert in_form(poem, "quatrain"), poem
        assert repl.exchanges[0].footer.endswith("form complete")
        await pilot.press("ctrl+f")
        assert "form couplets:2" in text_of(status)
        poem = await complete(pilot, repl, "The")
        assert poem.startswith("The") and in_form(poem, "couplets:2"), poem
        # An English model cannot write a wulv: one sentence, nothing left in the transcript, the REPL goes on.
        await cycle_to(pilot, repl, "wulv")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.errors())
        assert app.errors() == ["this model never saw '，', '。', CJK characters, so it cannot write the form wulv."]
        assert len(repl.exchanges) == 2 and repl.streaming is None and len(app.query(".exchange")) == 2
        await cycle_to(pilot, repl, "free")
        repl.settings.max_tokens = 20
        poem = await complete(pilot, repl, "The")
        assert len(repl.exchanges) == 3 and poem.startswith("The") and len(app.errors()) == 1

    run_app(app, script)


def test_the_settings_row_picks_a_form_by_keyboard_and_refuses_what_does_not_fit(trained_run: Run) -> None:
    app = RecordingApp(checkpoint=trained_run.id)

    async def script(pilot: Pilot[Any]) -> None:
        repl = app.query_one(ReplPane)
        picker = app.query_one(FormPicker)
        await wait_until(pilot, lambda: repl.loaded is not None)
        await pilot.press("f6", *["tab"] * 5)  # from top-k (where F6 starts) past top-p, seed, poem stop, min copy
        assert app.focused is app.query_one("#form-name", Select)
        await pilot.press("enter", *["down"] * 8, "enter")  # the list opens at free; couplets is last
        await wait_until(pilot, lambda: repl.form_choice.name == "couplets:2")
        await pilot.press("tab", "ctrl+u", "3")  # N
        assert repl.form_choice.name == "couplets:3"
        await pilot.press("ctrl+u", "2", "tab", *"LO")  # a bad acrostic: one sentence, the form stays
        assert picker.error == "A couplets:2 has 4 lines, so its acrostic needs 4 letters, not 2; it stays off."
        assert repl.form_choice == FormChoice("couplets:2")
        await pilot.press(*"VE", "tab", "space")  # LOVE fits; rhyme on
        assert picker.error is None
        await pilot.press("tab", "space")  # metre does not fit couplets
        assert (
            picker.error == "Metre counts a sonnet's syllables (9 to 11 a line); use it with form sonnet; it stays off."
        )
        assert not app.query_one("#form-metre", Checkbox).value
        assert repl.form_choice == FormChoice("couplets:2", "LOVE", rhyme=True)
        assert "form couplets:2 (acrostic LOVE, rhyme), ends when complete" in text_of(app.query_one("#repl-status"))
        await pilot.press("f6")  # back to the prompt
        poem = await complete(pilot, repl)
        assert in_form(poem, "couplets:2", acrostic="LOVE", rhyme=True), poem
        assert not app.errors()

    run_app(app, script)


def test_a_model_of_a_corpus_mostly_in_one_form_starts_in_it_and_forced_steps_are_shown(
    trained_run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    import poet_tui.form_constraint

    files = trained_run.checkpoint("best")
    assert files is not None
    metadata = json.loads(files.metadata.read_text(encoding="utf-8"))
    files.metadata.write_text(json.dumps({**metadata, "forms": {"quatrain": 0.8, "sonnet": 0.1}}), encoding="utf-8")
    # Every step that goes through the mask counts as forced, and the first step of the completion always goes
    # through it (its lazy check is refused once): without that, only the draws that broke the form would count,
    # and whether there are any is luck.
    monkeypatch.setattr(poet_tui.form_constraint, "FORCED_BELOW", 2.0)
    allows = poet_tui.form_constraint.FormConstraint.allows
    refused: list[int] = []

    def allows_but_the_first(self: Any, token_id: int) -> bool:
        if not refused:
            refused.append(token_id)
            return False
        return allows(self, token_id)

    monkeypatch.setattr(poet_tui.form_constraint.FormConstraint, "allows", allows_but_the_first)
    app = RecordingApp(checkpoint=trained_run.id)

    async def script(pilot: Pilot[Any]) -> None:
        repl = app.query_one(ReplPane)
        await wait_until(pilot, lambda: repl.loaded is not None)
        assert repl.form_choice == FormChoice("quatrain")
        assert app.query_one(Select).value == "quatrain"
        notes = " ".join(text_of(note) for note in app.query(".note"))
        assert "This model's corpus is mostly quatrain (80% of its poems)" in notes
        poem = await complete(pilot, repl)
        assert in_form(poem, "quatrain"), poem
        assert re.search(r" · [1-9][0-9,]* steps? forced by the form$", repl.exchanges[0].footer)
        assert "· form complete ·" in repl.exchanges[0].footer

    run_app(app, script)
