"""Poetic forms as constraints at sampling time: which next characters keep a poem in its form.

A form (definitions.py) is followed by a small state machine over the characters written so far (state.py),
which knows syllables and rhymes from the CMU dictionary (pronunciation.py); `FormConstraint`
(form_constraint.py) turns it into a logit mask over a model's vocabulary, which the one `TokenChooser`
applies. Nothing is rejected and retried, so sampling always ends."""

from __future__ import annotations

from collections.abc import Sequence

from poet_tui.errors import PoetError
from poet_tui.forms.definitions import (
    COMMA,
    FORM_NAMES,
    FORMS,
    FULL_STOP,
    MAX_ENGLISH_LINE,
    NEWLINE,
    Form,
    LineForm,
    RegulatedForm,
    choose_form,
    is_cjk_character,
    parse_form,
)
from poet_tui.forms.state import PADDING_WORD, FormState

__all__ = [
    "COMMA", "DOMINANT_SHARE", "FORMS", "FORM_NAMES", "FULL_STOP", "MAX_ENGLISH_LINE", "NEWLINE", "Form", "FormState",
    "LineForm", "RegulatedForm", "choose_form", "could_be", "describe_shares", "dominant_forms", "form_shares",
    "is_cjk_character",
    "parse_form", "require_characters", "satisfies",
]  # fmt: skip

DOMINANT_SHARE = 0.1  # a form at least this share of a corpus's poems is one of its dominant forms


def satisfies(text: str, form: Form) -> bool:
    """Whether a whole poem is in the form (what constrained sampling must always produce)."""
    state = FormState(form)
    return all(state.accept(character) for character in text) and state.complete()


def require_characters(form: Form, vocabulary: Sequence[str]) -> None:
    """Refuse a form the model cannot write at all, in one sentence, before sampling."""
    present = set(vocabulary)
    if isinstance(form, RegulatedForm):
        missing = [mark for mark in (COMMA, FULL_STOP, NEWLINE) if mark not in present]
        if not any(is_cjk_character(token) for token in present):
            missing.append("CJK characters")
        missing += [character for character in dict.fromkeys(form.acrostic) if character not in present]
    else:
        missing = [] if NEWLINE in present else ["a line break"]
        if not any(token.isalnum() for token in present):
            missing.append("letters")
        if form.syllables or form.rhyme_scheme:
            missing += [character for character in (" ", PADDING_WORD) if character not in present]
        missing += [
            letter
            for letter in dict.fromkeys(form.acrostic)
            if letter not in present and letter.swapcase() not in present
        ]
    if missing:
        listed = ", ".join(repr(mark) if len(mark) == 1 else mark for mark in missing)
        raise PoetError(f"this model never saw {listed}, so it cannot write the form {form.name}.")


def could_be(text: str, form: Form) -> bool:
    """A cheap first test (length or line count), so checking a corpus of long texts never walks them."""
    if isinstance(form, RegulatedForm):
        verse_text = form.verses * (form.characters + 1)
        return len(text) in (verse_text + form.verses // 2 - 1, verse_text + form.verses - 1)
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


def dominant_forms(shares: dict[str, float]) -> list[str]:
    """The forms that hold at least `DOMINANT_SHARE` of a corpus's poems, largest first."""
    return [name for name, share in shares.items() if share >= DOMINANT_SHARE]


def describe_shares(shares: dict[str, float]) -> str:
    """`wulv 31% · wujue 9%`, or a sentence when no poem is in a known form."""
    if not shares:
        return "none of the known forms (" + ", ".join(FORMS) + ")"
    return " · ".join(f"{name} {share:.0%}" for name, share in shares.items())
