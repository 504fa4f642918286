"""How big each benchmark case is: `gpu` is what the issue's targets are about, `cpu` is the same cases sized for
two CPU cores, `quick` is tiny and only proves the cases run and learn (CI).

`gpu` and `cpu` budget their training by the wall clock: time to quality is what they measure. `quick` budgets
it by steps (`StepBudget`), so a loaded CI machine trains exactly as much as an idle one, only slower, and its
checks (the loss beats a uniform guess) cannot depend on the machine's speed.

The `gpu` sizes follow the issue's reference setups; they have not been tuned on a GPU yet (no GPU was lent to
the task that wrote them, see benchmarks/RESULTS.md), so a session with one should start by tuning `gpu`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from poet_tui.bench.harness import WindowedValidation
from poet_tui.bench.horizons import HorizonPlan
from poet_tui.bench.nanogpt_reference import NanoGPTSettings
from poet_tui.bench.reference import ReferenceSettings

# The reference figures the issue quotes for word_language_model on an H100.
REFERENCE_H100_TOKENS_PER_S = 83_000.0
REFERENCE_H100_NATS_PER_CHAR = 1.242
REFERENCE_EPOCHS = 6
CHAR_TARGET_NATS = 1.38
CHAR_TARGET_SECONDS = 60.0
THROUGHPUT_TARGET_RATIO = 5.0
SAMPLE_TARGET_MS = {"cuda": 0.10, "cpu": 0.5}
FIRST_TOKEN_TARGET_MS = 20.0


@dataclass(frozen=True)
class StepBudget:
    """Fixed amounts of work in place of the wall-clock budgets: the same training whatever the machine's load."""

    char_steps: int  # char-quality trains this many steps instead of `char_seconds`...
    char_eval_every: int  # ...and evaluates every this many steps instead of every `eval_every_seconds`
    quality_steps: int  # wlm-quality-* train this many steps instead of word_language_model's wall clock
    throughput_steps: int  # wlm-throughput times this many steps instead of `ours_word_seconds`


@dataclass(frozen=True)
class Profile:
    name: str
    text_limit: int | None  # characters of the corpus used (None: all of it)
    char_model: dict[str, Any]  # ModelConfig fields of the char models
    char_training: dict[str, Any]  # TrainingConfig fields of char-quality
    char_seconds: float  # char-quality's budget, from the command's start when it is the first case
    char_eval_margin_s: float  # training stops this long before the budget, so the last evaluation ends within it
    windows: WindowedValidation  # nanoGPT-style validation of char-quality
    sample_model: dict[str, Any]
    sample_tokens: int
    sample_repeats: int
    reference: ReferenceSettings  # word_language_model
    ours_word_batch: int  # our engine at word_language_model's model size
    ours_word_seconds: float
    quality_training: dict[str, Any] = field(default_factory=dict)  # wlm-quality-*: char_training with these changes
    spm_vocab_size: int = 2000
    steps: StepBudget | None = None  # None: training is budgeted by the wall clock (a benchmark); else by steps
    horizons: HorizonPlan | None = None  # horizons-wlm and horizons-nanogpt (issue #17)


COMMON_TRAINING: dict[str, Any] = {
    "schedule": "cosine",
    "warmup_steps": 50,
    "grad_clip": 1.0,
    "log_every_steps": 10,
    "eval_every_steps": 10**9,  # evaluations come by time (eval_every_seconds) or at the end of the budget
    "sample_length": 32,
}

# Ours on word_language_model's own tokens (horizons-wlm): a narrow tied output layer, since the softmax over its
# 25,671 words is most of a step on a CPU; windows at random places, since read in order the validation loss swung
# with where the pass over the text stood and got worse past one pass; and the 1,641 words of its vocabulary that
# the training split never contains (8.4 % of the validation tokens) held where they started, since AdamW drove
# them to 14.9 nats each where its SGD left them at 11.7; measured in benchmarks/RESULTS.md ("Horizons").
WORD_MODEL: dict[str, Any] = {"embedding_size": 128, "hidden_size": 256, "num_layers": 2, "dropout": 0.1, "tied": True}
WORD_TRAINING: dict[str, Any] = {
    **COMMON_TRAINING,
    "batch_size": 20,
    "bptt": 35,
    "random_windows": True,
    "hold_unseen_tokens": True,
    "learning_rate": 6e-3,
    "warmup_steps": 10,
}
FULL_HORIZONS = HorizonPlan(
    wlm_horizons_s=(60.0, 150.0, 300.0),
    nanogpt_horizons_s=(60.0, 150.0),
    word_model=WORD_MODEL,
    word_training=WORD_TRAINING,
)
QUICK_HORIZONS = HorizonPlan(  # seconds, not steps: its figures only prove the case runs; nothing is judged
    wlm_horizons_s=(0.5, 1.0),
    nanogpt_horizons_s=(0.5, 1.0),
    word_model={"embedding_size": 16, "hidden_size": 24, "num_layers": 1, "dropout": 0.0, "tied": True},
    word_training={**WORD_TRAINING, "batch_size": 4, "warmup_steps": 2, "log_every_steps": 2},
    references=(
        ("wlm-200", ReferenceSettings(size=16, dropout=0.2, tied=False, epochs=40)),
        ("wlm-650-tied", ReferenceSettings(size=24, dropout=0.5, tied=True, epochs=40)),
    ),
    nanogpt=NanoGPTSettings(n_layer=1, n_head=2, n_embd=16, batch_size=4, block_size=64),
    windows=16,
    char_override={
        "model": {"embedding_size": 16, "hidden_size": 24, "num_layers": 1, "dropout": 0.0},
        "training": {**COMMON_TRAINING, "batch_size": 4, "bptt": 16, "random_windows": False, "warmup_steps": 2,
                     "learning_rate": 3e-3, "log_every_steps": 2},
    },
)  # fmt: skip

