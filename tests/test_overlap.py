"""The overlap index answers exactly what a brute-force search answers: for each character of an output, the
longest text ending there that one document holds verbatim, never across two, with a source where that text
really is; and the copied spans and novelty follow from those lengths."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from poet_tui.corpus import Document
from poet_tui.overlap import (
    IndexedText,
    Match,
    OverlapIndex,
    Span,
    copied_spans,
    highlight_regions,
    measure,
    novelty,
    training_texts,
    whole_documents,
)
from poet_tui.overlap.index import Source


def brute_lengths(output: str, texts: list[str]) -> list[int]:
    """For each position, the longest suffix of the output so far found inside one of the texts."""
    lengths = []
    for end in range(1, len(output) + 1):
        length = 0
        while length < end and any(output[end - length - 1 : end] in text for text in texts):
            length += 1
        lengths.append(length)
    return lengths


def brute_spans(lengths: list[int], min_length: int) -> list[tuple[int, int]]:
    """The copied intervals of at least min_length that no other copied interval contains."""
    intervals = [(end + 1 - length, end + 1) for end, length in enumerate(lengths) if length >= min_length]
    return [
        interval
        for interval in intervals
        if not any(other != interval and other[0] <= interval[0] and interval[1] <= other[1] for other in intervals)
    ]


def assert_source_holds(text: str, start: int, end: int, source: Source, documents: list[Document]) -> None:
    document = documents[source.document].text
    assert document[source.offset : source.offset + end - start] == text[start:end]
    assert source.line == document.count("\n", 0, source.offset) + 1
    assert (source.title, source.author) == (documents[source.document].title, documents[source.document].author)


def feed_in_pieces(index: OverlapIndex, output: str, cuts: list[int]) -> list[Match]:
    matcher = index.matcher()
    bounds = [0, *sorted(cut % (len(output) + 1) for cut in cuts), len(output)]
    for start, end in itertools.pairwise(bounds):
        matcher.feed(output[start:end])
    return matcher.matches


def check_against_brute_force(documents: list[Document], output: str, cuts: list[int], min_length: int) -> None:
    index = OverlapIndex.build(whole_documents(documents))
    matches = feed_in_pieces(index, output, cuts)
    expected = brute_lengths(output, [document.text for document in documents])
    assert [match.length for match in matches] == expected
    assert [match.position for match in matches] == list(range(len(output)))
    for match in matches:
        if match.length:
            assert match.source is not None
            assert_source_holds(output, match.start, match.position + 1, match.source, documents)
        else:
            assert match.source is None
    spans = copied_spans(matches, min_length)
    assert [(span.start, span.end) for span in spans] == brute_spans(expected, min_length)
    covered = {position for span in spans for position in range(span.start, span.end)}
    assert novelty(len(output), spans) == pytest.approx(1 - len(covered) / len(output) if output else 1.0)


def documents_over(alphabet: str) -> st.SearchStrategy[list[Document]]:
    document = st.builds(
        Document, st.text(alphabet, max_size=30), st.sampled_from(["", "Ode"]), st.sampled_from(["", "Anon"])
    )
    return st.lists(document, max_size=5)


@settings(max_examples=300, deadline=None)
@given(
    documents=documents_over("ab\n"),
    output=st.text("abc\n", max_size=40),
    cuts=st.lists(st.integers(0, 40), max_size=4),
    min_length=st.integers(1, 6),
)
def test_small_alphabets_match_a_brute_force_search(
    documents: list[Document], output: str, cuts: list[int], min_length: int
) -> None:
    check_against_brute_force(documents, output, cuts, min_length)


@settings(max_examples=150, deadline=None)
@given(
    documents=documents_over("春花秋月，。\n"),
    output=st.text("春花秋月夜，。\n", max_size=30),
    cuts=st.lists(st.integers(0, 30), max_size=3),
    min_length=st.integers(1, 4),
)
def test_chinese_text_matches_a_brute_force_search(
    documents: list[Document], output: str, cuts: list[int], min_length: int
) -> None:
    check_against_brute_force(documents, output, cuts, min_length)


@pytest.mark.parametrize("alphabet_size", [300, 70_000], ids=["two-byte codes", "four-byte codes"])
def test_large_alphabets_match_a_brute_force_search(alphabet_size: int) -> None:
    """Alphabets past 255 and past 65,535 code points take the wider code paths of the suffix sort."""
    rng = random.Random(alphabet_size)
    alphabet = [chr(0x20000 + number) for number in range(alphabet_size)]
    rng.shuffle(alphabet)
    body = "".join(alphabet)
    documents = [Document(body[: len(body) // 2]), Document(body[len(body) // 2 :] + "\n" + body[:50])]
    output = body[100:120] + body[len(body) // 2 - 5 : len(body) // 2 + 5] + "x" + body[-3:] + "\n" + body[:7]
    check_against_brute_force(documents, output, [13, 31], 4)


def test_matches_never_cross_a_document_boundary() -> None:
    index = OverlapIndex.build(whole_documents([Document("ab"), Document("cd")]))
    assert [match.length for match in index.matcher().feed("abcd")] == [1, 2, 1, 2]


def test_an_empty_corpus_and_unknown_characters_match_nothing() -> None:
    assert [match.length for match in OverlapIndex.build([]).matcher().feed("abc")] == [0, 0, 0]
    index = OverlapIndex.build(whole_documents([Document("abc")]))
    assert [(match.length, match.source) for match in index.matcher().feed("☃")] == [(0, None)]


def test_novelty_of_an_empty_text_is_one_and_a_full_copy_is_zero() -> None:
    index = OverlapIndex.build(whole_documents([Document("Shall I compare thee to a summer's day?")]))
    assert measure(index, "").novelty == 1.0
    whole = measure(index, "Shall I compare thee", min_length=12)
    assert whole.novelty == 0.0 and [(span.start, span.end) for span in whole.spans] == [(0, 20)]
    assert measure(index, "Shall I compare thee", min_length=21).novelty == 1.0


def test_a_matcher_resets_for_a_new_output() -> None:
    index = OverlapIndex.build(whole_documents([Document("the moon")]))
    matcher = index.matcher()
    matcher.feed("the mo")
    matcher.reset()
    assert [match.length for match in matcher.feed("moon")] == [1, 2, 3, 4]
    assert matcher.text_length == 4


def test_min_length_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        copied_spans([], 0)


def test_highlight_regions_never_overlap_and_keep_their_source() -> None:
    first, second = Source(0, 1, 0, "", ""), Source(1, 1, 0, "", "")
    regions = highlight_regions([Span(0, 10, first), Span(6, 14, second), Span(20, 22, first)])
    assert [(region.start, region.end, region.source) for region in regions] == [
        (0, 10, first),
        (10, 14, second),
        (20, 22, first),
    ]


@settings(max_examples=200, deadline=None)
@given(
    documents=st.lists(
        st.builds(Document, st.text("ab\n", min_size=1, max_size=40).filter(str.strip), st.sampled_from(["", "T"])),
        min_size=1,
        max_size=12,
    ),
    seed=st.integers(0, 5),
)
def test_training_texts_are_exactly_the_split_a_run_trains_on(documents: list[Document], seed: int) -> None:
    """Each piece sits in its document where it says, and together they are the training split's text."""
    from poet_tui.corpus import split_documents
    from poet_tui.errors import PoetError

    try:
        split = split_documents(documents, 0.1, seed)
    except PoetError:
        return  # too small to split: a run could not have trained on it
    texts = training_texts(documents, 0.1, seed)
    for piece in texts:
        document = documents[piece.number]
        assert document.text[piece.offset : piece.offset + len(piece.text)] == piece.text
        assert piece.first_line == document.text.count("\n", 0, piece.offset) + 1
        assert piece.title == document.title
    if split.by_documents:
        assert [piece.text for piece in texts] == [document.text for document in split.train]
    else:
        assert "\n\n\n".join(piece.text for piece in texts) == split.train[0].text


def test_a_source_in_a_cut_document_counts_lines_of_the_whole_document() -> None:
    texts = [IndexedText("third line\nfourth", number=4, title="T", offset=20, first_line=3)]
    (match,) = OverlapIndex.build(texts).matcher().feed("f")[-1:]
    assert match.source == Source(document=4, line=4, offset=31, title="T", author="")


def test_the_overlap_engine_loads_neither_torch_nor_textual() -> None:
    """Training's evaluation, the app before torch has loaded, and `poet generate` can all use it."""
    from tests.helpers import loaded_among, modules_loaded_by

    loaded = modules_loaded_by("poet_tui.overlap", then="import pydivsufsort")
    assert loaded_among(loaded, "torch", "textual") == []
