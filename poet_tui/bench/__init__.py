"""`poet bench`: training speed, time to quality, sampling speed and memory, one JSON object per case.

The cases (cases.py) measure the engine as `poet train` and `poet generate` run it, against the reference setups
the issue names (nanoGPT's char split, pytorch/examples word_language_model). Runs go to a temporary directory
and are deleted afterwards, so benchmarking never touches the user's runs.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch

from poet_tui.bench.cases import CASE_NAMES, BenchContext, run_case
from poet_tui.bench.profiles import profile_for
from poet_tui.bench.texts import load_bench_text
from poet_tui.errors import PoetError

__all__ = ["CASE_NAMES", "run_bench", "select_cases"]


def select_cases(spec: str | None) -> list[str]:
    """`--cases a,b` in the order given (each once), or every case."""
    if not spec:
        return list(CASE_NAMES)
    names = list(dict.fromkeys(name.strip() for name in spec.split(",") if name.strip()))
    unknown = [name for name in names if name not in CASE_NAMES]
    if unknown or not names:
        named = ", ".join(map(repr, unknown)) or "(none)"
        raise PoetError(f"unknown case {named}; choose from {', '.join(CASE_NAMES)}.")
    return names


def run_bench(
    names: list[str],
    device: torch.device,
    quick: bool,
    corpus: str | None,
    command_started: float,
    announce: Callable[[str], None] = lambda name: None,
) -> Iterator[dict[str, Any]]:
    """Yield each case's result as soon as it is measured. `command_started` is a time.monotonic()."""
    import torch._dynamo  # noqa: F401  (every torch optimizer imports it on first use: seconds no case should pay)

    profile = profile_for(quick, device.type)
    text = load_bench_text(corpus, profile.text_limit)
    with tempfile.TemporaryDirectory(prefix="poet-bench-") as home:
        context = BenchContext(device, profile, text, Path(home), command_started)
        for name in names:
            announce(name)
            yield run_case(name, context)
