"""Shared fixtures: an isolated POET_HOME, a tiny corpus, and a tiny config that trains in seconds."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from poet_tui.config import ModelConfig, RunConfig, TokenizerConfig, TrainingConfig

WORDS = (
    "the",
    "moon",
    "and",
    "sun",
    "rise",
    "over",
    "quiet",
    "water",
    "while",
    "old",
    "winds",
    "sing",
    "of",
    "summer",
    "days",
    "and",
    "golden",
    "light",
    "my",
    "love",
    "thy",
    "heart",
    "doth",
    "shine",
    "like",
    "stars",
    "upon",
    "the",
    "sea",
)


def make_poem(rng: random.Random) -> str:
    lines = []
    for _ in range(rng.randint(3, 6)):
        lines.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 8))).capitalize() + rng.choice(",.;!"))
    return "\n".join(lines)


@pytest.fixture(autouse=True)
def poet_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "poet-home"
    monkeypatch.setenv("POET_HOME", str(home))
    return home


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    """40 short poems separated by two blank lines: enough for a document split and a few batches."""
    rng = random.Random(7)
    path = tmp_path / "tiny-poems.txt"
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


def events_of(run: object, kind: str) -> list[dict]:
    """The events of one kind a run wrote to its metrics.jsonl."""
    return [event for event in run.events() if event["event"] == kind]  # type: ignore[attr-defined]
