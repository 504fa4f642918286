"""The Corpus pane (F2): the table takes the width it needs and the preview the rest, verse is never wrapped,
the add row has room for a path and shows its keys, a taken name asks before replacing, and at 80×24 every part
is reached by Tab."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.containers import ScrollableContainer
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, Static
from textual.widgets._footer import FooterKey

from poet_tui.app.corpus_pane import CorpusPane
from poet_tui.app.modals import ReplaceCorpusScreen
from poet_tui.corpus_registration import add_corpus
from poet_tui.corpus_registry import user_corpora
from tests.helpers.pilot import RecordingApp, run_app, text_of, wait_until


def preview_lines(app: RecordingApp) -> list[str]:
    return text_of(app.query_one("#corpus-preview", Static)).split("\n")


async def previewed(pilot: Pilot[Any], app: RecordingApp, name: str) -> None:
    pane = app.query_one(CorpusPane)
    await wait_until(pilot, lambda: pane.highlighted == name and name in pane.previews)
    await pilot.pause()


def footer_keys(app: RecordingApp) -> dict[str, str]:
    return {key.description: key.key_display for key in app.query(FooterKey)}


def test_the_preview_gets_the_room_and_sonnet_lines_are_not_wrapped() -> None:
    app = RecordingApp(load_engine=False)

    async def script(pilot: Pilot[Any]) -> None:
        await previewed(pilot, app, "shakespeare-sonnets")
        lines = preview_lines(app)
        assert "From fairest creatures we desire increase," in lines  # a whole line, not wrapped
        scroll = app.query_one("#corpus-preview-scroll", ScrollableContainer)
        assert scroll.max_scroll_x == 0  # every line of the preview fits in view at 120×40
        assert scroll.scrollable_content_region.width >= max(len(line) for line in lines)
        # The table column keeps to what its cells need: the preview has most of the width.
        assert app.query_one("#corpus-left").size.width < 50 < scroll.size.width

    run_app(app, script)


def test_a_line_longer_than_the_preview_scrolls_sideways(tmp_path: Path) -> None:
    long_line = "Long " * 40  # 200 characters
    corpus = tmp_path / "long.txt"
    corpus.write_text(f"{long_line}\nshort line\n\n\nAnother poem\nwith two lines\n", encoding="utf-8")
    add_corpus(corpus, "long")
    app = RecordingApp(load_engine=False)

    async def script(pilot: Pilot[Any]) -> None:
        pane = app.query_one(CorpusPane)
        await wait_until(pilot, lambda: pane.highlighted is not None)
        while pane.highlighted != "long":
            await pilot.press("down")
        await previewed(pilot, app, "long")
        assert long_line.rstrip() in preview_lines(app)  # one line, not wrapped
        scroll = app.query_one("#corpus-preview-scroll", ScrollableContainer)
        assert scroll.max_scroll_x > 0
        scroll.focus()
        await pilot.press("right", "right")
        assert scroll.scroll_x > 0

    run_app(app, script)


def test_the_path_box_uses_the_row_and_its_keys_are_in_the_footer(tmp_path: Path) -> None:
    (tmp_path / "poems-folder").mkdir()
    (tmp_path / "poems-folder" / "verse.txt").write_text("a poem\nof two lines\n", encoding="utf-8")
    app = RecordingApp(load_engine=False)

    async def script(pilot: Pilot[Any]) -> None:
        await pilot.press("ctrl+n")
        path = app.query_one("#corpus-path", Input)
        assert app.focused is path
        assert path.size.width >= 60  # at 120×40 the whole add row, not 32 columns
        await pilot.pause()
        keys = footer_keys(app)
        assert keys.get("Add") == "⏎" and keys.get("Complete path") == "→"
        await pilot.press(*f"{tmp_path}/poems-f")
        await wait_until(pilot, lambda: path._suggestion != "")
        await pilot.press("right")  # completes the suggested folder
        assert path.value == f"{tmp_path}/poems-folder/"
        await pilot.press("enter")  # Enter adds
        pane = app.query_one(CorpusPane)
        await wait_until(pilot, lambda: "poems-folder" in pane.entries)
        app.query_one("#corpus-name", Input).focus()
        await pilot.pause()
        assert footer_keys(app).get("Add") == "⏎"

    run_app(app, script)


def registered() -> dict[str, Path]:
    return {entry.name: entry.path for entry in user_corpora()}


def test_adding_under_a_taken_name_asks_and_cancel_keeps_the_registered_one(tiny_corpus: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.txt"
    other.write_text(tiny_corpus.read_text(encoding="utf-8"), encoding="utf-8")
    add_corpus(tiny_corpus, "mine")
    app = RecordingApp(load_engine=False)

    async def script(pilot: Pilot[Any]) -> None:
        await pilot.press("ctrl+n", *str(other), "tab", *"mine", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ReplaceCorpusScreen))
        question = " ".join(text_of(label) for label in app.screen.query(".dialog-question"))
        assert "'mine' is already registered" in question and str(other) in question
        await pilot.press("enter")  # the default button keeps what is registered
        await wait_until(pilot, lambda: not isinstance(app.screen, ReplaceCorpusScreen))
        assert registered() == {"mine": tiny_corpus}
        assert any("Kept the registered corpus 'mine'" in note for note, _ in app.notes)
        # Asked again, the user moves to Replace with the keyboard.
        await pilot.press("enter")  # the name box still holds the path and name
        await wait_until(pilot, lambda: isinstance(app.screen, ReplaceCorpusScreen))
        await pilot.press("left", "enter")
        pane = app.query_one(CorpusPane)
        await wait_until(pilot, lambda: any("Replaced corpus 'mine'" in note for note, _ in app.notes))
        assert registered() == {"mine": other}
        assert pane.entries["mine"].path == other and pane.highlighted == "mine"

    run_app(app, script)


def test_a_bundled_name_is_refused_in_the_app(tiny_corpus: Path) -> None:
    app = RecordingApp(load_engine=False)

    async def script(pilot: Pilot[Any]) -> None:
        await pilot.press("ctrl+n", *str(tiny_corpus), "tab", *"tang300", "enter")
        await wait_until(pilot, lambda: app.errors())
        assert "bundled corpora cannot be replaced" in app.errors()[0]
        assert not isinstance(app.screen, ReplaceCorpusScreen) and registered() == {}

    run_app(app, script)


def test_at_80_by_24_tab_reaches_and_shows_every_part() -> None:
    app = RecordingApp(load_engine=False)

    async def script(pilot: Pilot[Any]) -> None:
        await previewed(pilot, app, "shakespeare-sonnets")
        screen_region = app.screen.region
        reached: list[str] = []
        for _ in range(7):
            focused = app.focused
            assert isinstance(focused, Widget) and focused.id is not None
            await pilot.pause()
            # Scrolled into view, whole, and with room to read (not a sliver).
            assert screen_region.contains_region(focused.region), focused.id
            wide_enough = {"corpus-name": 16, "corpus-add-button": 5}.get(focused.id, 40)
            assert focused.region.width >= wide_enough, focused.id
            reached.append(focused.id)
            await pilot.press("tab")
        expected = [
            "corpus-table",
            "corpus-stats",
            "corpus-preview-scroll",
            "corpus-path",
            "corpus-name",
            "corpus-add-button",
        ]
        assert all(part in reached for part in expected), reached
        stats = app.query_one("#corpus-stats")
        assert "94,346" in text_of(stats)  # its figures are there to read, not cut
        assert stats.region.height >= 8

    run_app(app, script, size=(80, 24))