PROFILES: dict[str, Profile] = {
    "quick": Profile(
        name="quick",
        text_limit=200_000,
        char_model={"embedding_size": 16, "hidden_size": 48, "num_layers": 1, "dropout": 0.0},
        char_training={
            **COMMON_TRAINING,
            "batch_size": 8,
            "bptt": 32,
            "random_windows": True,
            "learning_rate": 3e-3,
            "warmup_steps": 5,
            "log_every_steps": 5,
        },
        char_seconds=6.0,  # unused: `steps` budgets the training (and char_eval_margin_s, ours_word_seconds)
        char_eval_margin_s=0.5,
        windows=WindowedValidation(windows=32, batch=32),
        sample_model={"embedding_size": 128, "hidden_size": 256, "num_layers": 2},
        sample_tokens=300,
        sample_repeats=2,
        reference=ReferenceSettings(size=48, epochs=1, max_batches=5),
        ours_word_batch=20,
        ours_word_seconds=2.0,
        quality_training={"random_windows": False},
        spm_vocab_size=320,
        steps=StepBudget(char_steps=150, char_eval_every=50, quality_steps=100, throughput_steps=5),
        horizons=QUICK_HORIZONS,
    ),
    "cpu": Profile(
        name="cpu",
        text_limit=None,
        char_model={"embedding_size": 64, "hidden_size": 256, "num_layers": 2, "dropout": 0.1},
        char_training={
            **COMMON_TRAINING,
            "batch_size": 32,
            "bptt": 32,
            "random_windows": False,  # stateful windows: 1.57 nats/char in 60 s, vs 2.05 with random 128-char ones
            "learning_rate": 8e-3,
            "eval_every_seconds": 10.0,
        },
        char_seconds=CHAR_TARGET_SECONDS,
        char_eval_margin_s=3.0,
        windows=WindowedValidation(windows=256, batch=64),
        sample_model={"embedding_size": 128, "hidden_size": 256, "num_layers": 2},
        sample_tokens=2000,
        sample_repeats=3,
        reference=ReferenceSettings(epochs=REFERENCE_EPOCHS, max_seconds=60.0),
        ours_word_batch=64,
        ours_word_seconds=20.0,
        horizons=FULL_HORIZONS,
    ),
    "gpu": Profile(
        name="gpu",
        text_limit=None,
        char_model={"embedding_size": 128, "hidden_size": 512, "num_layers": 3, "dropout": 0.2},
        char_training={
            **COMMON_TRAINING,
            "batch_size": 256,
            "bptt": 256,
            "random_windows": True,
            "learning_rate": 3e-3,
            "weight_decay": 0.1,
            "eval_every_seconds": 6.0,
        },
        char_seconds=CHAR_TARGET_SECONDS,
        char_eval_margin_s=3.0,
        windows=WindowedValidation(windows=2048, batch=512),
        sample_model={"embedding_size": 128, "hidden_size": 512, "num_layers": 3},
        sample_tokens=2000,
        sample_repeats=3,
        reference=ReferenceSettings(epochs=REFERENCE_EPOCHS, max_seconds=300.0),
        ours_word_batch=256,
        ours_word_seconds=15.0,
        quality_training={"random_windows": False, "batch_size": 128, "bptt": 128},
        horizons=FULL_HORIZONS,  # CPU-measured; an H100 session should size its own
    ),
}


def profile_for(quick: bool, device_type: str) -> Profile:
    if quick:
        return PROFILES["quick"]
    return PROFILES["gpu" if device_type == "cuda" else "cpu"]
