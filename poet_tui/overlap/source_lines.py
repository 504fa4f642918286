"""The line of the training text a copied span comes from, for a reader who wants to see it in place.

The index keeps where lines start but not the text itself (its BWT could give it back, one character per
step, but the texts it was built from are at hand whenever the index is), so this looks the line up in them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from poet_tui.overlap.index import IndexedText, Source


@dataclass(frozen=True)
class SourceLine:
    """A line of a source document, and the part of it [start, end) a copy covers; `more_lines` counts the
    further lines the copy runs into (a copied couplet marks the end of its first line, then says +1)."""

    text: str
    start: int
    end: int
    more_lines: int = 0
    number: int = 1  # the line's number in its document (a copy that begins with line ends starts on a later one)


class SourceLines:
    """Finds the text at a Source among the texts an index was built from."""

    def __init__(self, texts: Sequence[IndexedText]) -> None:
        self.by_document: dict[int, list[IndexedText]] = {}
        for text in texts:
            self.by_document.setdefault(text.number, []).append(text)

    def line(self, source: Source, length: int) -> SourceLine | None:
        """The line where a copy of `length` characters at `source` starts; None if no text holds it."""
        for text in self.by_document.get(source.document, []):
            local = source.offset - text.offset
            if 0 <= local < len(text.text):
                body = text.text
                copied_end = min(local + length, len(body))
                number = source.line
                while local < copied_end - 1 and body[local] == "\n":  # show the first line it copies words of
                    local, number = local + 1, number + 1
                begin = body.rfind("\n", 0, local) + 1
                finish = body.find("\n", local)
                finish = len(body) if finish < 0 else finish
                more = body.count("\n", local, copied_end)
                return SourceLine(body[begin:finish], local - begin, min(copied_end, finish) - begin, more, number)
        return None
