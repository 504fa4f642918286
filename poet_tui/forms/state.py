"""Where a poem stands in its form, advanced one character at a time, and which characters may come next.

`FormState.accept(character)` takes a character only if the poem can still be finished in its form after it
(a line can still reach its syllable count and its rhyme within `MAX_ENGLISH_LINE` characters, a verse still
has its slots). Because every state it reaches can be finished, a constrained sampler never gets stuck: there
is always a next character, and the end comes exactly when the form is complete. `key()` names the state for
the mask cache: two states with the same key accept the same characters from then on."""

from __future__ import annotations

from dataclasses import dataclass

from poet_tui.forms.definitions import (
    COMMA,
    FULL_STOP,
    MAX_ENGLISH_LINE,
    NEWLINE,
    Form,
    LineForm,
    RegulatedForm,
    is_cjk_character,
)
from poet_tui.forms.pronunciation import APOSTROPHES, rhyme_key, syllables

PADDING_WORD = "a"  # the shortest word of one syllable: what a line can always be padded with


def is_word_character(character: str) -> bool:
    return character.isalpha() and not is_cjk_character(character)


def starts_line_with(character: str, wanted: str) -> bool:
    """The acrostic letter, in either case (an English acrostic is written in capitals or not)."""
    return character == wanted or character.lower() == wanted.lower()


@dataclass
class RegulatedState:
    verse: int = 0
    within: int = 0  # characters of the verse written; characters + 1 once its mark is written
    layout: str = ""  # "" until the first ，decides: "couplet" (one couplet a line) or "verse" (one a line)


@dataclass
class LineState:
    line: int = 0  # lines finished
    line_length: int = 0  # characters of the line being written
    has_word: bool = False
    counted: int = 0  # syllables of the finished words of this line
    word: str = ""  # the word being written
    last_word: str = ""  # the line's last finished word
    line_words: tuple[str, ...] = ()  # each finished line's last word, for rhymes


