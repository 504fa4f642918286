"""A text as the model reads it, with each token's place in the text, so a view can colour the right characters.

A text read by the lens is split into poems the way a plain-text corpus is (two or more blank lines between
them, corpus_formats.DOCUMENT_SEPARATOR) and the poems are joined by `<eod>`, as the training stream has them:
the model sees a file of poems as it saw its training text. The `<eod>` between two poems stands for the blank
lines it replaced (its span covers them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from poet_tui.corpus_formats import DOCUMENT_SEPARATOR
from poet_tui.errors import PoetError
from poet_tui.tokenizers import Tokenizer, VocabularyTokenizer, describe_symbols

# What a completion shows for an <eod> that does not end it (sample.py's POEM_SEPARATOR, kept equal by a test).
SHOWN_END_OF_POEM = "\n\n"
POEM_JOINER = "\n\n\n"  # two blank lines: the shortest separator a plain-text corpus splits poems at
END_OF_POEM_LABEL = "<end of poem>"


@dataclass(frozen=True)
class TokenizedText:
    """Token ids and, for each, the (start, end) character offsets of the text it stands for."""

    text: str
    ids: list[int]
    spans: list[tuple[int, int]]


def token_labels(tokenizer: Tokenizer) -> list[str]:
    """A readable text for every token id: its own text, or a name for the specials (end of poem, bytes)."""
    labels: list[str] = []
    for token_id, text in enumerate(tokenizer.token_texts()):
        if text is not None:
            labels.append(text)
        elif token_id == tokenizer.end_of_document_id:
            labels.append(END_OF_POEM_LABEL)
        else:
            labels.append(f"<token {token_id}>")
    return labels


def require_spellable(tokenizer: Tokenizer, text: str) -> None:
    """Refuse a text with characters (or words) a vocabulary without <unk> cannot spell, naming them."""
    missing = tokenizer.unknown_symbols(text)
    if missing and isinstance(tokenizer, VocabularyTokenizer) and tokenizer.unknown_id is None:
        kind = "characters" if tokenizer.kind == "char" else "words"
        raise PoetError(
            f"the text has {kind} this model never saw: {describe_symbols(missing)}; "
            "leave them out or use a model trained on them."
        )


def piece_spans(tokenizer: Tokenizer, text: str, ids: Sequence[int], offset: int = 0) -> list[tuple[int, int]]:
    """Where each token of `ids` (the encoding of `text`) lies in it, shifted by `offset`.

    A vocabulary tokenizer cuts the text into pieces that join back to it (an unknown piece keeps its own
    characters); SentencePiece pieces are decoded one after another, and a byte piece that only completes a
    character later gets an empty span. Offsets never pass the end of the text."""
    spans: list[tuple[int, int]] = []
    if isinstance(tokenizer, VocabularyTokenizer):
        position = 0
        for piece in tokenizer.split(text):
            spans.append((offset + position, offset + position + len(piece)))
            position += len(piece)
        return spans
    decoder = tokenizer.stream_decoder()
    position = 0
    for token_id in ids:
        piece = decoder.feed(token_id)
        end = min(len(text), position + len(piece))
        spans.append((offset + position, offset + end))
        position = end
    return spans


def tokenize_text(tokenizer: Tokenizer, text: str) -> TokenizedText:
    """The poems of `text` joined by `<eod>`, each token with its span; no `<eod>` before the first poem."""
    require_spellable(tokenizer, text)
    ids: list[int] = []
    spans: list[tuple[int, int]] = []
    start = 0
    for separator in [*DOCUMENT_SEPARATOR.finditer(text), None]:
        end = len(text) if separator is None else separator.start()
        poem = text[start:end]
        poem_ids = tokenizer.encode(poem) if poem else []
        ids.extend(poem_ids)
        spans.extend(piece_spans(tokenizer, poem, poem_ids, start))
        if separator is not None:
            ids.append(tokenizer.end_of_document_id)
            spans.append((separator.start(), separator.end()))
            start = separator.end()
    return TokenizedText(text, ids, spans)


def completion_spans(tokenizer: Tokenizer, token_ids: Sequence[int]) -> tuple[str, list[tuple[int, int]]]:
    """The text a streamed completion showed for these ids, and each id's span in it.

    As stream_completion shows it: an `<eod>` in the middle reads as a blank line, one that ends the completion
    shows nothing."""
    decoder = tokenizer.stream_decoder()
    end_of_document = tokenizer.end_of_document_id
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    position = 0
    for index, token_id in enumerate(token_ids):
        if token_id == end_of_document:
            piece = SHOWN_END_OF_POEM if index < len(token_ids) - 1 else ""
        else:
            piece = decoder.feed(token_id)
        parts.append(piece)
        spans.append((position, position + len(piece)))
        position += len(piece)
    return "".join(parts), spans
