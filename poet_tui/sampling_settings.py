"""What a completion is asked for and what it measured: plain data, no torch, so the app can hold and edit
these before the engine is loaded. `stream_completion` (sample.py) re-reads the settings before every token."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from poet_tui.errors import PoetError


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
    stepper: str = ""  # how tokens after the first were made: "eager" or "cuda-graph"

    @property
    def seconds(self) -> float:
        return (self.finished or time.perf_counter()) - self.started

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else 0.0