class FormState:
    """A poem's progress through `form`; copy() before trying a character you may not keep."""

    __slots__ = ("counts", "form", "lined", "regulated", "rhymes")

    def __init__(self, form: Form) -> None:
        self.form = form
        self.regulated = RegulatedState() if isinstance(form, RegulatedForm) else None
        self.lined = LineState() if isinstance(form, LineForm) else None
        self.counts = isinstance(form, LineForm) and bool(form.syllables)
        self.rhymes = isinstance(form, LineForm) and bool(form.rhyme_scheme)

    def character_class(self, character: str) -> str:
        """A representative of the characters that act exactly like `character` here, whatever the state:
        accepting either gives the same state. Masks are built once per class, not once per character."""
        if self.regulated is not None:
            assert isinstance(self.form, RegulatedForm)
            if character in (COMMA, FULL_STOP, NEWLINE) or character in self.form.acrostic:
                return character
            if not is_cjk_character(character):
                return "\x00"  # refused in every regulated slot
            return next(ideograph for ideograph in "一二三四五六七八九十" if ideograph not in self.form.acrostic)
        if character == NEWLINE or character in APOSTROPHES or not character.isprintable():
            return character
        if is_word_character(character):
            lower = character.lower()
            return lower if len(lower) == 1 else character
        return "0" if character.isalnum() else " "

    def copy(self) -> FormState:
        twin = FormState.__new__(FormState)
        twin.form, twin.counts, twin.rhymes = self.form, self.counts, self.rhymes
        twin.regulated = None if self.regulated is None else RegulatedState(**vars(self.regulated))
        twin.lined = None if self.lined is None else LineState(**vars(self.lined))
        return twin

    def key(self, horizon: int) -> tuple[object, ...]:
        """Names the state for the mask cache; `horizon` is the longest token text the mask is built for."""
        if self.regulated is not None:
            return (self.regulated.verse, self.regulated.within, self.regulated.layout)
        state = self.lined
        assert state is not None
        if not (self.counts or self.rhymes):
            # far from the line limit (no token can reach it), the exact length changes nothing; a token of
            # `horizon` characters written at MAX - horizon reaches the limit, so that length is near already
            length = state.line_length if state.line_length >= MAX_ENGLISH_LINE - horizon else 0
            return (state.line, length, state.has_word)
        return (
            state.line, state.line_length, state.has_word, state.counted, state.word, state.last_word,
            self.rhyme_partner(state.line),
        )  # fmt: skip

    # --- the whole poem ---------------------------------------------------------------------------------------

    def accept(self, character: str) -> bool:
        """Take the character if the poem can still be finished in its form after it (True), else change nothing."""
        if self.regulated is not None:
            assert isinstance(self.form, RegulatedForm)
            return accept_regulated(self.regulated, self.form, character)
        return self.accept_in_line(character)

    def try_accept(self, character: str) -> bool:
        """accept() for a throwaway copy: on False the state is left half-changed (cheaper: no restore)."""
        if self.regulated is not None:
            assert isinstance(self.form, RegulatedForm)
            return accept_regulated(self.regulated, self.form, character)
        return self.accept_in_line(character, restore=False)

    def letter_surely_fits(self, letter: str) -> bool:
        """A quick sufficient test for a lower-case letter inside a line with syllables or rhyme: True means
        accept(letter) would take it (the `a`-padding ending still fits after it); False means ask accept()."""
        state, form = self.lined, self.form
        if state is None or not (self.counts or self.rhymes) or not isinstance(form, LineForm):
            return False
        if not is_word_character(letter):
            return False
        if state.line >= form.lines or state.line_length == 0 or state.line_length >= MAX_ENGLISH_LINE - 1:
            return False
        low, high = self.syllable_range(state.line)
        partner = self.rhyme_partner(state.line)
        partner_syllables = syllables(partner) if (partner and self.counts) else 0
        counted = state.counted + (syllables(state.word + letter) if self.counts else 0)
        if counted + partner_syllables > high:
            return False
        padding = max(low - counted - partner_syllables, 0)
        if not partner and padding == 0:
            return True  # the line could end right after this word
        pieces = padding + (1 if partner else 0)
        needed = padding * len(PADDING_WORD) + len(partner) + (pieces - 1) + 1
        return needed <= MAX_ENGLISH_LINE - state.line_length - 1

    def choosing_layout(self) -> bool:
        """Right after the first ，of a regulated poem: a line break here writes one verse per line, an ideograph
        one couplet per line, and the rest of the poem keeps what is chosen."""
        state = self.regulated
        if state is None or state.layout or state.verse % 2:
            return False
        assert isinstance(self.form, RegulatedForm)
        return state.within == self.form.characters + 1

    def complete(self) -> bool:
        """The poem may end here (and, for every form but free text, nothing else may come)."""
        if self.regulated is not None:
            assert isinstance(self.form, RegulatedForm)
            return self.regulated.verse >= self.form.verses
        state, form = self.lined, self.form
        assert state is not None and isinstance(form, LineForm)
        return state.line == form.lines - 1 and self.line_can_end(state)

    def must_end(self) -> bool:
        if self.regulated is not None:
            return self.complete()
        assert self.lined is not None and isinstance(self.form, LineForm)
        return self.lined.line >= self.form.lines

    def advance(self, character: str) -> None:
        from poet_tui.errors import PoetError

        if not self.accept(character):
            raise PoetError(f"{character!r} would break the form {self.form.name} here")

    # --- English forms -----------------------------------------------------------------------------------------

    def accept_in_line(self, character: str, restore: bool = True) -> bool:
        state, form = self.lined, self.form
        assert state is not None and isinstance(form, LineForm)
        if state.line >= form.lines:
            return False
        if character == NEWLINE:
            if state.line == form.lines - 1 or not self.line_can_end(state):
                return False  # the last line ends with the poem, not with a line break
            before = LineState(**vars(state)) if restore else state
            self.finish_line(state)
            if not self.rest_finishable(state):
                self.lined = before
                return False
            return True
        if state.line_length >= MAX_ENGLISH_LINE or not character.isprintable():
            return False
        wanted = form.acrostic[state.line] if form.acrostic and state.line_length == 0 else None
        if wanted is not None and not starts_line_with(character, wanted):
            return False
        before = LineState(**vars(state)) if restore else state
        self.write(state, character)
        if (self.counts or self.rhymes) and not self.finishable(state):
            self.lined = before
            return False
        if not (self.counts or self.rhymes) and not state.has_word and state.line_length >= MAX_ENGLISH_LINE:
            self.lined = before
            return False
        return True

    def write(self, state: LineState, character: str) -> None:
        state.line_length += 1
        if is_word_character(character) or (character in APOSTROPHES and state.word):
            state.word += character.lower()
            state.has_word = True
            return
        if character.isalnum():  # digits, CJK: a word for line counting, not for syllables
            state.has_word = True
        self.close_word(state)

    def close_word(self, state: LineState) -> None:
        if state.word:
            if self.counts:
                state.counted += syllables(state.word)
            state.last_word, state.word = state.word, ""

    def finish_line(self, state: LineState) -> None:
        self.close_word(state)
        state.line_words = (*state.line_words, state.last_word)
        state.line += 1
        state.line_length, state.has_word, state.counted, state.last_word = 0, False, 0, ""

    def syllable_range(self, line: int) -> tuple[int, int]:
        assert isinstance(self.form, LineForm)
        return self.form.syllables[line] if self.counts else (0, 10**9)

    def rhyme_partner(self, line: int) -> str:
        """The word line `line` must rhyme with: the last word of the first earlier line sharing its letter."""
        assert isinstance(self.form, LineForm) and self.lined is not None
        scheme = self.form.rhyme_scheme
        if not self.rhymes or line >= len(scheme):
            return ""
        earlier = scheme.find(scheme[line])
        return self.lined.line_words[earlier] if earlier < line else ""

    def line_can_end(self, state: LineState) -> bool:
        """The line has a word, its syllables are in range, and its last word rhymes where it must."""
        if not (self.counts or self.rhymes):
            return state.has_word
        last = state.word or state.last_word
        if not last:
            return False
        low, high = self.syllable_range(state.line)
        if not low <= self.counted_with_word(state) <= high:
            return False
        partner = self.rhyme_partner(state.line)
        return not partner or rhyme_key(last) == rhyme_key(partner)

    def counted_with_word(self, state: LineState) -> int:
        """The line's syllables if the word being written ended here."""
        return state.counted + (syllables(state.word) if self.counts and state.word else 0)

    def finishable(self, state: LineState) -> bool:
        """Whether an ending still fits the line: end now, finish writing the rhyme word, or add `a`s (one
        syllable each) and then the rhyme word. Each step of those endings passes this test again, so a line
        that can be finished always has a next character."""
        room = MAX_ENGLISH_LINE - state.line_length
        if self.line_can_end(state):
            return True
        low, high = self.syllable_range(state.line)
        partner = self.rhyme_partner(state.line)
        partner_syllables = syllables(partner) if (partner and self.counts) else 0
        writing_partner = partner != state.word and partner.startswith(state.word) and bool(partner and state.word)
        if writing_partner and low <= state.counted + partner_syllables <= high:
            return len(partner) - len(state.word) <= room or self.padding_fits(state, low, high, partner, room)
        return self.padding_fits(state, low, high, partner, room)

    def padding_fits(self, state: LineState, low: int, high: int, partner: str, room: int) -> bool:
        """Close the word, add `a`s (one syllable each) up to the line's fewest syllables, then the rhyme word."""
        partner_syllables = syllables(partner) if (partner and self.counts) else 0
        counted = self.counted_with_word(state)
        if counted + partner_syllables > high:
            return False
        padding = max(low - counted - partner_syllables, 0)
        if not partner and padding == 0:
            padding = 1  # the words so far cannot end the line (no word yet): one more word
        pieces = padding + (1 if partner else 0)
        needed = padding * len(PADDING_WORD) + len(partner) + (pieces - 1) + (1 if state.word else 0)
        return needed <= room

    def rest_finishable(self, state: LineState) -> bool:
        """After a line break: the next line (and, through rhyme, each later one) can still be written."""
        form = self.form
        assert isinstance(form, LineForm)
        if not (self.counts or self.rhymes):
            return True
        saved = self.lined
        try:
            for line in range(state.line, form.lines):
                fresh = self.lined = LineState(line=line, line_words=state.line_words + ("",) * (line - state.line))
                if form.acrostic:
                    self.write(fresh, form.acrostic[line])
                if not self.finishable(fresh):
                    return False
                if not self.rhymes:
                    break  # without rhyme, every fresh line is alike
        finally:
            self.lined = saved
        return True


