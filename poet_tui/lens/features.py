"""Simple, named features of a text, one value per character: what a hidden unit might be found to track
(Karpathy, Johnson and Fei-Fei's line-length, quote and bracket cells).

Each value describes the text as read up to and including that character, as the model's state after reading
it does: an opening quote is inside the quotes, a closing one is not. A line's newline belongs to the line it
ends. Poems are separated by two or more blank lines, as in a plain-text corpus; blank lines inside a poem
(between stanzas) do not count as lines of it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from poet_tui.corpus_formats import DOCUMENT_SEPARATOR

FeatureFunction = Callable[[str], np.ndarray]

# Straight double quotes toggle; the others open and close. A straight single quote is left out: in verse it is
# far more often an apostrophe (o'er, 'tis, lovers') than a quotation mark.
TOGGLING_QUOTES = {'"'}
OPENING_QUOTES = {"\u201c": "\u201d", "\u2018": "\u2019", "\u00ab": "\u00bb", "\u300c": "\u300d", "\u300e": "\u300f"}
HALF_LINE_MARKS = {"\uff0c", "\uff1b"}  # ， ； : where a line holding a couplet turns to its second verse
OPENING_BRACKETS = {"(": ")", "[": "]", "{": "}", "\uff08": "\uff09", "\u3010": "\u3011", "\u3008": "\u3009"}


class Feature(NamedTuple):
    name: str
    description: str
    function: FeatureFunction


def line_bounds(text: str) -> list[tuple[int, int]]:
    """(start, end) of each line, the end just past its newline (or the end of the text)."""
    bounds = []
    start = 0
    while start < len(text):
        newline = text.find("\n", start)
        end = len(text) if newline < 0 else newline + 1
        bounds.append((start, end))
        start = end
    return bounds


def position_in_line(text: str) -> np.ndarray:
    values = np.zeros(len(text), dtype=np.float64)
    for start, end in line_bounds(text):
        values[start:end] = np.arange(end - start)
    return values


def characters_to_line_end(text: str) -> np.ndarray:
    """0 at the newline, 1 at the character before it; a last line without a newline ends at the text's end."""
    values = np.zeros(len(text), dtype=np.float64)
    for start, end in line_bounds(text):
        line_end = end - 1 if text[end - 1] == "\n" else end
        values[start:end] = line_end - np.arange(start, end)
    return values


def poem_starts(text: str) -> set[int]:
    """Offsets where a poem starts after a separator (the first poem starts at 0)."""
    return {separator.end() for separator in DOCUMENT_SEPARATOR.finditer(text)}


def inside_quotes(text: str) -> np.ndarray:
    values = np.zeros(len(text), dtype=np.float64)
    starts = poem_starts(text)
    closing: str | None = None
    for index, character in enumerate(text):
        if index in starts:
            closing = None  # an unclosed quote ends with its poem
        if closing is not None and character == closing:
            closing = None
        elif closing is None and character in TOGGLING_QUOTES:
            closing = character
        elif closing is None and character in OPENING_QUOTES:
            closing = OPENING_QUOTES[character]
        values[index] = closing is not None
    return values


def inside_brackets(text: str) -> np.ndarray:
    """1 from an opening bracket up to, not including, its closing one; nested brackets count once."""
    values = np.zeros(len(text), dtype=np.float64)
    starts = poem_starts(text)
    closing = set(OPENING_BRACKETS.values())
    depth = 0
    for index, character in enumerate(text):
        if index in starts:
            depth = 0
        if character in OPENING_BRACKETS:
            depth += 1
        elif character in closing:
            depth = max(0, depth - 1)
        values[index] = depth > 0
    return values


def is_punctuation(character: str) -> bool:
    return unicodedata.category(character).startswith("P")


def after_punctuation(text: str) -> np.ndarray:
    """1 while the last character read that is not whitespace is a punctuation mark (it included)."""
    values = np.zeros(len(text), dtype=np.float64)
    after = False
    for index, character in enumerate(text):
        if not character.isspace():
            after = is_punctuation(character)
        values[index] = after
    return values


def line_in_poem(text: str) -> np.ndarray:
    """0 for a poem's first line, counting only lines with text; a blank line has the number of the next one."""
    values = np.zeros(len(text), dtype=np.float64)
    starts = poem_starts(text)
    number = 0
    for start, end in line_bounds(text):
        if start in starts:
            number = 0
        values[start:end] = number
        if text[start:end].strip():
            number += 1
    return values


def poem_lines(text: str) -> list[list[tuple[int, int]]]:
    """The (start, end) of each line, grouped by poem (a separator's blank lines with the poem before it)."""
    starts = poem_starts(text)
    poems: list[list[tuple[int, int]]] = [[]]
    for start, end in line_bounds(text):
        if start in starts:
            poems.append([])
        poems[-1].append((start, end))
    return poems


def has_couplet_lines(lines: Sequence[str]) -> bool:
    """Chinese regulated verse is written a couplet to a line, its two verses split by a full-width comma
    (兰叶春葳蕤，桂华秋皎洁。): so is a poem where at least half the lines with text have one inside them."""
    written = [line.strip() for line in lines if line.strip()]
    split = [line for line in written if any(mark in line[:-1] for mark in HALF_LINE_MARKS)]
    return bool(written) and 2 * len(split) >= len(written)


def couplet_position(text: str) -> np.ndarray:
    """0 in a couplet's first verse, 1 in its second. Where a line holds a couplet (has_couplet_lines), the verse
    after each full-width comma is the next one (the comma ends its verse); elsewhere lines pair up."""
    values = line_in_poem(text) % 2
    for lines in poem_lines(text):
        if not has_couplet_lines([text[start:end] for start, end in lines]):
            continue
        for start, end in lines:
            second = 0
            for index in range(start, end):
                values[index] = second
                if text[index] in HALF_LINE_MARKS:
                    second ^= 1
    return values


FEATURES: tuple[Feature, ...] = (
    Feature("position_in_line", "characters since the line began", position_in_line),
    Feature("characters_to_line_end", "characters left before the line's end", characters_to_line_end),
    Feature("inside_quotes", "inside double or curly quotation marks", inside_quotes),
    Feature("inside_brackets", "inside brackets or parentheses", inside_brackets),
    Feature("after_punctuation", "punctuation read and no word since", after_punctuation),
    Feature("line_in_poem", "line number within the poem, from 0", line_in_poem),
    Feature("couplet_position", "first (0) or second (1) verse of a couplet", couplet_position),
)
FEATURE_NAMES = tuple(feature.name for feature in FEATURES)


def feature_named(name: str) -> Feature:
    for feature in FEATURES:
        if feature.name == name:
            return feature
    raise KeyError(name)


def token_features(text: str, spans: Sequence[tuple[int, int]], features: Sequence[Feature] = FEATURES) -> np.ndarray:
    """(tokens, features): each feature at the last character of each token, where the model's state after
    reading the token stands (a word's " moon" is 7 characters into "the moon", not 3); an empty span takes the
    character at its place (the last one at the end)."""
    matrix = np.zeros((len(spans), len(features)), dtype=np.float64)
    if not text or not spans:
        return matrix
    lasts = np.array([min(max(start, end - 1), len(text) - 1) for start, end in spans], dtype=np.int64)
    for column, feature in enumerate(features):
        matrix[:, column] = feature.function(text)[lasts]
    return matrix
