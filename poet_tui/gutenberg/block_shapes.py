"""What one paragraph of a Gutenberg book is, from its shape alone: a heading, a separator, an editorial note,
a table-of-contents list, prose or verse.

Gutenberg wraps prose at about 70 columns, so a prose paragraph is lines filled nearly to that width, one
indentation, continuing sentences (lines that start in lower case, lines that end without punctuation). Verse has
short or ragged lines, each usually opening with a capital and often closing on punctuation; long verse lines
(hexameters, Whitman) are told apart by those same openings and by their deeper-indented continuations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

BlockKind = Literal["heading", "separator", "editorial", "contents", "prose", "verse"]

VALID_ROMAN = r"(?=[IVXLCDM])M{0,4}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})"
NUMBERED_HEADING = re.compile(rf"^(?:{VALID_ROMAN}|\d{{1,4}})(?:[.:)]?|[.:)]\s+\S.*)$")
KEYWORD_HEADING = re.compile(
    r"^(?i:sonnet|canto|book|part|chapter|ode|song|hymn|elegy|epigram|stanzas|poem|section|psalm|idyl+|eclogue"
    rf"|number|no\.)\s+(?:{VALID_ROMAN}|\d{{1,4}})\b[.:]?(?:\s.*)?$"
)
SEPARATOR = re.compile(r"^[\s*.·•~=_#+-]*$")
PAGE_NUMBER_END = re.compile(r"(?:\.{2,}|\s)\s*(?:\d{1,4}|[ivxlc]{1,6})\s*$")
IMPRINT = re.compile(
    r"\b(?:copyright|all rights reserved|published|publishers?|printed|press|edited|translated|illustrated|"
    r"edition|author of|& co\b|and company|university)\b|\b1[4-9]\d\d\b|^by$",
    re.IGNORECASE,
)
# Wider than most verse, narrower than Gutenberg's ~70-column prose wrap.
FULL_LINE = 58
UNWRAPPED_PARAGRAPH = 100
MAX_HEADING_LINE = 70
MAX_LISTING_LINE = 200  # contents lines are short; longer ones are not searched (nor backtracked over)


@dataclass(frozen=True)
class Block:
    """Lines between blank lines, with how many blank lines came before (Gutenberg puts more before a title)."""

    lines: tuple[str, ...]
    gap_before: int

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def stripped(self) -> list[str]:
        return [line.strip() for line in self.lines]


def blocks_of(text: str) -> list[Block]:
    blocks: list[Block] = []
    current: list[str] = []
    gap = 0
    for line in text.split("\n"):
        if line.strip():
            current.append(line.rstrip())
            continue
        if current:
            blocks.append(Block(tuple(current), gap))
            current, gap = [], 0
        gap += 1
    if current:
        blocks.append(Block(tuple(current), gap))
    return blocks


def is_separator(block: Block) -> bool:
    """`* * * * *`, a rule of dashes: a break between pieces, never part of one."""
    return (
        len(block.lines) == 1
        and sum(not c.isspace() for c in block.lines[0]) >= 3
        and bool(SEPARATOR.match(block.lines[0]))
    )


def is_editorial(block: Block) -> bool:
    """A bracketed note: `[Illustration: …]`, `[Transcriber's note: …]`, a footnote `[1] …` block."""
    text = block.text.strip()
    return text.startswith("[") and (text.endswith("]") or bool(re.match(r"^\[\d+\]", text)))


def is_contents(block: Block) -> bool:
    """A list whose lines end in page numbers (`The Tyger ....... 12`): a table of contents or an index."""
    lines = [line for line in block.stripped if len(line) <= MAX_LISTING_LINE and any(c.isalpha() for c in line)]
    if len(lines) < 2:
        return False
    numbered = sum(1 for line in lines if PAGE_NUMBER_END.search(line))
    return numbered >= 0.6 * len(lines)


def is_imprint(block: Block) -> bool:
    """Title-page lines: an editor, a publisher, a year, a copyright, a byline."""
    return any(IMPRINT.search(line) or is_byline(line) for line in block.stripped)


def is_byline(line: str) -> bool:
    """ "by William Shakespeare", "BY EMILY DICKINSON": "by" and a name, every word of it capitalised."""
    words = line.split()
    return len(words) >= 2 and words[0].lower() == "by" and all(word[0].isupper() for word in words[1:])


def letters_of(text: str) -> str:
    return "".join(character for character in text if character.isalpha())


def is_all_caps(line: str) -> bool:
    letters = letters_of(line)
    return len(letters) >= 2 and letters.isupper()


def is_heading(block: Block, previous: BlockKind | None) -> bool:
    """A numeral (`XIV.`), a numbered kind (`SONNET XVIII`), a short title in capitals, or a short title-like
    line after a wide gap or right after another heading."""
    lines = block.stripped
    if len(lines) > 3 or any(len(line) > MAX_HEADING_LINE for line in lines):
        return False
    if len(lines) == 1 and (NUMBERED_HEADING.match(lines[0]) or KEYWORD_HEADING.match(lines[0])):
        return True
    if all(is_all_caps(line) for line in lines):
        return True
    if len(lines) != 1 or len(lines[0]) > 60:
        return False
    line = lines[0]
    title_like = line[:1].isupper() and not line.endswith((",", ";", ":", "-")) and line.count(". ") == 0
    return title_like and (block.gap_before >= 2 or previous in ("heading", None))


def opening_letter(line: str) -> str:
    """The first letter of a line, past quotes, dashes and brackets."""
    for character in line:
        if character.isalpha():
            return character
        if character.isdigit():
            return ""
    return ""


def is_prose(block: Block) -> bool:
    """Lines filled to Gutenberg's wrap width, continuing sentences at one indentation; or one very long line."""
    lines = block.stripped
    count = len(lines)
    if count == 1:
        return len(lines[0]) >= UNWRAPPED_PARAGRAPH
    lengths = [len(line) for line in lines]
    body = lengths[:-1]
    full = sum(1 for length in body if length >= FULL_LINE) / len(body)
    openings = [opening_letter(line) for line in lines[1:]]
    lower_starts = sum(1 for letter in openings if letter.islower()) / len(openings)
    open_ends = sum(1 for line in lines[:-1] if line[-1:].isalpha()) / (count - 1)
    indents = {len(line) - len(line.lstrip()) for line in block.lines[1:]}
    one_indent = len(indents) == 1
    if full >= 0.6 and one_indent and (lower_starts >= 0.25 or open_ends >= 0.6):
        return True
    return count >= 3 and sum(lengths) / count >= 40 and lower_starts >= 0.5 and one_indent


def classify(block: Block, previous: BlockKind | None) -> BlockKind:
    if is_separator(block):
        return "separator"
    if is_editorial(block):
        return "editorial"
    if is_contents(block):
        return "contents"
    if is_heading(block, previous):
        return "heading"
    return "prose" if is_prose(block) else "verse"
