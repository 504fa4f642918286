"""Each tokenizer gives text back exactly, streams the same text it decodes, and saves/loads with its run."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from poet_tui.corpus import Document
from poet_tui.errors import PoetError
from poet_tui.tokenizers import (
    NEWLINE_STAND_IN,
    CharTokenizer,
    SentencePieceTokenizer,
    WordTokenizer,
    encode_documents,
    load_tokenizer,
)

TRAINING_TEXT = [
    Document("Shall I compare thee to a summer's day?\nThou art more lovely and more temperate:"),
    Document("Rough winds do shake the darling buds of May,\n  And summer's lease hath all too short a date;"),
    Document("床前明月光，疑是地上霜。\n举头望明月，低头思故乡。"),
]
CHAR = CharTokenizer.build(TRAINING_TEXT)
WORD = WordTokenizer.build(TRAINING_TEXT, min_count=1)
SPM = SentencePieceTokenizer.train(TRAINING_TEXT * 20, vocab_size=330)


@given(st.text(alphabet=sorted(set("".join(d.text for d in TRAINING_TEXT)))))
def test_char_round_trip(text: str) -> None:
    assert CHAR.decode(CHAR.encode(text)) == text


def word_boundary_safe(token: str) -> str:
    """A token without a leading space would merge with what precedes it ("the"+"the", " "+","); start it
    on a new line so the text re-splits into the same tokens."""
    return token if token[0].isspace() else "\n" + token


@given(st.lists(st.sampled_from(WORD.tokens[3:]).map(word_boundary_safe), max_size=40))
def test_word_round_trip(tokens: list[str]) -> None:
    text = "".join(tokens)
    assert not WORD.unknown_symbols(text)
    assert WORD.decode(WORD.encode(text)) == text


# Byte fallback means any text round-trips, except the two symbols SentencePiece itself reserves.
spm_text = st.text(st.characters(blacklist_characters="\u2581" + NEWLINE_STAND_IN, blacklist_categories=("Cs",)))


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=200)
@given(spm_text)
def test_spm_round_trip_with_byte_fallback(text: str) -> None:
    assert SPM.decode(SPM.encode(text)) == text


@settings(max_examples=100)
@given(spm_text)
def test_spm_stream_decoder_matches_decode(text: str) -> None:
    decoder = SPM.stream_decoder()
    assert "".join(decoder.feed(token_id) for token_id in SPM.encode(text)) == text


def test_word_tokens_carry_their_leading_space_and_cover_every_character() -> None:
    assert WORD.split("Thou art,  more\n") == ["Thou", " art", ",", " ", " more", "\n"]
    assert WORD.split("床前明月") == ["床", "前", "明", "月"]


def test_unknown_symbols() -> None:
    assert CHAR.unknown_symbols("thee ☃ Z") == ["☃", "Z"]
    with pytest.raises(PoetError, match="never saw"):
        CHAR.encode("☃")
    assert WORD.unknown_symbols(" thee zebra") == [" zebra"]
    assert WORD.encode("zebra zebra") == [WORD.unknown_id, WORD.spaced_unknown_id]
    assert WORD.decode(WORD.encode("thee zebra, thee")) == "<unk> <unk>, thee"
    assert SPM.unknown_symbols("☃ anything") == []


def test_encode_documents_marks_every_poem_boundary() -> None:
    stream = encode_documents(CHAR, TRAINING_TEXT[:2])
    eod = CHAR.end_of_document_id
    assert stream[0] == eod and stream[-1] == eod
    assert stream.count(eod) == 3
    assert CHAR.decode(stream) == TRAINING_TEXT[0].text + TRAINING_TEXT[1].text


@pytest.mark.parametrize("tokenizer", [CHAR, WORD, SPM], ids=["char", "word", "spm"])
def test_save_and_load(tokenizer, tmp_path: Path) -> None:
    tokenizer.save(tmp_path)
    loaded = load_tokenizer(tmp_path)
    text = TRAINING_TEXT[0].text
    assert loaded.kind == tokenizer.kind
    assert loaded.encode(text) == tokenizer.encode(text)
    assert loaded.vocab_size == tokenizer.vocab_size


def test_spm_refuses_a_vocabulary_too_small_for_byte_fallback() -> None:
    with pytest.raises(PoetError, match="at least"):
        SentencePieceTokenizer.train(TRAINING_TEXT, vocab_size=100)


def test_damaged_tokenizer_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "tokenizer.json").write_text("{not json")
    with pytest.raises(PoetError, match="damaged"):
        load_tokenizer(tmp_path)
