"""The benchmark's data, prepared the way the reference setups prepare theirs.

- nanoGPT's shakespeare_char: the first 90 % of the characters train, the last 10 % validate, and validation is
  the loss averaged over every position of random 256-character windows read from a zero state.
- pytorch/examples word_language_model: lines split 90 / 5 / 5, whitespace-separated words plus `<eos>` per line,
  the vocabulary taken from all three parts (as its `data.Corpus` does).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as functional

from poet_tui.corpus import Corpus, Document, read_text_file
from poet_tui.corpus_registry import resolve_corpus
from poet_tui.errors import PoetError
from poet_tui.tokenizers import (
    SPM_MIN_VOCAB,
    CharTokenizer,
    LookupDecoder,
    SentencePieceTokenizer,
    StreamDecoder,
    Tokenizer,
)
from poet_tui.train import PreparedData

DEFAULT_CORPUS = "shakespeare-plays"
END_OF_LINE = "<eos>"


@dataclass(frozen=True)
class BenchText:
    name: str  # what the results call the corpus
    text: str


def load_bench_text(corpus: str | None, limit: int | None = None) -> BenchText:
    """A file is read verbatim (the engine's reader: UTF-8 checked, newlines normalised); a corpus name gives
    its documents joined by blank lines. `limit` keeps the first characters only (quick runs)."""
    if corpus and Path(corpus).expanduser().is_file():
        path = Path(corpus).expanduser()
        text = read_text_file(path)
        name = path.name
    else:
        loaded = resolve_corpus(corpus or DEFAULT_CORPUS)
        text = "\n\n".join(document.text for document in loaded.documents) + "\n"
        name = loaded.name
    return BenchText(name, text[:limit] if limit else text)


def as_stream(ids: Iterable[int]) -> torch.Tensor:
    return torch.tensor(list(ids), dtype=torch.int32)


# ----- nanoGPT shakespeare_char -----
def nanogpt_char_data(source: BenchText) -> PreparedData:
    """First 90 % of the characters train, the rest validate; no `<eod>` markers, the alphabet of the whole text."""
    cut = int(len(source.text) * 0.9)
    train_text, validation_text = source.text[:cut], source.text[cut:]
    tokenizer = CharTokenizer.build([Document(source.text)])
    return PreparedData(
        corpus=Corpus(source.name, [Document(source.text)]),
        tokenizer=tokenizer,
        train_stream=as_stream(tokenizer.encode(train_text)),
        validation_stream=as_stream(tokenizer.encode(validation_text)),
        validation_characters=len(validation_text),
    )


def window_starts(stream_length: int, windows: int, length: int, seed: int) -> torch.Tensor:
    """nanoGPT's `torch.randint(len(data) - block_size, ...)`, drawn once from a fixed seed."""
    if stream_length <= length:
        raise PoetError(
            f"the validation part has {stream_length} tokens, fewer than one {length}-token window; "
            "give `poet bench --corpus` a bigger text."
        )
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, stream_length - length, (windows,), generator=generator)


@torch.no_grad()
def windowed_loss(
    model: torch.nn.Module,
    stream: torch.Tensor,
    starts: torch.Tensor,
    length: int,
    batch: int,
    autocast: Callable[[], AbstractContextManager[Any]] = nullcontext,
) -> float:
    """Mean loss (nats per token) over every position of the windows stream[s : s + length + 1], each read from a
    zero state. One procedure for every model scored on these windows: an RNN returns (logits, state), nanoGPT's
    GPT its logits alone."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    stream = stream.to(device=device, dtype=torch.long)
    offsets = torch.arange(length + 1, device=device)
    total = torch.zeros((), device=device, dtype=torch.float64)
    for chunk in starts.to(device).split(batch):
        window = stream[chunk[:, None] + offsets]
        with autocast():
            output = model(window[:, :-1])
        logits = output[0] if isinstance(output, tuple) else output
        total += functional.cross_entropy(
            logits.float().reshape(-1, logits.shape[-1]), window[:, 1:].reshape(-1), reduction="sum"
        ).double()
    model.train(was_training)
    return float(total.item()) / (starts.numel() * length)


# ----- word_language_model -----
@dataclass(frozen=True)
class LineSplit:
    train: list[str]
    validation: list[str]
    test: list[str]

    @staticmethod
    def text_of(lines: list[str]) -> str:
        return "".join(line + "\n" for line in lines)


def split_lines(text: str) -> LineSplit:
    """First 90 % of the lines train, the next 5 % validate, the last 5 % test."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # a final newline ends the last line; it does not start another
    first, second = int(len(lines) * 0.9), int(len(lines) * 0.95)
    return LineSplit(lines[:first], lines[first:second], lines[second:])


