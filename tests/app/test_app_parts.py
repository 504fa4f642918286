"""The app's parts on their own: no torch at import, message merging, path completion, the CLI's door."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from poet_tui.app.messages import TrainingEvents
from poet_tui.app.path_suggester import PathSuggester
from poet_tui.cli import main as cli_main
from poet_tui.event_types import EvalEvent, StepEvent
from tests.helpers import loaded_among, modules_loaded_by

TORCH_MODULES = (
    "torch",
    "poet_tui.train",
    "poet_tui.model",
    "poet_tui.checkpoint",
    "poet_tui.sample",
    "poet_tui.generation",
    "poet_tui.device",
    "poet_tui.runs",
    "poet_tui.run_catalog",
)


def test_importing_the_app_imports_no_torch() -> None:
    assert loaded_among(modules_loaded_by("poet_tui.app", "poet_tui.app.app"), *TORCH_MODULES) == []


def test_queued_training_events_merge_without_losing_any() -> None:
    first = TrainingEvents([StepEvent(step=1)])
    second = TrainingEvents([StepEvent(step=2), EvalEvent(step=2, val_loss=1.0)])
    assert first.can_replace(second)
    assert [event.step for event in second.events] == [1, 2, 2]  # type: ignore[union-attr]
    assert not first.can_replace(object())  # type: ignore[arg-type]


def test_path_suggester_completes_files_and_folders(tmp_path: Path) -> None:
    (tmp_path / "sonnets.txt").write_text("x")
    (tmp_path / "songs").mkdir()
    (tmp_path / ".hidden").write_text("x")
    suggester = PathSuggester()

    def suggest(value: str) -> str | None:
        return asyncio.run(suggester.get_suggestion(value))

    assert suggest(f"{tmp_path}/son") == f"{tmp_path}/songs/"  # alphabetical: the first that fits
    assert suggest(f"{tmp_path}/sonn") == f"{tmp_path}/sonnets.txt"
    assert suggest(f"{tmp_path}/song") == f"{tmp_path}/songs/"
    assert suggest(f"{tmp_path}/.h") == f"{tmp_path}/.hidden"
    assert suggest(f"{tmp_path}/x") is None
    assert suggest(f"{tmp_path}/nowhere/a") is None


def test_poet_without_a_terminal_prints_help_and_refuses_the_app(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main.main([]) == cli_main.EXIT_OK
    assert "usage: poet" in capsys.readouterr().out
    assert cli_main.main(["--checkpoint", "some-run"]) == cli_main.EXIT_BAD_INPUT
    assert "needs a terminal" in capsys.readouterr().err
    assert cli_main.main(["--checkpoint", "some-run", "corpora"]) == cli_main.EXIT_BAD_INPUT


def test_poet_in_a_terminal_opens_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    import poet_tui.app

    opened: list[str | None] = []
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setattr(poet_tui.app, "run_app", lambda checkpoint=None: opened.append(checkpoint) or 0)
    assert cli_main.main([]) == 0
    assert cli_main.main(["--checkpoint", "my-run"]) == 0
    assert opened == [None, "my-run"]


def test_help_lists_every_key_of_every_pane() -> None:
    from textual.binding import Binding

    from poet_tui.app.app import PoetApp
    from poet_tui.app.checkpoints_pane import CheckpointsPane
    from poet_tui.app.help_screen import help_content, key_text
    from poet_tui.app.repl_pane import PromptInput, ReplPane
    from poet_tui.app.train_pane import TrainPane

    text = help_content().plain
    for owner in (PoetApp, TrainPane, CheckpointsPane, ReplPane, PromptInput):
        for binding in owner.BINDINGS:
            assert isinstance(binding, Binding)
            assert key_text(binding.key) in text, binding


def test_the_memory_panel_on_a_gpu_and_without_one() -> None:
    from poet_tui.app.live_widgets import memory_content
    from poet_tui.device import GPUStatus

    gpu = GPUStatus("NVIDIA H100 80GB HBM3", memory_used=12 * 2**30, memory_total=80 * 2**30, utilization_percent=87)
    memory = {"gpu_allocated": 2 * 2**30, "gpu_reserved": 3 * 2**30, "gpu_peak": 5 * 2**29, "rss": 2**30}
    text = memory_content(gpu, memory, "cuda:0").plain
    assert "NVIDIA H100 80GB HBM3 · 87% busy" in text
    assert "12.0 GiB / 80.0 GiB used" in text
    assert "2.0 GiB allocated · 3.0 GiB reserved · 2.5 GiB peak" in text
    text = memory_content(None, {"rss": 300 * 2**20}, "cpu").plain
    assert "No CUDA GPU here" in text and "300.0 MiB (training process)" in text
