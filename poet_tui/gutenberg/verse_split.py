"""A book of verse as poems: split at its headings and wide gaps, line breaks kept, prose and front and back
matter (contents, preface, index of first lines, notes, the title page) dropped, and a report of what was kept.

The book is cut into paragraphs (block_shapes.py says what each is); a heading, a separator (`* * *`) or a gap
wider than the book's usual gap between stanzas starts a new section. A section under a front- or back-matter
heading is dropped; one mostly of prose is dropped as prose; the rest are poems, their prose paragraphs left out.
A "poem" whose lines are mostly other poems' titles or first lines is a contents list or an index, and goes too.
"""

from __future__ import annotations

import itertools
import re
import textwrap
from collections import Counter
from dataclasses import dataclass, field

from poet_tui.formatting import plural
from poet_tui.gutenberg.block_shapes import MAX_LISTING_LINE, Block, BlockKind, blocks_of, classify, is_imprint

MATTER_HEADING = re.compile(
    r"^(?:(?:table of )?contents|preface|prefatory|introduct\w*|foreword|index\b.*|notes?|notes (?:on|to)\b.*|"
    r"(?:editor|transcriber|translator)'?s'? notes?\b.*|footnotes|acknowledge?ments?|bibliography|appendix\b.*|"
    r"glossary|list of \w+.*|illustrations|errata|biographical\b.*|memoir|advertisements?|afterword|"
    r"by the same author\b.*|the end|finis|dedication)$",
    re.IGNORECASE,
)
NUMERAL_ONLY = re.compile(r"^(?:[IVXLCDM]+|\d+)[.:)]?$")
MIN_POEM_LINES = 2
# Gutenberg puts four blank lines before a new part and one or two between a numeral and its title: headings
# this far apart are a part's title and then a poem's, not one title in two paragraphs.
WIDE_GAP = 3
# A title page is short: the lines under the title before the first poem, naming an editor, a publisher, a year.
TITLE_PAGE_LINES = 6
# Whole lines of a poem found among other poems' titles and first lines: a contents list or an index.
LISTING_SHARE = 0.5


@dataclass(frozen=True)
class Poem:
    title: str
    text: str


@dataclass(frozen=True)
class SplitReport:
    """What splitting kept and dropped, for a user to judge it ("412 poems, 3 prose sections dropped")."""

    poems: int
    lines: int
    prose_sections: int = 0
    matter_sections: tuple[str, ...] = ()
    fragments: int = 0

    def summary(self) -> str:
        """ "412 poems (9,870 lines); dropped 3 prose sections and 2 front/back matter sections (CONTENTS, …)"."""
        kept = f"{plural(self.poems, 'poem')} ({plural(self.lines, 'line')})" if self.poems else "no poems"
        dropped = self.dropped()
        return f"{kept}; dropped {dropped}" if dropped else kept

    def dropped(self) -> str:
        parts = []
        if self.prose_sections:
            parts.append(plural(self.prose_sections, "prose section"))
        if self.matter_sections:
            names = ", ".join(dict.fromkeys(self.matter_sections))
            parts.append(f"{plural(len(self.matter_sections), 'front/back matter section')} ({names})")
        if self.fragments:
            parts.append(f"{plural(self.fragments, 'fragment')} under {MIN_POEM_LINES} lines")
        if len(parts) > 1:
            return f"{', '.join(parts[:-1])} and {parts[-1]}"
        return parts[0] if parts else ""


@dataclass(frozen=True)
class SplitResult:
    poems: list[Poem]
    report: SplitReport


@dataclass
class Section:
    """Paragraphs under one heading (or after one break), with their kinds."""

    heading: list[str] = field(default_factory=list)
    heading_blocks: list[str] = field(default_factory=list)
    blocks: list[tuple[Block, BlockKind]] = field(default_factory=list)

    @property
    def title(self) -> str:
        text = " ".join(" ".join(line.split()) for line in self.heading)
        return text.removesuffix(".").strip()

    def has(self, kind: BlockKind) -> bool:
        return any(block_kind == kind for _, block_kind in self.blocks)

    def characters(self, kind: BlockKind) -> int:
        return sum(len(block.text) for block, block_kind in self.blocks if block_kind == kind)


def split_poems(text: str) -> SplitResult:
    """The poems of a book's text (licence already stripped), with a report of what was kept and dropped."""
    kinds = classified_blocks(blocks_of(text))
    sections = sectioned(kinds, stanza_gap(kinds))
    return judged(sections)


def classified_blocks(blocks: list[Block]) -> list[tuple[Block, BlockKind]]:
    classified: list[tuple[Block, BlockKind]] = []
    previous: BlockKind | None = None
    for block in blocks:
        kind = classify(block, previous)
        classified.append((block, kind))
        previous = kind
    return classified


