"""Streaming: for each new character of an output, the longest text ending there that the corpus holds verbatim.

The match so far is kept as its rows in the index; a new character is one backward step (two binary searches).
When the step finds nothing, characters are dropped from the left of the match: the starts k for which
output[k..t] occurs are all those from some smallest one on (a shorter suffix of a copied text is copied too),
so that start is found by doubling, then halving, the length tried, each try a fresh search over those
characters. A failure costs O(L log L) steps for a new match of length L, and copying costs one step a character.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Type names only: the index needs numpy, and the app shows copied spans before anything imports it.
    from poet_tui.overlap.index import OverlapIndex, Source


UNKNOWN = -1  # the code of a character the corpus never uses: it matches nothing


@dataclass(frozen=True, slots=True)
class Match:
    """The longest copied text ending at one character of the output: output[start : position + 1] occurs
    verbatim in one document (never across two), at `source`; length 0 and no source when even the character
    itself is not in the corpus."""

    position: int
    length: int
    source: Source | None

    @property
    def start(self) -> int:
        return self.position + 1 - self.length


class Matcher:
    """Feed an output as it streams; `matches` holds one Match per character fed so far."""

    def __init__(self, index: OverlapIndex) -> None:
        self.index = index
        self.codes: list[int] = []
        self.matches: list[Match] = []
        self.low, self.high, self.length = 0, index.rows(), 0

    @property
    def text_length(self) -> int:
        return len(self.codes)

    def reset(self) -> None:
        """Start a new output (a new poem)."""
        self.codes.clear()
        self.matches = []
        self.low, self.high, self.length = 0, self.index.rows(), 0

    def feed(self, text: str) -> list[Match]:
        """The matches of the characters of `text`, which continues what was fed before."""
        index = self.index
        code_of, char_starts, positions = index.code_of, index.char_starts, index.bwt_positions
        all_rows = index.rows()
        low, high, length = self.low, self.high, self.length
        found: list[Match] = []
        for character in text:
            code = code_of.get(character, UNKNOWN)
            self.codes.append(code)
            if code == UNKNOWN:
                low, high, length = 0, all_rows, 0
            else:
                group_start, group_end = char_starts[code], char_starts[code + 1]
                new_low = bisect_left(positions, low, group_start, group_end) + 1
                new_high = bisect_left(positions, high, group_start, group_end) + 1
                if new_low < new_high:
                    low, high, length = new_low, new_high, length + 1
                else:
                    low, high, length = self.longest_suffix(length)
            position = len(self.codes) - 1
            found.append(Match(position, length, index.locate(low, length) if length else None))
        self.low, self.high, self.length = low, high, length
        self.matches.extend(found)
        return found

    def rows_of(self, length: int) -> tuple[int, int] | None:
        """The rows of the last `length` codes fed, searched afresh; None when they do not occur."""
        index = self.index
        low, high = 0, index.rows()
        for code in self.codes[len(self.codes) - length :]:
            low, high = index.extend(code, low, high)
            if low >= high:
                return None
        return low, high

    def longest_suffix(self, previous_length: int) -> tuple[int, int, int]:
        """Rows and length of the longest copied suffix after the last character broke the match, which had
        `previous_length` characters before it (so the answer is at most that long).

        The last character is in the corpus (it has a code), so length 1 occurs (unless the index is forged)."""
        best = self.rows_of(1)
        if best is None:
            return 0, self.index.rows(), 0
        found, failed = 1, previous_length + 1
        trying = 2
        while trying < failed:  # doubling: cheap when the new match is short, as it mostly is
            rows = self.rows_of(trying)
            if rows is None:
                failed = trying
                break
            best, found = rows, trying
            trying *= 2
        while failed - found > 1:
            middle = (found + failed) // 2
            rows = self.rows_of(middle)
            if rows is None:
                failed = middle
            else:
                best, found = rows, middle
        return best[0], best[1], found
