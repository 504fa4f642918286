"""`--novelty` on the command line: the index of the model's training text, and how its verdict is printed.

One line after each poem (`[novelty 87%: 2 copied spans of ≥ 12 characters]`), the spans with their sources in
`--json`, and in the `-i` REPL the finished poem again with each copied span in the colour of the poem it comes
from (NO_COLOR, or a terminal without colour: marked [like this] instead), then one line per span naming it.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from poet_tui.errors import PoetError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from poet_tui.overlap import Overlap, OverlapIndex, Source
    from poet_tui.runs import Run

PALETTE = ("cyan", "magenta", "green", "yellow", "bright_blue", "red")
QUOTE_SHOWN = 60  # characters of a copied span quoted in the REPL's list of sources


@dataclass
class NoveltyCheck:
    """The index of what the model trained on, and how long a copy must be to count."""

    index: OverlapIndex
    min_length: int

    @classmethod
    def for_run(cls, run: Run, min_length: int) -> NoveltyCheck:
        from poet_tui.overlap import load_or_build_for_run

        index = load_or_build_for_run(run, announce=lambda line: print(line, file=sys.stderr, flush=True))
        return cls(index, min_length)

    def measure(self, text: str) -> Overlap:
        from poet_tui.overlap import measure

        return measure(self.index, text, self.min_length)


def min_copy_from_arguments(arguments: argparse.Namespace) -> int | None:
    """--novelty's shortest copy, checked before anything is loaded; None without --novelty."""
    from poet_tui.overlap import DEFAULT_MIN_COPY, MAX_MIN_COPY

    if arguments.min_copy is not None and not arguments.novelty:
        raise PoetError("--min-copy sets how long a copy --novelty counts; add --novelty, or leave --min-copy out.")
    if not arguments.novelty:
        return None
    length = DEFAULT_MIN_COPY if arguments.min_copy is None else arguments.min_copy
    if not 1 <= length <= MAX_MIN_COPY:
        raise PoetError(f"--min-copy must be a whole number of characters from 1 to {MAX_MIN_COPY:,}, not {length}.")
    return length


def novelty_command(value: str, current: NoveltyCheck | None, run: Run | None) -> tuple[NoveltyCheck | None, str]:
    """`:novelty on|off|N` in `poet generate -i`: the new check (None: off) and what to tell the user. The index
    is built (or read from its cache) the first time it is turned on; a bad value changes nothing. `run` is None
    for an exported model, which carries no training text to measure against."""
    from poet_tui.overlap import DEFAULT_MIN_COPY, MAX_MIN_COPY

    word = value.strip().lower()
    shown = "off" if current is None else f"on, copies of ≥ {current.min_length} characters"
    if word == "off":
        return None, "novelty off"
    if word == "on" or word.isdecimal():
        length = current.min_length if current is not None else DEFAULT_MIN_COPY
        if word.isdecimal():
            if len(word) > 6 or not 1 <= int(word) <= MAX_MIN_COPY:
                raise PoetError(f"':novelty N' takes N from 1 to {MAX_MIN_COPY:,} characters; it stays {shown}.")
            length = int(word)
        if current is not None:
            check = NoveltyCheck(current.index, length)
        elif run is None:
            from poet_tui.generation import NO_TRAINING_TEXT

            raise PoetError(NO_TRAINING_TEXT)
        else:
            check = NoveltyCheck.for_run(run, length)
        return check, f"novelty on: copies of ≥ {length} characters are marked after each poem"
    raise PoetError(f"':novelty' takes on, off or a length such as ':novelty 12'; it stays {shown}.")


def novelty_line(overlap: Overlap) -> str:
    """The share of new text, floored so that 100% means nothing was copied."""
    count = len(overlap.spans)
    spans = "no copied span" if count == 0 else f"{count} copied span{'s' if count > 1 else ''}"
    return f"[novelty {int(overlap.novelty * 100)}%: {spans} of ≥ {overlap.min_length} characters]"


def span_records(text: str, overlap: Overlap) -> list[dict[str, Any]]:
    """The spans for --json: where they are in the poem, what they copy, and from where."""
    return [
        {
            "start": span.start,
            "end": span.end,
            "text": text[span.start : span.end],
            "document": span.source.document,
            "title": span.source.title,
            "author": span.source.author,
            "line": span.source.line,
            "offset": span.source.offset,
        }
        for span in overlap.spans
    ]


def json_fields(text: str, overlap: Overlap) -> dict[str, Any]:
    return {"novelty": overlap.novelty, "min_copy": overlap.min_length, "copied_spans": span_records(text, overlap)}


def describe_source(source: Source) -> str:
    """`poem 18 "Title" by Author, line 3`, counting poems from 1 as a reader does."""
    title = f" “{source.title}”" if source.title else ""
    author = f" by {source.author}" if source.author else ""
    return f"poem {source.document + 1}{title}{author}, line {source.line}"


def source_colours(overlap: Overlap) -> dict[int, str]:
    """One colour per source document, in order of first appearance, the palette cycling."""
    colours: dict[int, str] = {}
    for span in overlap.spans:
        colours.setdefault(span.source.document, PALETTE[len(colours) % len(PALETTE)])
    return colours


def highlighted(text: str, overlap: Overlap, brackets: bool) -> Text:
    """The poem with its copied spans coloured by source, or bracketed where colour is off."""
    from rich.text import Text

    from poet_tui.overlap import highlight_regions

    colours = source_colours(overlap)
    shown = Text()
    reached = 0
    for region in highlight_regions(overlap.spans):
        shown.append(text[reached : region.start])
        copied = text[region.start : region.end]
        if brackets:
            shown.append(f"[{copied}]")
        else:
            shown.append(copied, style=f"bold {colours[region.source.document]}")
        reached = region.end
    shown.append(text[reached:])
    return shown


def print_repl_overlap(console: Console, text: str, overlap: Overlap) -> None:
    """After a REPL completion: the novelty line, then (when something was copied) the poem highlighted and
    one line per copied span with its source."""
    from rich.text import Text

    console.print(novelty_line(overlap), markup=False, highlight=False, soft_wrap=True)
    if not overlap.spans:
        return
    brackets = console.no_color or console.color_system is None
    console.print(highlighted(text, overlap, brackets), highlight=False, soft_wrap=True)  # the poem's own lines
    colours = source_colours(overlap)
    for number, span in enumerate(overlap.spans, start=1):
        quote = " ".join(text[span.start : span.end].split())
        quote = quote if len(quote) <= QUOTE_SHOWN else quote[: QUOTE_SHOWN - 1] + "…"
        line = Text(f"  {number}. {describe_source(span.source)}: “{quote}”")
        if not brackets:
            line.stylize(colours[span.source.document])
        console.print(line, highlight=False, soft_wrap=True)
