"""Re-make the SVG screenshots in this folder: `POET_HOME=<home with a trained run> python assets/make_screenshots.py`.

It drives the app by keyboard at 120×40 (`corpus.svg`, …) and again at 80×24 (`corpus-80x24.svg`, …): a corpus
preview, a live tiny CPU run, the checkpoints, the REPL with a completion, and the help screen. The char or spm
checkpoint with the lowest bits/char in POET_HOME is opened in the REPL. Each run trains one more run in POET_HOME.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from poet_tui.app.app import PoetApp

HERE = Path(__file__).resolve().parent


async def wait_until(pilot: Pilot[None], condition: Callable[[], object], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(condition)
        await pilot.pause(0.1)


async def type_into(pilot: Pilot[None], widget_id: str, text: str) -> None:
    pilot.app.query_one(widget_id).focus()
    await pilot.press("end", "ctrl+u", *text)


SIZES = {(120, 40): "", (80, 24): "-80x24"}


async def main() -> None:
    for size, suffix in SIZES.items():
        await take_screenshots(size, suffix)


async def take_screenshots(size: tuple[int, int], suffix: str) -> None:
    app = PoetApp()
    async with app.run_test(size=size) as pilot:
        await wait_until(pilot, lambda: app.engine_ready)
        corpus = app.query_one("#corpus-pane")
        await wait_until(pilot, lambda: "shakespeare-sonnets" in corpus.previews)  # type: ignore[attr-defined]
        await pilot.pause(0.3)
        app.save_screenshot(f"corpus{suffix}.svg", str(HERE))

        checkpoints = app.query_one("#checkpoints-pane")
        await wait_until(pilot, lambda: checkpoints.summaries)  # type: ignore[attr-defined]
        best = min(  # the REPL's model: the lowest bits/char, not flattered by <unk> (a word model's is)
            (s for s in checkpoints.summaries if s.val_bpc is not None and s.tokenizer != "word"),  # type: ignore[attr-defined]
            key=lambda s: s.val_bpc,
        )

        await pilot.press("enter")  # train on the highlighted corpus
        for field, value in (("hidden", "96"), ("embedding", "32"), ("max_steps", "400"), ("eval_every", "50")):
            await type_into(pilot, f"#field-{field}", value)
        await type_into(pilot, "#field-max_minutes", "")
        await pilot.press("ctrl+s")
        train = app.query_one("#train-pane")
        await wait_until(pilot, lambda: len(train.progress.val_points) >= 3)  # type: ignore[attr-defined]
        await pilot.pause(1.0)
        app.save_screenshot(f"train{suffix}.svg", str(HERE))
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: train.source is None)  # type: ignore[attr-defined]

        await pilot.press("f4")
        await wait_until(pilot, lambda: len(checkpoints.summaries) >= 4)  # type: ignore[attr-defined]
        await pilot.press("space", "down", "space")  # the newest run and the one before it, compared
        plot = checkpoints.query_one("#checkpoint-plot")
        await wait_until(pilot, lambda: len(plot.plotted_runs) >= 2)  # type: ignore[attr-defined]
        await pilot.pause(1.0)
        app.save_screenshot(f"checkpoints{suffix}.svg", str(HERE))

        repl = app.query_one("#repl-pane")
        repl.open_model(best.path)  # type: ignore[attr-defined]
        await pilot.press("f5")
        await wait_until(pilot, lambda: repl.loaded is not None)  # type: ignore[attr-defined]
        await pilot.press("f6", "tab", "tab", *"11", "f6")  # settings form: top-k → top-p → seed 11
        for prompt in ("Shall I compare thee", ""):
            await pilot.press(*prompt, "enter")
            await wait_until(pilot, lambda: repl.streaming is None)  # type: ignore[attr-defined]
        await pilot.press("f6")
        await pilot.pause(0.5)
        app.save_screenshot(f"repl{suffix}.svg", str(HERE))

        await pilot.press("f6", "f1")
        await pilot.pause(0.5)
        app.save_screenshot(f"help{suffix}.svg", str(HERE))


if __name__ == "__main__":
    asyncio.run(main())
