"""Reading the REPL's lens in tests: finish a completion, and the styles the transcript gave each character of an
exchange's completion (from the segments' Content spans, never from pixels)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.content import Content
from textual.pilot import Pilot
from textual.style import Style
from textual.widgets import Static

from poet_tui.app.repl_pane import ReplPane
from poet_tui.app.transcript import Exchange
from poet_tui.runs import Run
from tests.helpers.pilot import wait_until


async def complete(pilot: Pilot[Any], repl: ReplPane, prompt: str = "") -> Exchange:
    """Type `prompt`, press Enter, and wait for the completion to finish. The poem stop is turned off first, so
    a free completion is max_tokens tokens long whatever the seed draws: a first token that ends the poem would
    leave it empty, and a test must not hang on which text a seed happens to sample. (A form still ends its poem
    when the form is complete.)"""
    repl.settings.stop_at_end_of_poem = False
    count = len(repl.exchanges)
    repl.focus_default()
    await pilot.press(*prompt, "enter")
    await wait_until(pilot, lambda: len(repl.exchanges) > count and repl.exchanges[max(repl.exchanges)].finished)
    return repl.exchanges[max(repl.exchanges)]


def two_poems(run: Run) -> str:
    """Two poems of the run's corpus, two blank lines between them: text the model can spell."""
    poems = Path(run.config().corpus).read_text(encoding="utf-8").split("\n\n\n")
    return f"{poems[0]}\n\n\n{poems[1]}"


async def score(pilot: Pilot[Any], repl: ReplPane, text: str) -> Exchange:
    """Score `text` as a user does (ctrl+s, the text in the dialog, ctrl+s) and wait until its scores are in: a
    current text the test chose, never one a seed happened to draw."""
    from textual.widgets import TextArea

    from poet_tui.app.score_dialog import ScoreTextScreen

    count = len(repl.exchanges)
    await pilot.press("ctrl+s")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ScoreTextScreen))
    pilot.app.screen.query_one(TextArea).text = text
    await pilot.press("ctrl+s")
    await wait_until(pilot, lambda: len(repl.exchanges) > count)
    await lens_settled(pilot, repl)
    return repl.exchanges[max(repl.exchanges)]


async def lens_settled(pilot: Pilot[Any], repl: ReplPane) -> None:
    """Wait until no lens worker is scoring or tracing."""
    await wait_until(pilot, lambda: not repl.lens_pending)
    await pilot.pause()


def completion_styles(exchange: Exchange) -> list[list[Style | str]]:
    """For each character of the completion, the styles of the spans over it, across the exchange's segments."""
    styles: list[list[Style | str]] = [[] for _ in exchange.completion]
    segments = list(exchange.query(".segment").results(Static))
    for number, segment in enumerate(segments):
        content = segment.content
        assert isinstance(content, Content)
        body_start = len(content.plain) - segment_length(exchange, number)  # the first segment shows the prompt
        offset = exchange.segment_starts[number]
        for span in content.spans:
            for index in range(max(span.start, body_start), span.end):
                position = offset + index - body_start
                if 0 <= position < len(styles):
                    styles[position].append(span.style)
    return styles


def first_token_offset(segment: Static) -> tuple[tuple[int, int], int]:
    """Where a click lands on the first scored token shown in `segment` ((x, y) in the segment's content), and
    that token's index: whatever text the sample drew, so a test never clicks the prompt or the shared text by
    luck."""
    from poet_tui.app.lens_view import TOKEN_META

    content = segment.content
    assert isinstance(content, Content)
    width = segment.content_region.width
    token_at: dict[int, int] = {}
    for span in content.spans:
        meta = span.style.meta if isinstance(span.style, Style) else {}
        if isinstance(meta.get(TOKEN_META), int):
            for position in range(span.start, span.end):
                token_at.setdefault(position, meta[TOKEN_META])
    row = 0
    line_start = 0
    for position, character in enumerate(content.plain):
        if position - line_start >= width:
            break  # a wrapped line: its rows depend on where words break, so no offset is sure past here
        if character == "\n":
            row, line_start = row + 1, position + 1
        elif position in token_at:
            return (position - line_start, row), token_at[position]
    raise AssertionError(f"no scored token shown before a wrapped line in {content.plain!r}")


def segment_length(exchange: Exchange, number: int) -> int:
    starts = exchange.segment_starts
    end = starts[number + 1] - 1 if number + 1 < len(starts) else len(exchange.completion)
    return end - starts[number]


def backgrounds(styles: list[Style | str]) -> set[str]:
    """The background colours (as lower-case #rrggbb) among `styles`."""
    found: set[str] = set()
    for style in styles:
        parsed = Style.parse(style) if isinstance(style, str) else style
        if parsed.background is not None:
            found.add(parsed.background.hex.lower())
    return found


def has_style(styles: list[Style | str], wanted: Style) -> bool:
    return any(style == wanted for style in styles)
