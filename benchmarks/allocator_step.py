"""Time one training step of the horizons word model (2 × 256 LSTM, embedding 128 tied, 25,671 words, 20 × 35
tokens) with glibc's default allocator and with cpu_memory.keep_freed_memory(), each in its own fresh process,
alternating, so a drift of the machine's speed falls on both. Not a test.

    python benchmarks/allocator_step.py [ROUNDS] [STEPS]

Prints one JSON line per process (setting, milliseconds per step, median of STEPS timed steps after 3 warm-up
steps) and a last line with the medians and their ratio (kept over default: below 1 is faster).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

VOCABULARY = 25_671


def time_steps(keep: bool, steps: int) -> float:
    from poet_tui.cpu_memory import keep_freed_memory

    if keep and not keep_freed_memory():
        raise SystemExit("this allocator is not glibc's: nothing to compare")
    import torch
    import torch.nn.functional as functional

    from poet_tui.config import ModelConfig
    from poet_tui.model import RNNLanguageModel

    torch.manual_seed(0)
    config = ModelConfig(
        vocab_size=VOCABULARY, embedding_size=128, hidden_size=256, num_layers=2, dropout=0.1, tied=True
    )
    model = RNNLanguageModel(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=6e-3)
    inputs = torch.randint(0, VOCABULARY, (20, 35))
    targets = torch.randint(0, VOCABULARY, (20, 35))

    def step() -> None:
        logits, _ = model(inputs)
        loss = functional.cross_entropy(logits.reshape(-1, VOCABULARY), targets.reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()

    for _ in range(3):
        step()
    durations = []
    for _ in range(steps):
        started = time.perf_counter()
        step()
        durations.append(time.perf_counter() - started)
    return statistics.median(durations) * 1000


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(time_steps(sys.argv[2] == "keep", int(sys.argv[3])))
        return
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    figures: dict[str, list[float]] = {"default": [], "keep": []}
    for _ in range(rounds):
        for setting in ("default", "keep"):
            command = [sys.executable, __file__, "--child", setting, str(steps)]
            finished = subprocess.run(command, capture_output=True, text=True, check=True)
            milliseconds = float(finished.stdout.strip())
            figures[setting].append(milliseconds)
            print(json.dumps({"setting": setting, "ms_per_step": round(milliseconds, 1)}), flush=True)
    medians = {setting: statistics.median(values) for setting, values in figures.items()}
    ratio = medians["keep"] / medians["default"]
    print(json.dumps({"median_ms": {key: round(value, 1) for key, value in medians.items()}, "ratio": round(ratio, 3)}))


if __name__ == "__main__":
    main()
