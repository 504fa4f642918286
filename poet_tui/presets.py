"""Named starting points for a run, as option keys and values; explicit flags (or form fields) override them.

`RunConfig.apply_preset` is the one place they are applied, for the command line and the form alike."""

from __future__ import annotations

from typing import Any

PRESETS: dict[str, dict[str, Any]] = {
    # Trains something recognisable in a minute or two on two CPU cores.
    "tiny-cpu": {
        "tokenizer.kind": "char",
        "model.embedding_size": 64,
        "model.hidden_size": 256,
        "model.num_layers": 2,
        "model.dropout": 0.1,
        "training.batch_size": 32,
        "training.bptt": 32,
        "training.learning_rate": 8e-3,
        "training.eval_every_steps": 100,
    },
    # A char-rnn-sized model for a GPU: wide, batched, bf16.
    "char-gpu": {
        "tokenizer.kind": "char",
        "model.embedding_size": 128,
        "model.hidden_size": 512,
        "model.num_layers": 3,
        "model.dropout": 0.2,
        "training.batch_size": 256,
        "training.bptt": 128,
        "training.learning_rate": 3e-3,
        "training.eval_every_steps": 250,
    },
    # word_language_model's medium model (2 × 650, tied), with a GPU-sized batch.
    "word-gpu": {
        "tokenizer.kind": "word",
        "tokenizer.min_count": 2,
        "model.embedding_size": 650,
        "model.hidden_size": 650,
        "model.num_layers": 2,
        "model.dropout": 0.5,
        "model.tied": True,
        "training.batch_size": 64,
        "training.bptt": 35,
        "training.learning_rate": 2e-3,
        "training.eval_every_steps": 250,
    },
}

PRESET_NAMES = tuple(PRESETS)
