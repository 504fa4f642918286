"""Reading the REPL's lens in tests: finish a completion, and the styles the transcript gave each character of an
exchange's completion (from the segments' Content spans, never from pixels)."""

from __future__ import annotations

from typing import Any

from textual.content import Content
from textual.pilot import Pilot
from textual.style import Style
from textual.widgets import Static

from poet_tui.app.repl_pane import ReplPane
from poet_tui.app.transcript import Exchange
from tests.helpers.pilot import wait_until


async def complete(pilot: Pilot[Any], repl: ReplPane, prompt: str = "") -> Exchange:
    """Type `prompt`, press Enter, and wait for the completion to finish."""
    count = len(repl.exchanges)
    repl.focus_default()
    await pilot.press(*prompt, "enter")
    await wait_until(pilot, lambda: len(repl.exchanges) > count and repl.exchanges[max(repl.exchanges)].finished)
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
