"""Poetic forms as constraints at sampling time: which next tokens keep a poem in its form.

A form is a small state machine over the characters written so far in the poem. At every step it names the
characters that may come next (and whether the poem may, or must, end); `FormConstraint` turns that into an
additive logit mask over a character vocabulary, which the one `TokenChooser` applies. Nothing is rejected and
retried, so sampling always ends: the masked draw can only pick an allowed token, and the end of the poem is
forced the moment the form is complete.

This first part covers the regulated Chinese forms (written one couplet per line, as the bundled `tang300` and
the chinese-poetry layout have them) and English forms counted in lines, for `char` models. Syllables, rhyme,
acrostics and SentencePiece pieces are the rest of the issue."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from poet_tui.errors import PoetError

COMMA, FULL_STOP, NEWLINE = "，", "。", "\n"
MAX_ENGLISH_LINE = 80  # characters: a line this long must end, so an English form always finishes


def is_cjk_character(character: str) -> bool:
    """A CJK ideograph: what a verse of regulated poetry is made of (punctuation and kana are not)."""
    return len(character) == 1 and unicodedata.name(character, "").startswith("CJK UNIFIED IDEOGRAPH")


@dataclass(frozen=True)
class RegulatedForm:
    """`verses` verses of `characters` ideographs, ending alternately in ，and 。, one couplet per line."""

    name: str
    verses: int
    characters: int

    def describe(self) -> str:
        return f"{self.verses} verses of {self.characters} characters, couplets ending in ，and 。"


@dataclass(frozen=True)
class LineForm:
    """`lines` lines of free text (an English form counted in lines); the poem ends after the last one."""

    name: str
    lines: int

    def describe(self) -> str:
        return f"{self.lines} lines"


Form = RegulatedForm | LineForm

FORMS: dict[str, Form] = {
    "wulv": RegulatedForm("wulv", 8, 5),
    "qilv": RegulatedForm("qilv", 8, 7),
    "wujue": RegulatedForm("wujue", 4, 5),
    "qijue": RegulatedForm("qijue", 4, 7),
    "sonnet": LineForm("sonnet", 14),
    "quatrain": LineForm("quatrain", 4),
}
MAX_COUPLETS = 500


def parse_form(text: str) -> Form | None:
    """A form by name (`free` or empty: none); `couplets:N` is N couplets, 2N lines."""
    name = text.strip().lower()
    if name in ("", "free"):
        return None
    if name in FORMS:
        return FORMS[name]
    if name.startswith("couplets:"):
        count = name.removeprefix("couplets:")
        if count.isdigit() and 1 <= int(count) <= MAX_COUPLETS:
            return LineForm(name, 2 * int(count))
        raise PoetError(f"'{text}' needs a number of couplets between 1 and {MAX_COUPLETS}, e.g. couplets:4.")
    known = ", ".join(["free", *FORMS, "couplets:N"])
    raise PoetError(f"there is no form named '{text}'; choose one of {known}.")


@dataclass(frozen=True)
class Allowed:
    """What may come next: a set of characters, or a class of them, and whether the poem may (or must) end."""

    characters: frozenset[str] = frozenset()
    cjk: bool = False  # any CJK ideograph
    any_but: frozenset[str] | None = None  # any character except these
    end: bool = False  # the poem may end here
    must_end: bool = False  # nothing but the end

    def permits(self, character: str) -> bool:
        if self.must_end:
            return False
        if character in self.characters:
            return True
        if self.cjk and is_cjk_character(character):
            return True
        return self.any_but is not None and character not in self.any_but


class FormState:
    """Where a poem stands in its form, advanced one character at a time.

    It keeps counters, not the text: `allowed()` runs before every sampled token, so it must cost the same on
    the last line of a sonnet as on the first."""

    def __init__(self, form: Form) -> None:
        self.form = form
        self.length = 0  # characters of this poem so far
        self.finished_lines = 0
        self.line_length = 0  # characters of the line being written
        self.line_has_words = False

    def allowed(self) -> Allowed:
        if isinstance(self.form, RegulatedForm):
            return self.regulated_allowed(self.form)
        return self.lines_allowed(self.form)

    def regulated_allowed(self, form: RegulatedForm) -> Allowed:
        """The whole poem is a fixed template: ideographs, then ，or 。, a newline after each couplet."""
        couplet_length = 2 * (form.characters + 1) + 1  # two verses, their marks, the newline
        couplet, within = divmod(self.length, couplet_length)
        verse = 2 * couplet
        if within >= form.characters + 1:
            verse, within = verse + 1, within - (form.characters + 1)
        if verse >= form.verses:
            return Allowed(must_end=True)
        if within < form.characters:
            return Allowed(cjk=True)
        if within == form.characters:
            return Allowed(characters=frozenset(FULL_STOP if verse % 2 else COMMA))
        # after a couplet's 。: a newline, or the end when it was the last one
        return Allowed(must_end=True) if verse + 1 >= form.verses else Allowed(characters=frozenset(NEWLINE))

    def lines_allowed(self, form: LineForm) -> Allowed:
        """Lines of text with at least one letter; the newline ends a line, the end comes after the last."""
        if self.finished_lines >= form.lines:
            return Allowed(must_end=True)
        last_line = self.finished_lines == form.lines - 1
        if self.line_length >= MAX_ENGLISH_LINE:  # the line must end now
            return Allowed(must_end=True) if last_line else Allowed(characters=frozenset(NEWLINE))
        if not self.line_has_words:
            return Allowed(any_but=frozenset(NEWLINE))
        if last_line:
            return Allowed(any_but=frozenset(NEWLINE), end=True)
        return Allowed(any_but=frozenset())

    def accept(self, character: str) -> bool:
        """Take the character if it keeps the form (True), else change nothing (False)."""
        if not self.allowed().permits(character):
            return False
        self.length += 1
        if character == NEWLINE:
            self.finished_lines += 1
            self.line_length, self.line_has_words = 0, False
        else:
            self.line_length += 1
            self.line_has_words = self.line_has_words or character.isalnum()
        return True

    def advance(self, character: str) -> None:
        if not self.accept(character):
            raise PoetError(f"{character!r} would break the form {self.form.name} here")

    def complete(self) -> bool:
        allowed = self.allowed()
        return allowed.must_end or allowed.end


def satisfies(text: str, form: Form) -> bool:
    """Whether a whole poem is in the form (what constrained sampling must always produce)."""
    state = FormState(form)
    return all(state.accept(character) for character in text) and state.complete()


def require_characters(form: Form, vocabulary: Sequence[str]) -> None:
    """Refuse a form the model cannot write at all, in one sentence, before sampling."""
    if isinstance(form, RegulatedForm):
        missing = [mark for mark in (COMMA, FULL_STOP, NEWLINE) if mark not in vocabulary]
        if not any(is_cjk_character(token) for token in vocabulary):
            missing.append("CJK characters")
        if missing:
            listed = ", ".join(repr(mark) if len(mark) == 1 else mark for mark in missing)
            raise PoetError(f"this model never saw {listed}, so it cannot write the form {form.name}.")
    elif NEWLINE not in vocabulary:
        raise PoetError(f"this model never saw a line break, so it cannot write the form {form.name}.")


def could_be(text: str, form: Form) -> bool:
    """A cheap first test (length or line count), so checking a corpus of long texts never walks them."""
    if isinstance(form, RegulatedForm):
        couplets = form.verses // 2
        return len(text) == form.verses * (form.characters + 1) + couplets - 1
    return text.count(NEWLINE) == form.lines - 1


def form_shares(texts: Sequence[str]) -> dict[str, float]:
    """The share of poems already in each known form, largest first (forms no poem is in are left out)."""
    if not texts:
        return {}
    counts = dict.fromkeys(FORMS, 0)
    for text in texts:
        body = text.strip()
        chinese = any(is_cjk_character(character) for character in body[:200])
        for name, form in FORMS.items():
            if isinstance(form, LineForm) and chinese:  # a quatrain of Chinese couplets is a jueju or a lüshi
                continue
            if could_be(body, form) and satisfies(body, form):
                counts[name] += 1
    shares = {name: count / len(texts) for name, count in counts.items() if count}
    return dict(sorted(shares.items(), key=lambda item: -item[1]))


def describe_shares(shares: dict[str, float]) -> str:
    """`wulv 31% · wujue 9%`, or a sentence when no poem is in a known form."""
    if not shares:
        return "none of the known forms (" + ", ".join(FORMS) + ")"
    return " · ".join(f"{name} {share:.0%}" for name, share in shares.items())
