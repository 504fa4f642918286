"""Text ⇄ token ids: characters, words, or SentencePiece pieces, each saved with its run.

Every tokenizer reserves one special token, `<eod>` (end of document). Training streams put it before the
first poem and after each poem, so a model learns where a poem ends — the `*` … `$` markers of the
Tang-poetry LSTM, folded into one token since the end of one poem is the start of the next.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol

from poet_tui.atomic import atomic_write_bytes, atomic_write_text
from poet_tui.corpus import Document
from poet_tui.errors import PoetError
from poet_tui.safe_files import SMALL_FILE_LIMIT, read_bounded_bytes, read_json_file
from poet_tui.schemas import TOKENIZER_FORMAT, Invalid, NewerFormat, check_tokenizer_payload

END_OF_DOCUMENT = "<eod>"
UNKNOWN = "<unk>"
SPACED_UNKNOWN = " <unk>"  # stands for an unknown word that followed a space, so decoded text keeps its spacing
TOKENIZER_KINDS = ("char", "word", "spm")

# Words (with at most one leading space), single CJK characters, single punctuation marks, newlines, and
# any other whitespace one character at a time: every character of a text lands in exactly one token, so
# joining the tokens gives the text back.
WORD_PATTERN = re.compile(
    r" ?[\u3400-\u4dbf\u4e00-\u9fff\u3040-\u30ff\uac00-\ud7af]"
    r"| ?[^\W\u3400-\u4dbf\u4e00-\u9fff\u3040-\u30ff\uac00-\ud7af]+"
    r"| ?[^\w\s]"
    r"|\s"
)


class StreamDecoder(Protocol):
    def feed(self, token_id: int) -> str:
        """Text that the token completes; may be empty while a multi-byte character is still partial."""
        ...


class Tokenizer(Protocol):
    """What the engine needs of a tokenizer; read-only attributes, so properties satisfy it too."""

    @property
    def kind(self) -> str: ...

    @property
    def vocab_size(self) -> int: ...

    @property
    def end_of_document_id(self) -> int: ...

    def encode(self, text: str) -> list[int]: ...

    def decode(self, ids: Iterable[int]) -> str: ...

    def unknown_symbols(self, text: str) -> list[str]: ...

    def stream_decoder(self) -> StreamDecoder: ...

    def token_texts(self) -> list[str | None]: ...

    def save(self, directory: Path) -> None: ...


class LookupDecoder:
    """For tokenizers whose tokens are whole strings: each id decodes on its own."""

    def __init__(self, tokens: list[str], silent_ids: set[int]) -> None:
        self.tokens = tokens
        self.silent_ids = silent_ids

    def feed(self, token_id: int) -> str:
        return "" if token_id in self.silent_ids else self.tokens[token_id]


class VocabularyTokenizer:
    """A fixed list of string tokens; `char` and `word` differ only in how text is cut."""

    kind = "vocabulary"

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.index = {token: position for position, token in enumerate(tokens)}
        self.end_of_document_id = self.index[END_OF_DOCUMENT]
        self.unknown_id: int | None = self.index.get(UNKNOWN)
        self.spaced_unknown_id: int | None = self.index.get(SPACED_UNKNOWN, self.unknown_id)

    @property
    def vocab_size(self) -> int:
        return len(self.tokens)

    def split(self, text: str) -> list[str]:
        raise NotImplementedError

    def unknown_symbols(self, text: str) -> list[str]:
        return list(dict.fromkeys(piece for piece in self.split(text) if piece not in self.index))

    def encode(self, text: str) -> list[int]:
        pieces = self.split(text)
        if self.unknown_id is None:
            try:
                return [self.index[piece] for piece in pieces]
            except KeyError:
                missing = self.unknown_symbols(text)
                raise PoetError(f"the text has characters this model never saw: {describe_symbols(missing)}.") from None
        return [self.index.get(piece, self.unknown_for(piece)) for piece in pieces]

    def unknown_for(self, piece: str) -> int:
        """Only asked when the vocabulary has an <unk> (encode checks); a spaced one when there is one too."""
        unknown = self.spaced_unknown_id if piece.startswith(" ") else self.unknown_id
        assert unknown is not None
        return unknown

    def decode(self, ids: Iterable[int]) -> str:
        decoder = self.stream_decoder()
        return "".join(decoder.feed(token_id) for token_id in ids)

    def stream_decoder(self) -> StreamDecoder:
        return LookupDecoder(self.tokens, {self.end_of_document_id})

    def token_texts(self) -> list[str | None]:
        """The text each token writes; None for the specials (end of document, unknown)."""
        specials = {END_OF_DOCUMENT, UNKNOWN, SPACED_UNKNOWN}
        return [None if token in specials else token for token in self.tokens]

    def save(self, directory: Path) -> None:
        payload = {"format": TOKENIZER_FORMAT, "kind": self.kind, "tokens": self.tokens}
        atomic_write_text(Path(directory) / "tokenizer.json", json.dumps(payload, ensure_ascii=False))


class CharTokenizer(VocabularyTokenizer):
    """One token per Unicode code point, the alphabet taken from the whole corpus (as char-rnn does)."""

    kind = "char"

    def split(self, text: str) -> list[str]:
        return list(text)

    @classmethod
    def build(cls, documents: Iterable[Document]) -> CharTokenizer:
        alphabet: set[str] = set()
        for document in documents:
            alphabet.update(document.text)
        return cls([END_OF_DOCUMENT, *sorted(alphabet)])


class WordTokenizer(VocabularyTokenizer):
    """Words, punctuation marks and newlines as tokens; words rarer than `min_count` become `<unk>`."""

    kind = "word"

    def split(self, text: str) -> list[str]:
        return WORD_PATTERN.findall(text)

    @classmethod
    def build(cls, documents: Iterable[Document], min_count: int = 2, max_size: int | None = None) -> WordTokenizer:
        counts: Counter[str] = Counter()
        for document in documents:
            counts.update(WORD_PATTERN.findall(document.text))
        frequent = sorted(
            (token for token, count in counts.items() if count >= min_count), key=lambda t: (-counts[t], t)
        )
        if max_size is not None:
            frequent = frequent[: max(0, max_size - 3)]
        return cls([END_OF_DOCUMENT, UNKNOWN, SPACED_UNKNOWN, *frequent])


# SentencePiece reads sentences, so newlines travel inside pieces as this private-use stand-in.
NEWLINE_STAND_IN = "\ue000"
SPM_MIN_VOCAB = 320  # 256 byte-fallback pieces, the specials, and room for real pieces


class PieceStreamDecoder:
    """Holds back ids until they decode to whole characters (byte-fallback pieces come a byte at a time)."""

    def __init__(self, tokenizer: SentencePieceTokenizer) -> None:
        self.tokenizer = tokenizer
        self.pending: list[int] = []

    def feed(self, token_id: int) -> str:
        if token_id == self.tokenizer.end_of_document_id:
            return ""
        self.pending.append(token_id)
        text = self.tokenizer.decode(self.pending)
        if text.endswith("\ufffd") and len(self.pending) < 4:
            return ""
        self.pending = []
        return text


class SentencePieceTokenizer:
    """BPE or unigram pieces trained on the training split, with byte fallback so no text is unknown."""

    kind = "spm"

    def __init__(self, model_bytes: bytes) -> None:
        import sentencepiece

        self.model_bytes = model_bytes
        self.processor = sentencepiece.SentencePieceProcessor(model_proto=model_bytes)
        self.end_of_document_id = self.processor.eos_id()
        self.vocab_size = self.processor.get_piece_size()

    def encode(self, text: str) -> list[int]:
        return self.processor.encode(text.replace("\n", NEWLINE_STAND_IN))

    def decode(self, ids: Iterable[int]) -> str:
        return self.processor.decode([int(token_id) for token_id in ids]).replace(NEWLINE_STAND_IN, "\n")

    def unknown_symbols(self, text: str) -> list[str]:
        return []

    def stream_decoder(self) -> StreamDecoder:
        return PieceStreamDecoder(self)

    def token_texts(self) -> list[str | None]:
        """The text each piece writes; None for control, unknown and byte pieces (a byte is part of a character)."""
        processor = self.processor
        texts: list[str | None] = []
        for piece_id in range(self.vocab_size):
            if processor.is_control(piece_id) or processor.is_unknown(piece_id) or processor.is_byte(piece_id):
                texts.append(None)
            else:
                texts.append(processor.id_to_piece(piece_id).replace("\u2581", " ").replace(NEWLINE_STAND_IN, "\n"))
        return texts

    def save(self, directory: Path) -> None:
        atomic_write_bytes(Path(directory) / "tokenizer.model", self.model_bytes)

    @classmethod
    def train(
        cls, documents: list[Document], vocab_size: int = 2000, model_type: str = "bpe", language: str = "en"
    ) -> SentencePieceTokenizer:
        import sentencepiece

        if vocab_size < SPM_MIN_VOCAB:
            raise PoetError(f"--vocab-size must be at least {SPM_MIN_VOCAB} for spm (it has 256 byte pieces).")
        if model_type not in ("bpe", "unigram"):
            raise PoetError(f"--spm-model must be 'bpe' or 'unigram', not '{model_type}'.")
        model = io.BytesIO()
        try:
            sentencepiece.SentencePieceTrainer.train(
                sentence_iterator=iter(list(sentence_lines(documents))),
                model_writer=model,
                vocab_size=vocab_size,
                model_type=model_type,
                character_coverage=0.9995 if language in ("zh", "ja", "ko") else 1.0,
                byte_fallback=True,
                normalization_rule_name="identity",
                remove_extra_whitespaces=False,
                add_dummy_prefix=False,
                allow_whitespace_only_pieces=True,
                split_digits=True,
                user_defined_symbols=[NEWLINE_STAND_IN],
                unk_id=0,
                eos_id=1,
                bos_id=-1,
                pad_id=-1,
                hard_vocab_limit=False,
                max_sentence_length=1 << 16,
                input_sentence_size=2_000_000,
                shuffle_input_sentence=True,
                num_threads=2,
                minloglevel=2,
            )
        except RuntimeError as error:
            raise PoetError(
                f"SentencePiece could not train on this corpus ({error}); try a smaller --vocab-size."
            ) from None
        return cls(model.getvalue())


def sentence_lines(documents: Iterable[Document]) -> Iterator[str]:
    for document in documents:
        for line in document.text.split("\n"):
            yield line + NEWLINE_STAND_IN


def describe_symbols(symbols: list[str], limit: int = 8) -> str:
    shown = ", ".join(repr(symbol) for symbol in symbols[:limit])
    return shown + (f" and {len(symbols) - limit} more" if len(symbols) > limit else "")


def build_tokenizer(
    kind: str,
    train_documents: list[Document],
    all_documents: list[Document],
    vocab_size: int = 2000,
    min_count: int = 2,
    spm_model_type: str = "bpe",
    language: str = "en",
) -> Tokenizer:
    """Make a tokenizer of the asked kind; words and pieces are learned from the training split only."""
    if kind == "char":
        return CharTokenizer.build(all_documents)
    if kind == "word":
        return WordTokenizer.build(train_documents, min_count=min_count)
    if kind == "spm":
        return SentencePieceTokenizer.train(train_documents, vocab_size, spm_model_type, language)
    raise PoetError(f"unknown tokenizer '{kind}'; choose one of {', '.join(TOKENIZER_KINDS)}.")


def load_tokenizer(directory: Path) -> Tokenizer:
    """A run's tokenizer, read without following links and checked before use (see schemas.py)."""
    directory = Path(directory)
    model_path = directory / "tokenizer.model"
    if os.path.lexists(model_path):
        model_bytes = read_bounded_bytes(model_path, SMALL_FILE_LIMIT, what="SentencePiece model")
        try:
            tokenizer = SentencePieceTokenizer(model_bytes)
        except (RuntimeError, OSError, TypeError) as error:
            raise PoetError(f"{model_path} is not a readable SentencePiece model ({error}).") from None
        if not 0 <= tokenizer.end_of_document_id < tokenizer.vocab_size:
            raise PoetError(f"{model_path} has no end-of-poem piece; it was not made by poet-tui.")
        return tokenizer
    json_path = directory / "tokenizer.json"
    if not os.path.lexists(json_path):
        raise PoetError(f"{directory} has no tokenizer.json or tokenizer.model; is it a poet-tui run?")
    try:
        kind, tokens = check_tokenizer_payload(read_json_file(json_path))
    except NewerFormat:
        raise PoetError(f"{json_path} was written by a newer poet-tui; upgrade poet-tui to read it.") from None
    except Invalid as error:
        raise PoetError(f"{json_path} is damaged ({error}); the run's tokenizer cannot be read.") from None
    classes: dict[str, type[VocabularyTokenizer]] = {"char": CharTokenizer, "word": WordTokenizer}
    return classes[kind](tokens)


def encode_documents(tokenizer: Tokenizer, documents: Iterable[Document]) -> list[int]:
    """The training stream: `<eod>` first, then each document followed by `<eod>`."""
    stream = [tokenizer.end_of_document_id]
    for document in documents:
        stream.extend(tokenizer.encode(document.text))
        stream.append(tokenizer.end_of_document_id)
    return stream


def count_characters(documents: Iterable[Document]) -> int:
    """Characters a model must predict for these documents: their text plus one per `<eod>` after each."""
    return sum(len(document.text) + 1 for document in documents)