def stanza_gap(kinds: list[tuple[Block, BlockKind]]) -> int:
    """The book's stanza break: the narrowest gap between two verse paragraphs (wider ones part poems)."""
    gaps = [
        block.gap_before
        for (_, before), (block, kind) in itertools.pairwise(kinds)
        if before == "verse" and kind == "verse"
    ]
    return min(gaps, default=1)


def sectioned(kinds: list[tuple[Block, BlockKind]], gap: int) -> list[Section]:
    """Cut at headings (consecutive ones make one title), separators, and gaps wider than a stanza break."""
    sections = [Section()]
    for block, kind in kinds:
        current = sections[-1]
        if kind == "heading":
            if current.blocks or block.gap_before >= WIDE_GAP:
                current = Section()
                sections.append(current)
            current.heading.extend(block.stripped)
            current.heading_blocks.append(" ".join(" ".join(block.text.split()).split()))
        elif kind == "separator":
            sections.append(Section())
        else:
            if current.blocks and block.gap_before > max(gap, 1) and kind == "verse":
                current = Section()
                sections.append(current)
            current.blocks.append((block, kind))
    return [section for section in sections if section.heading or section.blocks]


def is_matter_heading(title: str) -> bool:
    bare = re.sub(r"^(?:[IVXLCDM]+|\d+)[.:)]\s*", "", title).strip(" .:")
    return bool(MATTER_HEADING.match(bare))


def is_title_page(section: Section) -> bool:
    verse = [block for block, kind in section.blocks if kind == "verse"]
    return sum(len(block.lines) for block in verse) <= TITLE_PAGE_LINES and any(is_imprint(block) for block in verse)


def poem_title(heading: str, text: str) -> str:
    """The heading, or, where it is only a numeral or missing, the poem's first line (as indexes name them)."""
    if heading and not NUMERAL_ONLY.match(heading):
        return heading
    first_line = next(line.strip() for line in text.split("\n") if line.strip())
    return first_line.rstrip(",.;:!?-— ")


def poem_text(section: Section) -> str:
    """The section's verse paragraphs, line breaks and relative indentation kept, one blank line between."""
    stanzas = [block.text for block, kind in section.blocks if kind == "verse"]
    return textwrap.dedent("\n\n".join(stanzas)).strip("\n")


@dataclass
class Tally:
    prose_sections: int = 0
    matter: list[str] = field(default_factory=list)
    fragments: int = 0


def judged(sections: list[Section]) -> SplitResult:
    """Each section kept as a poem or dropped, and why; then contents lists and indexes found and dropped."""
    tally = Tally()
    candidates: list[tuple[Section, Poem]] = []
    in_matter = False
    for section in sections:
        if section.heading:
            matter = [title for title in section.heading_blocks if is_matter_heading(title)]
            in_matter = bool(matter)
            if in_matter:
                tally.matter.append(matter[0].removesuffix(".").upper())
        if in_matter or not section.blocks:
            continue
        if section.has("contents"):
            tally.matter.append("CONTENTS")
            continue
        verse = section.characters("verse")
        if verse == 0 or section.characters("prose") > verse:
            if section.has("prose"):
                tally.prose_sections += 1
            continue
        if not candidates and is_title_page(section):
            tally.matter.append("TITLE PAGE")
            continue
        text = poem_text(section)
        if len([line for line in text.split("\n") if line.strip()]) < MIN_POEM_LINES:
            tally.fragments += 1
            continue
        candidates.append((section, Poem(poem_title(section.title, text), text)))
    poems = without_listings([poem for _, poem in candidates], tally)
    lines = sum(1 for poem in poems for line in poem.text.split("\n") if line.strip())
    report = SplitReport(len(poems), lines, tally.prose_sections, tuple(tally.matter), tally.fragments)
    return SplitResult(poems, report)


def listing_key(line: str) -> str:
    """A title or first line reduced to its words, page numbers and dots gone, for matching a contents list."""
    line = re.sub(r"(?:\.{2,}|\s)\s*(?:\d{1,4}|[ivxlc]{1,6})\s*$", "", line.strip()[:MAX_LISTING_LINE])
    return " ".join(re.sub(r"[^\w\s]|\d", " ", line.casefold()).split())


def without_listings(poems: list[Poem], tally: Tally) -> list[Poem]:
    """Drop a "poem" most of whose lines are other poems' titles or first lines (a contents list, an index)."""
    keys_of = []
    for poem in poems:
        first_line = next((line for line in poem.text.split("\n") if line.strip()), "")
        keys_of.append({key for key in (listing_key(poem.title), listing_key(first_line)) if len(key) >= 3})
    everyone: Counter[str] = Counter(key for keys in keys_of for key in keys)
    kept = []
    for poem, own in zip(poems, keys_of, strict=True):
        lines = [listing_key(line) for line in poem.text.split("\n") if line.strip()]
        listed = sum(1 for key in lines if everyone[key] - (1 if key in own else 0) > 0)
        if len(lines) >= 3 and listed >= LISTING_SHARE * len(lines):
            tally.matter.append("CONTENTS OR INDEX")
        else:
            kept.append(poem)
    return kept
