"""A completion long enough to be cut into several segments is coloured in all of them: a copy that began in
an earlier segment keeps its colour there as it grows, and a new N redraws every segment."""

from __future__ import annotations

import asyncio

from textual.app import App, ComposeResult
from textual.widgets import Static

from poet_tui.app.overlap_view import PALETTE
from poet_tui.app.transcript import SEGMENT_CHARS, Exchange, Transcript
from poet_tui.overlap import IndexedText, OverlapIndex


def coloured(static: Static) -> set[int]:
    """The characters of a segment (after the prompt, in the first one) with a copy's background."""
    content = static.content
    return {at for span in content.spans if str(span.style) in PALETTE for at in range(span.start, span.end)}  # type: ignore[union-attr]


def test_a_copy_is_coloured_across_segments_and_again_at_a_new_n() -> None:
    verse = "\n".join(f"line {number} of a poem that the model learnt by heart" for number in range(90))
    assert len(verse) > 2 * SEGMENT_CHARS
    index = OverlapIndex.build([IndexedText(verse, 0, "By heart")])

    class TranscriptApp(App[None]):
        def compose(self) -> ComposeResult:
            yield Transcript()

    async def main() -> None:
        app = TranscriptApp()
        async with app.run_test() as pilot:
            exchange = Exchange(0, "")
            app.query_one(Transcript).add_exchange(exchange)
            await pilot.pause()
            matcher = index.matcher()
            for start in range(0, len(verse), 97):
                piece = verse[start : start + 97]
                exchange.append(piece, matcher.feed(piece))
            exchange.finish(len(verse), 1.0, "length reached")
            segments = list(exchange.query(".segment").results(Static))
            assert len(segments) >= 3 and exchange.novelty == 0.0
            prompt = len("(a new poem)\n")
            for number, segment in enumerate(segments):
                text = segment.content.plain  # type: ignore[union-attr]
                skip = prompt if number == 0 else 0
                assert coloured(segment) == set(range(skip, len(text))), number
            exchange.set_min_copy(len(verse) + 1)  # longer than any copy: nothing is coloured, all of it is new
            assert exchange.novelty == 1.0 and all(not coloured(segment) for segment in segments)

    asyncio.run(main())
