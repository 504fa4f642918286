"""Named starting points for a run; explicit flags (or form fields) override any value here."""

from __future__ import annotations

from typing import Any

PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    # Trains something recognisable in a minute or two on two CPU cores.
    "tiny-cpu": {
        "tokenizer": {"kind": "char"},
        "model": {"embedding_size": 64, "hidden_size": 256, "num_layers": 2, "dropout": 0.1},
        "training": {"batch_size": 32, "bptt": 32, "learning_rate": 8e-3, "eval_every_steps": 100},
    },
    # A char-rnn-sized model for a GPU: wide, batched, bf16.
    "char-gpu": {
        "tokenizer": {"kind": "char"},
        "model": {"embedding_size": 128, "hidden_size": 512, "num_layers": 3, "dropout": 0.2},
        "training": {"batch_size": 256, "bptt": 128, "learning_rate": 3e-3, "eval_every_steps": 250},
    },
    # word_language_model's medium model (2 × 650, tied), with a GPU-sized batch.
    "word-gpu": {
        "tokenizer": {"kind": "word", "min_count": 2},
        "model": {"embedding_size": 650, "hidden_size": 650, "num_layers": 2, "dropout": 0.5, "tied": True},
        "training": {"batch_size": 64, "bptt": 35, "learning_rate": 2e-3, "eval_every_steps": 250},
    },
}

PRESET_NAMES = tuple(PRESETS)