def accept_regulated(state: RegulatedState, form: RegulatedForm, character: str) -> bool:
    """The poem is a fixed template: ideographs, ，or 。, a line break after each couplet (or each verse)."""
    if state.verse >= form.verses:
        return False
    if state.within < form.characters:
        if not is_cjk_character(character):
            return False
        wanted = form.acrostic_at(state.verse) if state.within == 0 else None
        if wanted is not None and character != wanted:
            return False
        state.within += 1
        return True
    if state.within == form.characters:
        if character != (FULL_STOP if state.verse % 2 else COMMA):
            return False
        if state.verse == form.verses - 1:
            state.verse, state.within = form.verses, 0
        else:
            state.within += 1
        return True
    # after the mark: a line break after 。; after ，a line break (verse layout) or the next verse at once
    if state.verse % 2:
        if character != NEWLINE:
            return False
        state.verse, state.within = state.verse + 1, 0
        return True
    if character == NEWLINE and state.layout in ("", "verse"):
        state.layout, state.verse, state.within = "verse", state.verse + 1, 0
        return True
    wanted = form.acrostic_at(state.verse + 1)
    if state.layout in ("", "couplet") and is_cjk_character(character) and wanted in (None, character):
        state.layout, state.verse, state.within = "couplet", state.verse + 1, 1
        return True
    return False
