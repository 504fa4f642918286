"""One run of our engine on word_language_model's split and tokens, with the model and training settings given:
how horizons-wlm's word model was chosen (benchmarks/RESULTS.md, "Horizons"). Not a test.

    python benchmarks/word_variants.py CORPUS SECONDS '{"embedding_size": 128, "hidden_size": 256,
        "num_layers": 2, "dropout": 0.0, "tied": true}' '{"batch_size": 20, "bptt": 35, "learning_rate": 6e-3,
        "warmup_steps": 10}'

Trains for SECONDS (the budget, as `poet train --max-minutes`), then scores the model by word_language_model's own
evaluate (ColumnEvaluationTrainer) and prints one JSON line: nats/char, steps, tokens/s, the threads it ran on.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from poet_tui.bench.harness import ColumnEvaluationTrainer, train_with_engine
from poet_tui.bench.profiles import COMMON_TRAINING
from poet_tui.bench.texts import load_bench_text, word_language_model_data
from poet_tui.config import ModelConfig, RunConfig, TokenizerConfig, TrainingConfig


def main() -> None:
    corpus, seconds = sys.argv[1], float(sys.argv[2])
    model: dict[str, Any] = json.loads(sys.argv[3])
    training: dict[str, Any] = json.loads(sys.argv[4])
    text = load_bench_text(corpus, None)
    data = word_language_model_data(text)
    settings = {
        **COMMON_TRAINING,
        "random_windows": False,
        **training,
        "max_minutes": seconds / 60,
        "eval_every_seconds": None,
        "device": "cpu",
    }
    config = RunConfig(
        corpus=text.name,
        tokenizer=TokenizerConfig(kind="word"),
        model=ModelConfig(vocab_size=0, **model),
        training=TrainingConfig(**settings),
    )
    with tempfile.TemporaryDirectory(prefix="poet-words-") as home:
        record = train_with_engine(config, data, Path(home), time.monotonic(), ColumnEvaluationTrainer)
    best = record.best()
    steps = record.trainer.progress.step if record.trainer else 0
    figures = {"nats_per_char": best.nats_per_char if best else None, "steps": steps}
    print(json.dumps({"seconds": seconds, **figures, "tokens_per_s": record.steady_tokens_per_s(), "model": model}))


if __name__ == "__main__":
    main()