class WhitespaceWordTokenizer:
    """word_language_model's tokens: `line.split()` plus `<eos>`; ids in order of first appearance."""

    kind = "wlm-word"

    def __init__(self, split: LineSplit) -> None:
        self.index: dict[str, int] = {END_OF_LINE: 0}
        for part in (split.train, split.validation, split.test):
            for line in part:
                for word in line.split():
                    self.index.setdefault(word, len(self.index))
        self.tokens = list(self.index)
        self.end_of_document_id = 0

    @property
    def vocab_size(self) -> int:
        return len(self.tokens)

    def encode_lines(self, lines: list[str]) -> list[int]:
        ids: list[int] = []
        for line in lines:
            ids.extend(self.index[word] for word in line.split())
            ids.append(self.end_of_document_id)
        return ids

    def encode(self, text: str) -> list[int]:
        return [self.index[word] for word in text.split()]

    def decode(self, ids: Iterable[int]) -> str:
        decoder = self.stream_decoder()
        return "".join(decoder.feed(token_id) for token_id in ids)

    def unknown_symbols(self, text: str) -> list[str]:
        return [word for word in text.split() if word not in self.index]

    def stream_decoder(self) -> StreamDecoder:
        return LookupDecoder([word + " " for word in self.tokens], {self.end_of_document_id})

    def token_texts(self) -> list[str | None]:
        return [None if index == self.end_of_document_id else word + " " for index, word in enumerate(self.tokens)]

    def save(self, directory: Path) -> None:  # the benchmark's runs are thrown away; nothing to keep
        return None


def word_language_model_data(
    source: BenchText, tokenizer: str = "wlm-word", spm_vocab_size: int = 2000
) -> PreparedData:
    """The 90/5/5 line split with word_language_model's tokens, or with ours (`char`, `spm`) on the same text."""
    split = split_lines(source.text)
    validation_text = split.text_of(split.validation)
    words = WhitespaceWordTokenizer(split)
    chosen: Tokenizer = words
    if tokenizer == "wlm-word":
        train_ids, validation_ids = words.encode_lines(split.train), words.encode_lines(split.validation)
    elif tokenizer in ("char", "spm"):
        train_text = split.text_of(split.train)
        if tokenizer == "char":
            chosen = CharTokenizer.build([Document(source.text)])
        else:  # byte fallback: no text is unknown, so its bits per character hide nothing
            # Every character must get a piece (coverage 1.0) beside the 256 byte pieces: big alphabets need room.
            vocab_size = max(spm_vocab_size, len(set(train_text)) + SPM_MIN_VOCAB)
            chosen = SentencePieceTokenizer.train([Document(train_text)], vocab_size=vocab_size)
        train_ids, validation_ids = chosen.encode(train_text), chosen.encode(validation_text)
    else:
        raise ValueError(f"unknown benchmark tokenizer {tokenizer!r}")
    return PreparedData(
        corpus=Corpus(source.name, [Document(source.text)]),
        tokenizer=chosen,
        train_stream=as_stream(train_ids),
        validation_stream=as_stream(validation_ids),
        validation_characters=len(validation_text),
    )
