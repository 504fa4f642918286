"""The form a REPL writes its completions in (a name with an acrostic, rhyme and metre), shared by the app's REPL
and `poet generate -i`, and the default form a model's corpus suggests. Torch-free: the app holds a choice
before the engine has loaded.

A `FormChoice` is only ever replaced by one that `choose_form` accepts, so a REPL never holds a combination
that cannot be written; each surface words the refusal with its own names (`:metre`, the form's Metre box)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from poet_tui.errors import PoetError
from poet_tui.forms.definitions import FORM_NAMES, MAX_COUPLETS, Form, LineForm, choose_form, parse_form
from poet_tui.sampling_settings import is_finite, shown

MOSTLY = 0.5  # a corpus with at least this share of its poems in one form is "mostly" that form
DEFAULT_COUPLETS = 2
OPTIONS = ("acrostic", "rhyme", "metre")


@dataclass(frozen=True)
class FormChoice:
    """`name` is free, a named form or couplets:N; `couplets` is the N that cycling to couplets:N uses."""

    name: str = "free"
    acrostic: str = ""
    rhyme: bool = False
    metre: bool = False
    couplets: int = DEFAULT_COUPLETS

    @classmethod
    def of(cls, name: str, acrostic: str = "", rhyme: bool = False, metre: bool = False) -> FormChoice:
        """The choice a user asked for by name, or one PoetError sentence (in the flags' words)."""
        try:
            parsed = parse_form(name)
        except ValueError:  # a count str.isdigit() takes but int() does not (², or thousands of digits)
            wanted = f"a number of couplets between 1 and {MAX_COUPLETS}, e.g. couplets:4"
            raise PoetError(f"{shown(name)} needs {wanted}.") from None
        if parsed is None:
            return cls().changed(acrostic=acrostic.strip(), rhyme=rhyme, metre=metre)
        if isinstance(parsed, LineForm) and parsed.name.startswith("couplets:"):
            couplets, canonical = parsed.lines // 2, f"couplets:{parsed.lines // 2}"  # couplets:٣ is couplets:3
        else:
            couplets, canonical = DEFAULT_COUPLETS, parsed.name
        return cls(canonical, couplets=couplets).changed(acrostic=acrostic.strip(), rhyme=rhyme, metre=metre)

    def form(self) -> Form | None:
        """The form to stream with (None: free verse); a PoetError sentence when the combination cannot be."""
        return choose_form(self.name, self.acrostic, self.rhyme, self.metre)

    def changed(self, **changes: Any) -> FormChoice:
        """This choice with `changes`, or a PoetError (in the flags' words) when the result cannot be written."""
        candidate = replace(self, **changes)
        candidate.form()
        return candidate

    def with_form(self, text: str) -> tuple[FormChoice, list[str]]:
        """Switch to the form named `text`, keeping the options that fit it and turning off those that do not.

        Returns the new choice and, for each option turned off, the sentence saying why. An unknown name is a
        PoetError and nothing changes."""
        candidate = FormChoice.of(text)
        if not candidate.name.startswith("couplets:"):
            candidate = replace(candidate, couplets=self.couplets)
        dropped: list[str] = []
        for option in OPTIONS:
            value = getattr(self, option)
            if not value:
                continue
            try:
                candidate = candidate.changed(**{option: value})
            except PoetError as error:
                dropped.append(f"{option} off: {error}")
        return candidate, dropped

    def next_name(self) -> str:
        """The form after this one in FORM_NAMES order (couplets:N with the remembered N), back to free."""
        names = [f"couplets:{self.couplets}" if name == "couplets:N" else name for name in FORM_NAMES]
        current = f"couplets:{self.couplets}" if self.name.startswith("couplets:") else self.name
        position = names.index(current) if current in names else -1
        return names[(position + 1) % len(names)]

    def describe(self) -> str:
        """`quatrain (acrostic LOVE, rhyme)`, `sonnet (rhyme, metre)`, `acrostic LOVE` (free verse, one line a
        letter) or `free`."""
        if self.name == "free" and self.acrostic:
            name, options = f"acrostic {self.acrostic}", []
        else:
            name, options = self.name, [f"acrostic {self.acrostic}"] if self.acrostic else []
        options += [option for option in ("rhyme", "metre") if getattr(self, option)]
        return f"{name} ({', '.join(options)})" if options else name


def forced_note(steps: int) -> str:
    """How much a form had to push a completion: what both REPLs show after one when it is not nothing."""
    return f"{steps} step{'' if steps == 1 else 's'} forced by the form"


def parse_couplets(text: str) -> int:
    """N of couplets:N from what a user typed; a PoetError when it is not a whole number in range."""
    text = text.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 3 and 1 <= int(text) <= MAX_COUPLETS):
        raise PoetError(f"couplets:N needs a whole number of couplets between 1 and {MAX_COUPLETS}.")
    return int(text)


FLAG = re.compile(r"--(form|acrostic|rhyme|metre)\b")


def in_words_of(message: str, names: Mapping[str, str]) -> str:
    """A refusal worded with the flags (`--metre`, `--form sonnet`) as another surface names the same setting."""
    return FLAG.sub(lambda match: names.get(match.group(1), match.group(0)), message)


# ----- the default form: what a model's corpus was mostly written in -----
def corpus_form_shares(metadata: Mapping[str, Any]) -> dict[str, float]:
    """The checkpoint's optional `forms` entry ({form name: share of the corpus's poems}), checked: a name this
    version knows, a finite share in [0, 1]; any other entry (or a `forms` that is not a mapping) is left out."""
    shares = metadata.get("forms")
    if not isinstance(shares, Mapping):
        return {}
    return {name: float(share) for name, share in shares.items() if known_form(name) and is_share(share)}


def known_form(name: Any) -> bool:
    if not isinstance(name, str) or name == "free":
        return False
    try:
        form = parse_form(name)
    except (PoetError, ValueError):  # ValueError: a count int() cannot read (see FormChoice.of)
        return False
    return form is not None and form.name == name


def is_share(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and is_finite(value) and 0 <= value <= 1


def default_form_name(metadata: Mapping[str, Any]) -> str:
    """The form a model's corpus was mostly written in (a share of at least MOSTLY), else free."""
    shares = corpus_form_shares(metadata)
    if not shares:
        return "free"
    name, share = min(shares.items(), key=lambda item: (-item[1], item[0]))
    return name if share >= MOSTLY else "free"


def default_note(metadata: Mapping[str, Any]) -> str | None:
    """Why a just-loaded model starts in a form (`this model's corpus is mostly wulv (62% of its poems)`), or
    None."""
    name = default_form_name(metadata)
    if name == "free":
        return None
    return f"this model's corpus is mostly {name} ({corpus_form_shares(metadata)[name]:.0%} of its poems)"
