"""Syllables and rhymes: the CMU table answers for the words it knows; the spelling heuristic that covers the
rest is measured against the table, so its accuracy is a documented figure, not a hope."""

from __future__ import annotations

from poet_tui.forms.pronunciation import (
    heuristic_syllables,
    pronunciations,
    rhyme_key,
    rhymes,
    spelling_rhyme_key,
    syllables,
)

# The heuristic's agreement with the CMU dictionary on every 30th plain word of the table (3,900
# words): 85% exact, and 99% within one syllable, when this was written. The README quotes these figures.
HEURISTIC_EXACT = 0.83
HEURISTIC_WITHIN_ONE = 0.98


def test_the_heuristic_agrees_with_the_dictionary_on_a_word_list() -> None:
    table = pronunciations()
    words = [word for word in sorted(table) if word.isalpha()][::30]
    assert len(words) > 3500
    exact = sum(heuristic_syllables(word) == table[word][0] for word in words) / len(words)
    within_one = sum(abs(heuristic_syllables(word) - table[word][0]) <= 1 for word in words) / len(words)
    assert exact >= HEURISTIC_EXACT and within_one >= HEURISTIC_WITHIN_ONE, (exact, within_one)


def test_known_words_are_counted_by_the_dictionary() -> None:
    assert [syllables(word) for word in ("fire", "desire", "every", "beautiful", "a", "the", "moon")] == [
        2, 3, 3, 3, 1, 1, 1,
    ]  # fmt: skip
    assert syllables("Moon") == syllables("moon") and syllables("don’t") == syllables("don't") == 1
    assert syllables("") == 0 and syllables("'") == 0


def test_unknown_words_fall_back_to_the_heuristic() -> None:
    assert "heav'n" not in pronunciations() and syllables("heav'n") == heuristic_syllables("heav'n") == 1
    assert heuristic_syllables("stone") == 1 and heuristic_syllables("table") == 2
    assert heuristic_syllables("loved") == 1 and heuristic_syllables("wanted") == 2


def test_rhyme_keys_are_the_last_stressed_vowel_and_what_follows() -> None:
    assert rhymes("night", "light") and rhymes("love", "above") and rhymes("fire", "desire")
    assert not rhymes("night", "day") and not rhymes("", "")
    assert rhyme_key("Night") == rhyme_key("night") == "AY T"


def test_unknown_words_rhyme_by_spelling_and_never_with_a_dictionary_key_by_accident() -> None:
    assert spelling_rhyme_key("glomstone") == spelling_rhyme_key("flurbone") == "~one"
    assert spelling_rhyme_key("zzk") == "~zzk"
    assert rhyme_key("glomstone").startswith("~")
