"""What a poetic form is: the Chinese regulated forms and English forms counted in lines (and syllables),
with the options a user can add (acrostic, rhyme, metre), and one place that turns names into forms."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from poet_tui.errors import PoetError

COMMA, FULL_STOP, NEWLINE = "，", "。", "\n"
MAX_ENGLISH_LINE = 80  # characters: a line this long must end, so an English form always finishes
MAX_COUPLETS = 500
SONNET_METRE = (9, 11)  # syllables a line with --metre: pentameter, 10 ± 1 for feminine endings and elisions


def is_cjk_character(character: str) -> bool:
    """A CJK ideograph: what a verse of regulated poetry is made of (punctuation and kana are not)."""
    return len(character) == 1 and unicodedata.name(character, "").startswith("CJK UNIFIED IDEOGRAPH")


@dataclass(frozen=True)
class RegulatedForm:
    """`verses` verses of `characters` ideographs ending alternately in ，and 。.

    Written one couplet per line (as tang300 and the chinese-poetry layout have them) or one verse per line:
    the model picks the layout at the first ，(following its corpus), and the rest of the poem keeps it.
    `acrostic` puts one given character at the start of every verse, or of every couplet's first verse."""

    name: str
    verses: int
    characters: int
    acrostic: str = ""

    def describe(self) -> str:
        text = f"{self.verses} verses of {self.characters} characters, couplets ending in ，and 。"
        return text + (
            f", each {self.acrostic_unit()} starting with {' '.join(self.acrostic)}" if self.acrostic else ""
        )

    def acrostic_unit(self) -> str:
        return "verse" if len(self.acrostic) == self.verses else "couplet"

    def acrostic_at(self, verse: int) -> str | None:
        """The character verse `verse` must start with, or None."""
        if not self.acrostic:
            return None
        if len(self.acrostic) == self.verses:
            return self.acrostic[verse]
        return self.acrostic[verse // 2] if verse % 2 == 0 else None


@dataclass(frozen=True)
class LineForm:
    """`lines` lines of text; optionally a syllable range per line, a rhyme scheme and an acrostic.

    `syllables[i]` is the (fewest, most) syllables line i may have; `rhyme_scheme` has one letter per line
    (lines with the same letter end in words that rhyme); `acrostic[i]` is the letter line i starts with."""

    name: str
    lines: int
    syllables: tuple[tuple[int, int], ...] = ()
    rhyme_scheme: str = ""
    acrostic: str = ""

    def describe(self) -> str:
        parts = [f"{self.lines} lines"]
        if self.syllables:
            counts = [str(low) if low == high else f"{low}–{high}" for low, high in self.syllables]
            parts.append(f"of {'-'.join(counts)} syllables" if len(set(counts)) > 1 else f"of {counts[0]} syllables")
        if self.rhyme_scheme:
            parts.append(f"rhymed {self.rhyme_scheme}")
        if self.acrostic:
            parts.append(f"starting with the letters {self.acrostic}")
        return " ".join(parts)


Form = RegulatedForm | LineForm

HAIKU_SYLLABLES = ((5, 5), (7, 7), (5, 5))

FORMS: dict[str, Form] = {
    "wulv": RegulatedForm("wulv", 8, 5),
    "qilv": RegulatedForm("qilv", 8, 7),
    "wujue": RegulatedForm("wujue", 4, 5),
    "qijue": RegulatedForm("qijue", 4, 7),
    "sonnet": LineForm("sonnet", 14),
    "haiku": LineForm("haiku", 3, HAIKU_SYLLABLES),
    "quatrain": LineForm("quatrain", 4),
}
FORM_NAMES = ("free", *FORMS, "couplets:N")

# The rhyme schemes --rhyme asks for: Shakespeare's sonnet, the alternating quatrain, couplets.
RHYME_SCHEMES = {"sonnet": "ABABCDCDEFEFGG", "quatrain": "ABAB"}


def parse_form(text: str) -> Form | None:
    """A form by name (`free` or empty: none); `couplets:N` is N couplets, 2N lines."""
    name = text.strip().lower()
    if name in ("", "free"):
        return None
    if name in FORMS:
        return FORMS[name]
    if name.startswith("couplets:"):
        count = name.removeprefix("couplets:")
        if count.isascii() and count.isdigit() and len(count) <= 3 and 1 <= int(count) <= MAX_COUPLETS:
            return LineForm(f"couplets:{int(count)}", 2 * int(count))
        raise PoetError(f"'{text}' needs a number of couplets between 1 and {MAX_COUPLETS}, e.g. couplets:4.")
    raise PoetError(f"there is no form named '{text}'; choose one of {', '.join(FORM_NAMES)}.")


def couplet_scheme(lines: int) -> str:
    return "".join(chr(ord("A") + (index // 2) % 26) for index in range(lines))


def choose_form(name: str, acrostic: str = "", rhyme: bool = False, metre: bool = False) -> Form | None:
    """The form a user asked for, with its options; one sentence (PoetError) for a combination that cannot be.

    An acrostic without a form is a poem of one line per letter (an English acrostic) or, for CJK characters,
    a jueju (4) or lüshi (8) with one character per verse."""
    form = parse_form(name)
    acrostic = acrostic.strip()
    if acrostic:
        form = with_acrostic(form, acrostic)
    if rhyme:
        if not isinstance(form, LineForm) or form.name == "haiku":
            shown = "free verse" if form is None else form.name
            raise PoetError(
                f"--rhyme works with the English forms sonnet, quatrain, couplets:N and acrostics, not {shown}."
            )
        scheme = RHYME_SCHEMES.get(form.name) or couplet_scheme(form.lines)
        form = LineForm(form.name, form.lines, form.syllables, scheme, form.acrostic)
    if metre:
        if not isinstance(form, LineForm) or form.name != "sonnet":
            raise PoetError("--metre counts a sonnet's syllables (9 to 11 a line); use it with --form sonnet.")
        form = LineForm(form.name, form.lines, (SONNET_METRE,) * form.lines, form.rhyme_scheme, form.acrostic)
    return form


def with_acrostic(form: Form | None, acrostic: str) -> Form:
    """The form with one acrostic character per line (verse, or couplet), or a refusal saying how many it needs."""
    if any(character.isspace() for character in acrostic) or not acrostic.isprintable():
        raise PoetError("--acrostic takes the letters or characters themselves, with no spaces, e.g. LOVE or 春夏秋冬.")
    chinese = all(is_cjk_character(character) for character in acrostic)
    if form is None:
        if chinese:
            if len(acrostic) not in (4, 8):
                raise PoetError("a Chinese acrostic without --form needs 4 or 8 characters (a jueju or a lüshi).")
            form = FORMS["wujue"] if len(acrostic) == 4 else FORMS["wulv"]
        else:
            if not all(character.isalpha() for character in acrostic):
                raise PoetError("an English acrostic takes letters only, e.g. --acrostic LOVE.")
            if len(acrostic) > MAX_COUPLETS:
                raise PoetError(f"an acrostic can have at most {MAX_COUPLETS} letters.")
            return LineForm("acrostic", len(acrostic), acrostic=acrostic)
    if isinstance(form, RegulatedForm):
        if not chinese:
            raise PoetError(f"the acrostic of a {form.name} is written in CJK characters, e.g. 春夏秋冬.")
        if len(acrostic) not in (form.verses, form.verses // 2):
            raise PoetError(
                f"a {form.name} acrostic needs {form.verses} characters (one a verse) or {form.verses // 2} "
                f"(one a couplet), not {len(acrostic)}."
            )
        return RegulatedForm(form.name, form.verses, form.characters, acrostic)
    if not all(character.isalpha() and not is_cjk_character(character) for character in acrostic):
        raise PoetError("an English acrostic takes letters only, e.g. --acrostic LOVE.")
    if len(acrostic) != form.lines:
        raise PoetError(
            f"a {form.name} has {form.lines} lines, so its acrostic needs {form.lines} letters, not {len(acrostic)}."
        )
    return LineForm(form.name, form.lines, form.syllables, form.rhyme_scheme, acrostic)
