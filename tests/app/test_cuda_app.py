"""On the GPU machine: the Train pane's memory panel shows real NVML and torch figures (skipped without CUDA)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from textual.pilot import Pilot

from poet_tui.app.live_widgets import MemoryPanel
from poet_tui.app.train_pane import TrainPane
from poet_tui.device import gpu_status
from tests.helpers.pilot import TINY_RUN, RecordingApp, fill, run_app, text_of, wait_until

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (the device machine)")


def test_memory_panel_reads_nvml_and_the_training_process_torch_memory(poet_home: Path) -> None:
    app = RecordingApp()

    async def script(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: app.engine_ready)
        await pilot.press("f2", "down", "up", "enter")
        train = app.query_one(TrainPane)
        await fill(pilot, train, {**TINY_RUN, "max_steps": "400", "eval_every": "100"})
        train.form.set_value("device", "cuda")
        await pilot.press("ctrl+s")
        panel = app.query_one(MemoryPanel)
        await wait_until(pilot, lambda: "allocated" in text_of(panel), timeout=90)
        text = text_of(panel)
        status = gpu_status()
        assert status is not None and status.name in text
        assert "reserved" in text and "peak" in text and "No CUDA GPU" not in text
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: train.source is None, timeout=60)
        assert not app.errors()

    run_app(app, script)
