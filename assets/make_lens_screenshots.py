"""Re-make the lens screenshots (issue #18): `python assets/make_lens_screenshots.py` (two or three minutes).

A small char LSTM trains on the sonnets here, in a throwaway POET_HOME; then, at 120×40 and at 80×24:
- lens-confidence: a completion coloured by each token's probability, the token cursor (f8) on a token and the
  alternatives the model weighed there;
- lens-surprisal: the opening of Sonnet 18, scored (ctrl+s), coloured by surprisal with its bits/char;
- lens-cells: the cells dialog (f9) with the units that track features of the validation text;
- lens-cells-view: the completion coloured red/blue by the unit chosen there.
To look at one as a picture: `rsvg-convert assets/lens-cells.svg -o /tmp/lens-cells.png` (librsvg2-bin).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

HERE = Path(__file__).resolve().parent
SONNET = (
    "Shall I compare thee to a summer's day?\nThou art more lovely and more temperate:\n"
    "Rough winds do shake the darling buds of May,\nAnd summer's lease hath all too short a date;\n"
)


async def wait_until(pilot: Pilot[Any], condition: Callable[[], object], timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(condition)
        await pilot.pause(0.1)


def train_small_model() -> str:
    from poet_tui.config import ModelConfig, RunConfig, TokenizerConfig, TrainingConfig
    from poet_tui.train import train

    config = RunConfig(
        corpus="shakespeare-sonnets",
        seed=1,
        tokenizer=TokenizerConfig(kind="char"),
        model=ModelConfig(vocab_size=0, embedding_size=32, hidden_size=128, num_layers=2, dropout=0.0),
        training=TrainingConfig(
            batch_size=16, bptt=64, learning_rate=0.008, warmup_steps=20, max_steps=2400, eval_every_steps=200,
            log_every_steps=50, device="cpu", max_minutes=4.0,
        ),
    )  # fmt: skip
    run, _ = train(config)
    best = run.checkpoint("best")
    assert best is not None
    return str(best.weights)


def save(app: Any, name: str) -> None:
    app.save_screenshot(f"{name}.svg", str(HERE))


async def take_screenshots(checkpoint: str, size: tuple[int, int], suffix: str) -> None:
    from textual.widgets import DataTable, Input, TextArea

    from poet_tui.app.app import PoetApp

    app = PoetApp(checkpoint=checkpoint)
    async with app.run_test(size=size) as pilot:
        repl: Any = app.query_one("#repl-pane")
        await wait_until(pilot, lambda: repl.loaded is not None)
        for text_input in app.query(Input):
            text_input.cursor_blink = False
        repl.settings.temperature, repl.settings.seed, repl.settings.max_tokens = 0.7, 18, 220
        repl.settings.stop_at_end_of_poem = True
        repl.settings_changed()
        await pilot.press(*"Shall I compare thee", "enter")
        await wait_until(pilot, lambda: repl.exchanges and repl.streaming is None)
        await pilot.press("f8")
        await wait_until(pilot, lambda: repl.cursor_exchange is not None)
        scores = repl.exchanges[max(repl.exchanges)].scores
        # A token the model hardly expected, past the first line: where the alternatives say the most.
        surprising = next(i for i, token in enumerate(scores) if i > 25 and token.probability < 0.15)
        await pilot.press(*["right"] * surprising)
        await pilot.pause(0.5)
        save(app, f"lens-confidence{suffix}")

        await pilot.press("escape", "ctrl+s")
        await wait_until(pilot, lambda: app.screen.query(TextArea))
        app.screen.query_one(TextArea).text = SONNET
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: len(repl.exchanges) == 2 and not repl.lens_pending)
        await pilot.pause(0.5)
        save(app, f"lens-surprisal{suffix}")

        await pilot.press("f9")
        await wait_until(pilot, lambda: app.screen.query(DataTable) and app.screen.findings)  # type: ignore[attr-defined]
        table = app.screen.query_one(DataTable)
        findings = app.screen.findings  # type: ignore[attr-defined]
        # The strongest line-position cell, the classic one.
        row = next((i for i, f in enumerate(findings) if f.feature == "characters_to_line_end"), 0)
        table.move_cursor(row=row)
        await pilot.pause(0.5)
        save(app, f"lens-cells{suffix}")
        await pilot.press("enter")
        await wait_until(pilot, lambda: repl.lens_mode == "cells" and not repl.lens_pending)
        await pilot.pause(0.5)
        save(app, f"lens-cells-view{suffix}")


async def main() -> None:
    checkpoint = train_small_model()
    for size, suffix in {(120, 40): "", (80, 24): "-80x24"}.items():
        await take_screenshots(checkpoint, size, suffix)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as home:
        os.environ["POET_HOME"] = home
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        asyncio.run(main())
