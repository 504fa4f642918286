"""The validation curve of one word run on word_language_model's split and tokens: evaluated every 30 s of
training (evaluations off the clock, as horizons-wlm keeps them), scored by word_language_model's own evaluate.
How horizons-wlm's windows were chosen (benchmarks/RESULTS.md, "Horizons"). Not a test.

    python benchmarks/word_curve.py CORPUS SECONDS MODEL_JSON TRAINING_JSON

MODEL_JSON and TRAINING_JSON as for benchmarks/word_variants.py (e.g. '{"random_windows": true}' among the
training settings). Prints one JSON line per evaluation (training seconds, step, nats/char), then the best.
"""

from __future__ import annotations

import json
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from poet_tui.bench.harness import ColumnEvaluationTrainer, train_with_engine
from poet_tui.bench.profiles import COMMON_TRAINING
from poet_tui.bench.texts import load_bench_text, word_language_model_data
from poet_tui.config import ModelConfig, RunConfig, TokenizerConfig, TrainingConfig

EVALUATE_EVERY_S = 30.0


class CurveTrainer(ColumnEvaluationTrainer):
    """Prints each evaluation and moves the training clock past the time it took."""

    def evaluate(self) -> tuple[float, float]:
        started = time.monotonic()
        loss, bits_per_char = super().evaluate()
        spent = time.monotonic() - started
        self.start_time += spent
        self.last_evaluation_time += spent
        reading = {"training_s": round(self.elapsed(), 1), "step": self.progress.step}
        print(json.dumps({**reading, "nats_per_char": round(bits_per_char * math.log(2), 4)}), flush=True)
        return loss, bits_per_char


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
        "eval_every_seconds": EVALUATE_EVERY_S,
        "eval_every_steps": 10**9,
        "device": "cpu",
    }
    config = RunConfig(
        corpus=text.name,
        tokenizer=TokenizerConfig(kind="word"),
        model=ModelConfig(vocab_size=0, **model),
        training=TrainingConfig(**settings),
    )
    with tempfile.TemporaryDirectory(prefix="poet-curve-") as home:
        record = train_with_engine(config, data, Path(home), time.monotonic(), CurveTrainer)
    best = record.best()
    print(json.dumps({"best_nats_per_char": best.nats_per_char if best else None, "model": model, **training}))


if __name__ == "__main__":
    main()
