"""How fast the REPL's transcript shows a long completion: tokens from Enter until the whole completion is on screen.

Not a test (speeds depend on the machine): `python benchmarks/transcript_speed.py [TOKENS] [RUNS]`. Issue 3 asks
that the transcript keeps up with at least 1000 tokens/s. The script trains a 2 × 256 char LSTM for a few steps
with `poet train` (its weights hardly matter: sampling costs the same), opens it in the app headless at 120 × 40,
and for each run presses Enter on a prompt, then waits until the completion's last batch is in the transcript.
It prints the sampler's own rate (the completion's footer), the rate the transcript showed tokens at (tokens
over the time from Enter until the last batch was drawn), and how many batches carried them."""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MODEL_FLAGS = ["--layers", "2", "--hidden", "256", "--embedding", "128", "--max-steps", "20", "--seed", "1"]


def train_model(home: Path) -> str:
    """A real run with a checkpoint, made by the command line a user would type."""
    environment = dict(os.environ, POET_HOME=str(home))
    command = ["poet", "train", "--corpus", "shakespeare-sonnets", "--tokenizer", "char", "--device", "cpu"]
    subprocess.run([*command, *MODEL_FLAGS, "--jsonl"], env=environment, check=True, stdout=subprocess.DEVNULL)
    (run,) = os.listdir(home / "runs")
    return run


async def measure(run: str, tokens: int, runs: int) -> list[dict[str, Any]]:
    from poet_tui.app.app import PoetApp
    from poet_tui.app.repl_pane import ReplPane
    from poet_tui.app.transcript import Exchange

    batches: list[int] = []
    original_append = Exchange.append

    def counting_append(self: Exchange, text: str) -> None:
        batches[-1] += 1
        original_append(self, text)

    Exchange.append = counting_append  # type: ignore[method-assign]
    results: list[dict[str, Any]] = []
    app = PoetApp(checkpoint=run)
    async with app.run_test(size=(120, 40)) as pilot:
        repl = app.query_one(ReplPane)
        while repl.loaded is None:
            await pilot.pause(0.05)
        repl.settings.max_tokens = tokens
        repl.settings.stop_at_end_of_poem = False
        for _ in range(runs):
            batches.append(0)
            started = time.perf_counter()
            await pilot.press("enter")
            while repl.streaming is not None or not repl.exchanges:
                await pilot.pause(0.01)
            await pilot.pause()  # the last batch's redraw
            shown_seconds = time.perf_counter() - started
            exchange = repl.exchanges[max(repl.exchanges)]
            shown = exchange.footer.split(" tokens")[0].replace(",", "")
            results.append(
                {
                    "tokens": int(shown),
                    "sampler_tokens_per_s": repl.last_speed,
                    "shown_tokens_per_s": int(shown) / shown_seconds,
                    "batches": batches[-1],
                }
            )
    return results


def main() -> None:
    tokens = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    with tempfile.TemporaryDirectory() as directory:
        home = Path(directory)
        os.environ["POET_HOME"] = str(home)
        run = train_model(home)
        results = asyncio.run(measure(run, tokens, runs))
    for result in results:
        print(
            f"{result['tokens']} tokens: sampler {result['sampler_tokens_per_s']:,.0f} tokens/s, "
            f"shown {result['shown_tokens_per_s']:,.0f} tokens/s, {result['batches']} batches"
        )
    shown = statistics.median(result["shown_tokens_per_s"] for result in results)
    print(f"median shown {shown:,.0f} tokens/s over {len(results)} runs")


if __name__ == "__main__":
    main()
