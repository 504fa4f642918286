"""`--preset auto`: the model size, window and learning rate for a time budget and a corpus size.

A run given one minute wants a small model that takes many steps; a run given ten minutes can afford a wider
one, and a small corpus wants more dropout because a few minutes are already many passes over it. The rows
below were measured on two CPU cores (benchmarks/RESULTS.md, "Budget-aware defaults", gives the table and the
command); explicit flags and form fields still win over whatever a row says. On a GPU the row is `char-gpu`'s
settings: nothing measured on a CPU says what suits an H100.

No torch: the Train form and `poet train --help` read this.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from poet_tui.options import DEFAULT_BUDGET_MINUTES
from poet_tui.presets import PRESETS

AUTO = "auto"
SMALL_CORPUS_CHARACTERS = 300_000  # below this a few minutes are many epochs: dropout matters more than width


@dataclass(frozen=True)
class BudgetRow:
    up_to_minutes: float  # the row serves budgets up to this many minutes
    label: str  # what `poet train` says it chose
    settings: dict[str, Any]


CPU_ROWS: tuple[BudgetRow, ...] = (
    # tiny-cpu's model and training (its evaluation interval aside): what won the 1 and 2.5 minute budgets on a
    # quiet machine (RESULTS.md); the wider row below won the 5 and 10 minute budgets
    BudgetRow(
        2.5,
        "char LSTM 2 × 256, 32-char windows, lr 8e-3",
        {key: value for key, value in PRESETS["tiny-cpu"].items() if key != "training.eval_every_steps"},
    ),
    BudgetRow(
        math.inf,
        "char LSTM 2 × 384, 32-char windows, lr 6e-3",
        {
            "tokenizer.kind": "char",
            "model.embedding_size": 64,
            "model.hidden_size": 384,
            "model.num_layers": 2,
            "model.dropout": 0.15,
            "training.batch_size": 32,
            "training.bptt": 32,
            "training.learning_rate": 6e-3,
        },
    ),
)
SMALL_CORPUS_DROPOUT = 0.3


@dataclass(frozen=True)
class AutoChoice:
    settings: dict[str, Any]  # option keys and values, as PRESETS holds them
    sentence: str  # what was chosen and why, for `poet train` and the form


def auto_settings(budget_minutes: float | None, corpus_characters: int | None, device: str) -> AutoChoice:
    """The row for this budget (no time budget: the default budget's row) and corpus size, on this device."""
    minutes = budget_minutes if budget_minutes is not None else DEFAULT_BUDGET_MINUTES
    if device == "cuda":
        return AutoChoice(dict(PRESETS["char-gpu"]), "--preset auto chose char-gpu's settings on a GPU")
    row = next(row for row in CPU_ROWS if minutes <= row.up_to_minutes)
    settings = dict(row.settings)
    size = "an unknown-size corpus" if corpus_characters is None else f"{corpus_characters:,} characters"
    sentence = f"--preset auto chose a {row.label} for {minutes:g} minutes on {size}"
    if corpus_characters is not None and corpus_characters < SMALL_CORPUS_CHARACTERS:
        settings["model.dropout"] = SMALL_CORPUS_DROPOUT
        sentence += f" (dropout {SMALL_CORPUS_DROPOUT:g}: a small corpus is seen many times)"
    return AutoChoice(settings, sentence)


def training_device(device: str, ask_torch: bool = True) -> str:
    """The device a setting means, "cpu" or "cuda". `auto` asks torch only where an NVIDIA driver is loaded, so a
    machine without one (most laptops, CI) does not pay for importing torch to learn it has no GPU. The app's form,
    which must not import torch in its UI thread, takes a loaded driver for a GPU (`ask_torch=False`)."""
    if device != "auto":
        return device
    drivers = Path("/proc/driver/nvidia/gpus")
    try:
        if not drivers.is_dir() or not any(drivers.iterdir()):
            return "cpu"
    except OSError:
        return "cpu"
    if not ask_torch:
        return "cuda"
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def corpus_characters_estimate(name_or_path: str) -> int | None:
    """About how many characters a corpus holds, without reading it: the manifest's count, else its size on disk
    (bytes: one a character for most text, a compressed file counted as is). None when it cannot be told."""
    from poet_tui.corpus import directory_size, expand_user_path
    from poet_tui.corpus_registry import find_corpus
    from poet_tui.errors import PoetError

    try:
        entry = find_corpus(name_or_path)
        if entry is not None:
            return entry.characters or entry.size_bytes
        path = expand_user_path(name_or_path)
        return directory_size(path) if path.exists() else None
    except (OSError, PoetError):
        return None
