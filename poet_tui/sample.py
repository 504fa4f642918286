"""Streaming generation: prime the prompt in one forward pass, then one step per token, state carried.

`stream_completion` re-reads its `SamplingSettings` before every token, so a caller (the REPL pane) can
change temperature, length or top-k/top-p while a completion is streaming and the rest of it obeys.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import torch

from poet_tui.errors import PoetError
from poet_tui.model import RNNLanguageModel
from poet_tui.tokenizers import Tokenizer, describe_symbols

POEM_SEPARATOR = "\n\n"


@dataclass
class SamplingSettings:
    temperature: float = 0.8  # 0 means greedy
    top_k: int = 0  # 0 means off
    top_p: float = 1.0  # 1 means off
    max_tokens: int = 200
    seed: int | None = None  # None: a fresh random seed per completion
    stop_at_end_of_poem: bool = True

    def validate(self) -> None:
        if self.temperature < 0:
            raise PoetError("--temperature must be 0 (greedy) or more.")
        if self.top_k < 0:
            raise PoetError("--top-k must be 0 (off) or more.")
        if not 0 < self.top_p <= 1:
            raise PoetError("--top-p must be in (0, 1].")
        if self.max_tokens < 1:
            raise PoetError("--length must be at least 1.")


@dataclass
class CompletionStats:
    """Filled in while a completion streams: how many tokens, how fast, how soon the first one came."""

    tokens: int = 0
    started: float = field(default_factory=time.perf_counter)
    first_token_seconds: float | None = None
    finished: float | None = None
    stopped_at_end_of_poem: bool = False

    @property
    def seconds(self) -> float:
        return (self.finished or time.perf_counter()) - self.started

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else 0.0


def prompt_token_ids(tokenizer: Tokenizer, prompt: str) -> list[int]:
    """`<eod>` (a poem starts here) and the prompt; refuses symbols the model never saw."""
    missing = tokenizer.unknown_symbols(prompt)
    if missing:
        kind = "characters" if tokenizer.kind == "char" else "words"
        raise PoetError(f"the prompt has {kind} this model never saw: {describe_symbols(missing)}; leave them out.")
    return [tokenizer.end_of_document_id, *tokenizer.encode(prompt)]


def choose_next_token(logits: torch.Tensor, settings: SamplingSettings, generator: torch.Generator) -> int:
    """Temperature, then top-k, then top-p (nucleus), then a draw from the generator."""
    if settings.temperature <= 0:
        return int(torch.argmax(logits).item())
    logits = logits.float() / settings.temperature
    if 0 < settings.top_k < logits.numel():
        threshold = torch.topk(logits, settings.top_k).values[-1]
        logits = logits.masked_fill(logits < threshold, float("-inf"))
    if settings.top_p < 1.0:
        sorted_logits, order = torch.sort(logits, descending=True)
        cumulative = torch.softmax(sorted_logits, dim=-1).cumsum(dim=-1)
        drop = cumulative - torch.softmax(sorted_logits, dim=-1) >= settings.top_p
        logits = logits.masked_fill(torch.zeros_like(drop).scatter(0, order, drop), float("-inf"))
    probabilities = torch.softmax(logits, dim=-1)
    return int(torch.multinomial(probabilities, 1, generator=generator).item())


def make_generator(device: torch.device, seed: int | None) -> torch.Generator:
    generator = torch.Generator(device=device)
    generator.manual_seed(seed if seed is not None else random.SystemRandom().randrange(2**63))
    return generator


def stream_completion(
    model: RNNLanguageModel,
    tokenizer: Tokenizer,
    prompt: str,
    settings: SamplingSettings,
    stats: CompletionStats | None = None,
) -> Iterator[str]:
    """Yield the completion of `prompt` one decoded piece at a time (the prompt itself is not repeated)."""
    settings.validate()
    device = next(model.parameters()).device
    prompt_ids = prompt_token_ids(tokenizer, prompt)
    stats = stats if stats is not None else CompletionStats()
    generator = make_generator(device, settings.seed)
    decoder = tokenizer.stream_decoder()
    end_of_document = tokenizer.end_of_document_id
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            logits, state = model(torch.tensor([prompt_ids], device=device))
            next_logits = logits[0, -1]
            while True:
                token_id = choose_next_token(next_logits, settings, generator)
                stats.tokens += 1
                if stats.first_token_seconds is None:
                    stats.first_token_seconds = time.perf_counter() - stats.started
                if token_id == end_of_document:
                    if settings.stop_at_end_of_poem:
                        stats.stopped_at_end_of_poem = True
                        break
                    piece = POEM_SEPARATOR
                else:
                    piece = decoder.feed(token_id)
                if piece:
                    yield piece
                if stats.tokens >= settings.max_tokens:  # re-read each time: the length may change mid-stream
                    break
                logits, state = model(torch.tensor([[token_id]], device=device), state)
                next_logits = logits[0, -1]
    finally:
        stats.finished = time.perf_counter()
        if was_training:
            model.train()


def complete(model: RNNLanguageModel, tokenizer: Tokenizer, prompt: str, settings: SamplingSettings) -> str:
    return "".join(stream_completion(model, tokenizer, prompt, settings))
