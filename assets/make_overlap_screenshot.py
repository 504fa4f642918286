"""Re-make assets/overlap.svg and overlap-80x24.svg: `python assets/make_overlap_screenshot.py` (a minute or two).

A model that has learnt three short public-domain poems by heart is the honest way to show copying: it trains
here, in a throwaway POET_HOME, then the REPL completes a prompt greedily (temperature 0), and alt+n selects the
first copied span so the side panel names the poem and line it comes from.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

HERE = Path(__file__).resolve().parent
POEMS = (
    ("The Tyger", "William Blake", "Tyger Tyger, burning bright,\nIn the forests of the night;\n"
     "What immortal hand or eye,\nCould frame thy fearful symmetry?"),
    ("Sonnet 18", "William Shakespeare", "Shall I compare thee to a summer's day?\n"
     "Thou art more lovely and more temperate:\nRough winds do shake the darling buds of May,\n"
     "And summer's lease hath all too short a date;"),
    ("Hope is the thing with feathers", "Emily Dickinson", "Hope is the thing with feathers\n"
     "That perches in the soul,\nAnd sings the tune without the words,\nAnd never stops at all,"),
)  # fmt: skip


async def wait_until(pilot: Pilot[None], condition: Callable[[], object], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(condition)
        await pilot.pause(0.1)


def train_by_heart(home: Path) -> str:
    from poet_tui.config import ModelConfig, RunConfig, TokenizerConfig, TrainingConfig
    from poet_tui.train import train

    corpus = home / "three-poems.jsonl"  # the layout that keeps each poem's title and author
    rows = (json.dumps({"title": title, "author": author, "text": text}) for title, author, text in POEMS)
    corpus.write_text("\n".join(rows) + "\n", encoding="utf-8")
    config = RunConfig(
        corpus=str(corpus),
        seed=1,
        tokenizer=TokenizerConfig(kind="char", min_count=1),
        model=ModelConfig(vocab_size=0, embedding_size=32, hidden_size=192, num_layers=1, dropout=0.0),
        training=TrainingConfig(
            batch_size=4, bptt=32, learning_rate=0.01, warmup_steps=10, max_steps=1500, eval_every_steps=500,
            log_every_steps=50, validation_fraction=0.05, device="cpu", max_minutes=None,
        ),
    )  # fmt: skip
    run, _ = train(config)
    latest = run.checkpoint("latest")  # by heart: the last step, not the best on the held-out lines
    assert latest is not None
    return str(latest.weights)


async def main() -> None:
    checkpoint = train_by_heart(Path(os.environ["POET_HOME"]))
    for size, suffix in {(120, 40): "", (80, 24): "-80x24"}.items():
        await take_screenshot(checkpoint, size, suffix)


async def take_screenshot(checkpoint: str, size: tuple[int, int], suffix: str) -> None:
    from poet_tui.app.app import PoetApp

    app = PoetApp(checkpoint=checkpoint)
    async with app.run_test(size=size) as pilot:
        repl = app.query_one("#repl-pane")
        await wait_until(pilot, lambda: repl.loaded is not None and repl.overlaps is not None)  # type: ignore[attr-defined]
        repl.settings.temperature = 0.0  # type: ignore[attr-defined]
        repl.settings.max_tokens = 160  # type: ignore[attr-defined]
        repl.settings.stop_at_end_of_poem = False  # type: ignore[attr-defined]
        repl.settings_changed()  # type: ignore[attr-defined]
        await pilot.press(*"Shall I", "enter")
        await wait_until(pilot, lambda: repl.exchanges and repl.streaming is None)  # type: ignore[attr-defined]
        await pilot.press("alt+n")
        await pilot.pause(0.5)
        app.save_screenshot(f"overlap{suffix}.svg", str(HERE))


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as home:
        os.environ["POET_HOME"] = home
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        asyncio.run(main())
