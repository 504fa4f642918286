"""What a completion is asked for and what it measured: plain data, no torch, so the app can hold and edit
these before the engine is loaded. `stream_completion` (sample.py) re-reads the settings before every token."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from poet_tui.errors import PoetError

MAX_LENGTH = 1_000_000  # tokens in one completion: minutes of text at thousands of tokens a second
MAX_SEED = 2**63 - 1  # torch generators take 64 bits; staying below 2**63 keeps every seed a TOML/JSON integer
SEED_RANGE = f"between 0 and 2**63 - 1 ({MAX_SEED})"

# What each surface calls the settings, so a refusal names what the user typed.
FLAG_NAMES: Mapping[str, str] = {
    "temperature": "--temperature",
    "top_k": "--top-k",
    "top_p": "--top-p",
    "max_tokens": "--length",
    "seed": "--seed",
    "stop_at_end_of_poem": "--stop-at-end",
}


def shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def is_finite(value: int | float) -> bool:
    """nan and inf are not; nor is an int too long to become a float (torch and the optimizer would overflow)."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def whole_problem(value: Any, in_range: Callable[[], bool], wording: str) -> str | None:
    """What a whole-number setting must be, or None; the range is only tested on a whole number."""
    if not isinstance(value, int) or isinstance(value, bool):
        return f"a whole number, not {shown(value)}"
    return None if in_range() else wording


def finite_problem(value: Any, in_range: Callable[[], bool], wording: str) -> str | None:
    """What a real-number setting must be, or None: nan and inf compare oddly, so finiteness comes first."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not is_finite(value):
        return f"a finite number, not {shown(value)}"
    return None if in_range() else wording


def seed_problem(seed: Any) -> str | None:
    """None (a fresh seed each time) or a seed every torch generator and TOML/JSON file can hold."""
    if seed is None:
        return None
    return whole_problem(seed, lambda: 0 <= seed <= MAX_SEED, SEED_RANGE)


@dataclass
class SamplingSettings:
    temperature: float = 0.8  # 0 means greedy
    top_k: int = 0  # 0 means off
    top_p: float = 1.0  # 1 means off
    max_tokens: int = 200
    seed: int | None = None  # None: a fresh random seed per completion
    stop_at_end_of_poem: bool = True

    def problem(self, names: Mapping[str, str] = FLAG_NAMES) -> tuple[str, str] | None:
        """The first bad setting and the sentence that refuses it, naming settings as `names` does; None if fine."""
        for name, wrong in self.problems():
            if wrong is not None:
                return name, f"{names.get(name, name)} must be {wrong}."
        return None

    def problems(self) -> list[tuple[str, str | None]]:
        """For each setting, what it must be when it is not (None when it is fine). Never raises."""
        s = self
        length_range = f"between 1 and {MAX_LENGTH}"
        return [
            ("temperature", finite_problem(s.temperature, lambda: s.temperature >= 0, "0 (greedy) or more")),
            ("top_k", whole_problem(s.top_k, lambda: s.top_k >= 0, "0 (off) or more")),
            ("top_p", finite_problem(s.top_p, lambda: 0 < s.top_p <= 1, "in (0, 1]")),
            ("max_tokens", whole_problem(s.max_tokens, lambda: 1 <= s.max_tokens <= MAX_LENGTH, length_range)),
            ("seed", seed_problem(s.seed)),
            ("stop_at_end_of_poem", None if isinstance(s.stop_at_end_of_poem, bool) else "on or off"),
        ]

    def shown(self, name: str) -> str:
        """One setting as the status lines show it: what a refusal says the setting stays at."""
        value = getattr(self, name)
        if name in ("temperature", "top_p"):
            return f"{value:.2f}" if abs(value) < 1e4 else f"{value:.3g}"
        if name == "top_k":
            return str(value or "off")
        if name == "seed":
            return "random" if value is None else str(value)
        if name == "stop_at_end_of_poem":
            return "on" if value else "off"
        return str(value)

    def validate(self, names: Mapping[str, str] = FLAG_NAMES) -> None:
        """Raise the first problem as a PoetError; `names` is how the surface calling this names the settings."""
        found = self.problem(names)
        if found is not None:
            raise PoetError(found[1])


@dataclass
class CompletionStats:
    """Filled in while a completion streams: how many tokens, how fast, how soon the first one came."""

    tokens: int = 0
    started: float = field(default_factory=time.perf_counter)
    first_token_seconds: float | None = None
    finished: float | None = None
    stopped_at_end_of_poem: bool = False
    stepper: str = ""  # how tokens after the first were made: "eager" or "cuda-graph"
    forced_steps: int = 0  # with a form: tokens the form chose because the model gave its choices almost no chance
    token_ids: list[int] = field(default_factory=list)  # every token drawn, an ending <eod> included (the lens)

    @property
    def seconds(self) -> float:
        return (self.finished or time.perf_counter()) - self.started

    @property
    def ended_at_once(self) -> bool:
        """The first token drawn closed the poem: nothing was written, which a reader must be told, not left
        to guess from an empty line."""
        return self.stopped_at_end_of_poem and self.tokens == 1

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else 0.0
