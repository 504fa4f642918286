"""From per-character matches to what a reader wants: the copied passages and the share of new text.

Pure functions of a Matcher's matches, so the app can recompute them as a completion streams, training can
score a sample, and the command line can print them, all the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from poet_tui.overlap.matcher import Match

if TYPE_CHECKING:
    # Type names only: the index needs numpy, and the app shows copied spans before anything imports it.
    from poet_tui.overlap.index import OverlapIndex, Source

# A copy shorter than this is a common phrase ("and in the "), not a quotation: 12 characters is about two or
# three English words, or two thirds of a seven-character Chinese verse.
DEFAULT_MIN_COPY = 12
MAX_MIN_COPY = 10_000


@dataclass(frozen=True, slots=True)
class Span:
    """output[start:end] occurs verbatim in the corpus at `source`, and extends no further either way."""

    start: int
    end: int
    source: Source

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Overlap:
    """A whole text's verdict: its copied spans and its novelty."""

    novelty: float
    spans: list[Span]
    min_length: int


def check_min_length(min_length: int) -> None:
    if not 1 <= min_length <= MAX_MIN_COPY:
        raise ValueError(f"a copied span is at least 1 and at most {MAX_MIN_COPY} characters, not {min_length}")


def copied_spans(matches: Sequence[Match], min_length: int = DEFAULT_MIN_COPY) -> list[Span]:
    """The maximal copied spans of at least `min_length` characters, in order, with their sources.

    `matches` are a Matcher's, one per character from the first. The match ending at t is maximal unless
    the next one contains it, which happens exactly when the next one is longer. Spans may overlap (two
    quotations that share a few words); the last match of an unfinished output counts as maximal."""
    check_min_length(min_length)
    spans: list[Span] = []
    for number, match in enumerate(matches):
        if match.length < min_length or match.source is None:
            continue
        if number + 1 < len(matches) and matches[number + 1].length > match.length:
            continue
        spans.append(Span(match.start, match.position + 1, match.source))
    return spans


def novelty(text_length: int, spans: Sequence[Span]) -> float:
    """The share of the text's characters inside no copied span; 1.0 for an empty text."""
    if text_length <= 0:
        return 1.0
    covered = 0
    reached = 0  # spans come in order of start, so the covered part is counted once
    for span in sorted(spans, key=lambda span: span.start):
        start, end = max(span.start, reached, 0), min(span.end, text_length)
        if end > start:
            covered += end - start
        reached = max(reached, end)
    return 1.0 - covered / text_length


def measure(index: OverlapIndex, text: str, min_length: int = DEFAULT_MIN_COPY) -> Overlap:
    """The copied spans and novelty of a finished text (a poem, a training sample)."""
    check_min_length(min_length)
    matcher = index.matcher()
    spans = copied_spans(matcher.feed(text), min_length)
    return Overlap(novelty(len(text), spans), spans, min_length)


def highlight_regions(spans: Sequence[Span]) -> list[Span]:
    """Spans cut so they no longer overlap, for drawing: where two overlap, the earlier one keeps the shared
    characters. Each region keeps its span's source, so one colour per source document still holds."""
    regions: list[Span] = []
    reached = 0
    for span in sorted(spans, key=lambda span: span.start):
        start = max(span.start, reached)
        if span.end > start:
            regions.append(Span(start, span.end, span.source))
            reached = span.end
    return regions
