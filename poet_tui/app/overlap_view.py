"""How copied spans look: a background colour per source poem (a small palette cycled by document number, so
two passages from one poem share a colour), the selected span underlined too, and the one-line novelty."""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content

from poet_tui.overlap import Span

# Dark backgrounds that keep the default text readable in both light and dark themes.
PALETTE = ("on #1f4e79", "on #6b2d5c", "on #2e6b30", "on #7a5a12", "on #4b3a8a", "on #7a2e2e")
SELECTED = "bold underline"


def colour_of(span: Span) -> str:
    return PALETTE[span.source.document % len(PALETTE)]


def highlighted(text: str, offset: int, regions: Sequence[Span], selected: Span | None = None) -> Content:
    """`text`, which starts at character `offset` of the completion, with the regions that fall in it coloured."""
    content = Content(text)
    end = offset + len(text)
    for region in regions:
        low, high = max(region.start, offset), min(region.end, end)
        if high > low:
            content = content.stylize(colour_of(region), low - offset, high - offset)
    if selected is not None:
        low, high = max(selected.start, offset), min(selected.end, end)
        if high > low:
            content = content.stylize(SELECTED, low - offset, high - offset)
    return content


def novelty_text(share: float) -> str:
    return f"novelty {share:.0%}"
