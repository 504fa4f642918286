"""The Corpus pane lists a combined corpus like any other, previews poems of each part labelled by part, says
where it comes from, and shows a combination whose part was forgotten as the sentence that says so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from poet_tui.app.corpus_pane import CorpusPane, CorpusTable
from poet_tui.app.train_pane import TrainPane
from poet_tui.cli.main import main
from tests.helpers.pilot import RecordingApp, run_app, text_of, wait_until


def highlight(pane: CorpusPane, name: str) -> None:
    table = pane.query_one(CorpusTable)
    table.move_cursor(row=table.get_row_index(name))


def test_a_combined_corpus_is_listed_previewed_by_part_and_trained_on(poet_home: Path, tiny_corpus: Path) -> None:
    assert main(["corpora", "add", str(tiny_corpus), "--name", "tiny"]) == 0
    assert main(["corpora", "combine", "mix", "--from", "tiny:3", "song100"]) == 0
    assert main(["corpora", "combine", "broken", "--from", "tiny", "tang300"]) == 0
    app = RecordingApp()

    async def script(pilot: Pilot[Any]) -> None:
        pane = app.query_one(CorpusPane)
        await wait_until(pilot, lambda: "mix" in pane.entries)
        highlight(pane, "mix")
        await wait_until(pilot, lambda: "mix" in pane.previews)
        assert pane.previews["mix"].stats.documents == 141
        assert pane.previews["mix"].parts == ["tiny", "song100", "tiny"]
        await pilot.pause()
        preview = text_of(pane.query_one("#corpus-preview"))
        assert preview.startswith("[tiny] ") and "[song100] " in preview
        assert "combined: tiny ×3 + song100 ×1" in text_of(pane.query_one("#corpus-stats"))
        # Enter carries a combined corpus into the Train form, which takes it like any other
        pane.query_one(CorpusTable).focus()
        await pilot.press("enter")
        train = app.query_one(TrainPane)
        await wait_until(pilot, lambda: train.form.corpus == "mix")
        assert train.form.validate_now() is None
        # a part forgotten while the app is open: the combination says why it cannot be read
        await pilot.press("f2")
        assert main(["corpora", "rm", "tiny"]) == 0
        highlight(pane, "broken")
        await wait_until(pilot, lambda: "not registered any more" in text_of(pane.query_one("#corpus-stats")))
        assert "its part 'tiny' is not registered any more" in text_of(pane.query_one("#corpus-stats"))
        assert app.errors() == []  # said in the pane, not as a failure

    run_app(app, script)
