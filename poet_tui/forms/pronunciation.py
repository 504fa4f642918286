"""Syllables and rhymes of English words: the CMU Pronouncing Dictionary first, a spelling heuristic after.

The table (pronunciations.tsv.gz, made by assets/make_pronunciations.py from the BSD-licensed CMU data) holds
126,052 words with their syllable count and rhyme key (the last stressed vowel and what follows it). Words it
lacks (archaisms such as "heav'n", names, the half-written word at the end of a sampled line) fall back to
`heuristic_syllables` and a spelling rhyme key; tests/test_pronunciation.py measures how often the heuristic
agrees with the dictionary."""

from __future__ import annotations

import gzip
import re
from functools import cache, lru_cache
from pathlib import Path

TABLE = Path(__file__).resolve().parent / "pronunciations.tsv.gz"
VOWEL_GROUPS = re.compile(r"[aeiouy]+")
APOSTROPHES = "'’"


@cache
def pronunciations() -> dict[str, tuple[int, str]]:
    """word → (syllables, rhyme key), read once (about 0.3 s) the first time a form counts syllables."""
    table: dict[str, tuple[int, str]] = {}
    for row in gzip.decompress(TABLE.read_bytes()).decode().splitlines():
        word, syllables, key = row.split("\t")
        table[word] = (int(syllables), key)
    return table


def normal_word(word: str) -> str:
    """Lower case with a typographic apostrophe made plain: how the table spells its words."""
    return word.lower().replace("’", "'")


def heuristic_syllables(word: str) -> int:
    """Vowel groups, less a silent final e, plus a syllabic -le: right for most plain English words."""
    letters = "".join(character for character in normal_word(word) if character.isalpha())
    if not letters:
        return 0
    count = len(VOWEL_GROUPS.findall(letters))
    if letters.endswith("e") and not letters.endswith(("le", "ee", "ye")) and count > 1:
        count -= 1  # stone, bake
    elif letters.endswith("le") and len(letters) > 2 and letters[-3] not in "aeiouy" and count == 1:
        count += 1  # ble only after a consonant: table, but not whale
    if letters.endswith("ed") and len(letters) > 3 and letters[-3] not in "td" and count > 1:
        count -= 1  # loved, but not wanted
    return max(count, 1)


@lru_cache(maxsize=65536)
def syllables(word: str) -> int:
    """Syllables of one word (letters and apostrophes); 0 for an empty one."""
    normal = normal_word(word).strip(APOSTROPHES)
    if not normal:
        return 0
    known = pronunciations().get(normal)
    return known[0] if known is not None else heuristic_syllables(normal)


def spelling_rhyme_key(word: str) -> str:
    """The last vowel group and what follows (a silent final e takes the group before it): stone → one."""
    letters = "".join(character for character in normal_word(word) if character.isalpha())
    groups = list(VOWEL_GROUPS.finditer(letters))
    if not groups:
        return "~" + letters
    last = groups[-1]
    if letters.endswith("e") and last.group() == "e" and len(groups) > 1 and last.start() == len(letters) - 1:
        last = groups[-2]
    return "~" + letters[last.start() :]  # marked, so a spelling never equals a dictionary key by accident


@lru_cache(maxsize=65536)
def rhyme_key(word: str) -> str:
    """Two words rhyme when their keys are equal: the dictionary's last stressed vowel + coda, else spelling."""
    normal = normal_word(word).strip(APOSTROPHES)
    if not normal:
        return ""
    known = pronunciations().get(normal)
    return known[1] if known is not None else spelling_rhyme_key(normal)


def rhymes(first: str, second: str) -> bool:
    return bool(first) and rhyme_key(first) == rhyme_key(second)
