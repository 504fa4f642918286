"""What many test files need, written once: tiny corpora and configs, `poet` as a child process, and which
modules an import loads. The app's pilot helpers are in `tests.helpers.pilot` (they import textual)."""

from __future__ import annotations

import contextlib
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from poet_tui.config import ModelConfig, RunConfig, TokenizerConfig, TrainingConfig
from tests.forked import poet_forked

WORDS = (
    "the", "moon", "and", "sun", "rise", "over", "quiet", "water", "while", "old", "winds", "sing", "of", "summer",
    "days", "and", "golden", "light", "my", "love", "thy", "heart", "doth", "shine", "like", "stars", "upon", "the",
    "sea",
)  # fmt: skip


def make_poem(rng: random.Random) -> str:
    lines = []
    for _ in range(rng.randint(3, 6)):
        lines.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 8))).capitalize() + rng.choice(",.;!"))
    return "\n".join(lines)


def full_length_samples(monkeypatch: Any) -> None:
    """Each evaluation's sample runs its whole sample_length, the poem stop off: a model of a few steps may draw
    <eod> first, and a test must not hang on which text a seed happens to sample (an empty sample has no novelty)."""
    import dataclasses

    import poet_tui.trainer

    drawn = poet_tui.trainer.complete

    def whole(model: Any, tokenizer: Any, prompt: str, settings: Any, *arguments: Any, **keywords: Any) -> Any:
        settings = dataclasses.replace(settings, stop_at_end_of_poem=False)
        return drawn(model, tokenizer, prompt, settings, *arguments, **keywords)

    monkeypatch.setattr(poet_tui.trainer, "complete", whole)


def ending_at_once(load: Callable[..., Any]) -> Callable[..., Any]:
    """`load_for_generation` whose model's first token always ends the poem (a huge bias on <eod>): the empty
    poem a seed may draw, made sure."""

    def loaded(*arguments: Any, **keywords: Any) -> Any:
        import torch

        model = load(*arguments, **keywords)
        with torch.no_grad():
            model.model.decoder.bias[model.tokenizer.end_of_document_id] += 1e4
        return model

    return loaded


def always_end_at_once() -> None:
    """A `poet(..., setup=)` hook: in the child, every model loaded for generation ends its poem at once."""
    import poet_tui.generation

    poet_tui.generation.load_for_generation = ending_at_once(poet_tui.generation.load_for_generation)  # type: ignore[assignment]


def write_tiny_corpus(path: Path) -> Path:
    """40 short poems separated by two blank lines: enough for a document split and a few batches."""
    rng = random.Random(7)
    path.write_text("\n\n\n".join(make_poem(rng) for _ in range(40)) + "\n", encoding="utf-8")
    return path


def tiny_config(corpus: Path | str, kind: str = "char", **training: object) -> RunConfig:
    values = {
        "batch_size": 4,
        "bptt": 16,
        "max_steps": 12,
        "eval_every_steps": 6,
        "log_every_steps": 2,
        "warmup_steps": 2,
        "sample_length": 20,
        "device": "cpu",
        **training,
    }
    return RunConfig(
        corpus=str(corpus),
        seed=3,
        tokenizer=TokenizerConfig(kind=kind, vocab_size=320, min_count=1),
        model=ModelConfig(vocab_size=0, embedding_size=16, hidden_size=24, num_layers=2, dropout=0.1),
        training=TrainingConfig(**values),  # type: ignore[arg-type]
    )


def events_of(run: object, kind: str) -> list[dict]:
    """The events of one kind a run wrote to its metrics.jsonl."""
    return [event for event in run.events() if event["event"] == kind]  # type: ignore[attr-defined]


def poet(
    *argv: str,
    input_text: str | None = None,
    timeout: float = 300,
    home: Path | None = None,
    setup: Callable[[], None] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`poet ARGV` in a child process of its own, forked from a warm server (tests/forked.py), 160 columns
    wide. `home` is its POET_HOME (default: the test's); `setup` runs in the child first (a limit, a fault);
    `timeout` is a net against a hang: the child is killed and TimeoutExpired raised."""
    environment = {**os.environ, "COLUMNS": "160"}
    if home is not None:
        environment["POET_HOME"] = str(home)
    return poet_forked(*argv, input_text=input_text, timeout=timeout, setup=setup, environment=environment)


def spawn_training(*arguments: str, **popen: object) -> subprocess.Popen[str]:
    """`poet train ARGUMENTS --jsonl` as a child process whose stdout the test reads line by line."""
    command = [sys.executable, "-m", "poet_tui", "train", *arguments, "--jsonl"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True, **popen)  # type: ignore[call-overload]


def read_until_first_step(process: subprocess.Popen[str]) -> None:
    """Past start-up: the child is inside the training loop once its first step event arrives."""
    assert process.stdout is not None
    for line in process.stdout:
        if json.loads(line)["event"] == "step":
            return
    raise AssertionError("the training child ended before its first step")


def wait_for_training() -> None:
    """Until the newest run's child holds its lock and has logged a step (a net against a hang, not a speed
    test): for a child started by a display process whose output the test does not read."""
    from poet_tui.runs import RunStore

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        runs = RunStore().list()
        if runs and runs[-1].is_training() and events_of(runs[-1], "step"):
            return
        time.sleep(0.1)
    raise AssertionError("the training child never logged a step")


def modules_loaded_by(*modules: str, then: str = "") -> set[str]:
    """The names in `sys.modules` of a fresh interpreter that imported `modules` and then ran the code `then`
    (where an assert may check what the code returned): what a user's first import really pays for."""
    code = "import sys\n" + "".join(f"import {module}\n" for module in modules) + then + "\n"
    code += "loaded = sorted(sys.modules)\nimport json\nprint(json.dumps(loaded))\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.splitlines()[-1]))


def loaded_among(loaded: set[str], *roots: str) -> list[str]:
    """The loaded modules that are `roots` or inside them, sorted: the part of `loaded` a test forbids."""
    return sorted(name for name in loaded if any(name == root or name.startswith(root + ".") for root in roots))


def kill_left_behind(started: list[subprocess.Popen[Any]]) -> None:
    """Whatever a failing test left running: each process started and its children, and every run's training
    child (which may be in a session of its own)."""
    import psutil

    from poet_tui.runs import RunStore

    for process in started:
        with contextlib.suppress(psutil.Error):
            for leftover in [*psutil.Process(process.pid).children(recursive=True), psutil.Process(process.pid)]:
                leftover.kill()
        for run in RunStore().list():
            with contextlib.suppress(OSError, ValueError, psutil.Error):
                psutil.Process(int((run.directory / "train.pid").read_text())).kill()
