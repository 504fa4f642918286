"""Fixtures for the app's tests: a POET_HOME with one fixed, fully deterministic run, and no GPU. The pilot
helpers are in tests/helpers/pilot.py."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from poet_tui.config import ModelConfig, RunConfig, TokenizerConfig, TrainingConfig, save_run_config

FIXED_RUN = "20250101-120000-shakespeare-sonnets-char"
FIXED_CREATED = "2025-01-01T12:05:00+00:00"


def fixed_events() -> list[dict[str, object]]:
    """A run that trained 60 steps and was stopped: a smooth, made-up loss curve."""
    config = fixed_config().to_dict()
    events: list[dict[str, object]] = [
        {"event": "start", "run": FIXED_RUN, "time": "2025-01-01T12:00:00Z", "device": "cpu", "params": 9000},
    ]
    events[0]["config"] = config
    for step in range(5, 61, 5):
        loss = 1.2 + 3.0 * math.exp(-step / 20)
        events.append(
            {"event": "step", "step": step, "epoch": step / 200, "loss": round(loss, 4), "mem": {"rss": 2**28}}
        )
        if step % 20 == 0:
            events.append(
                {"event": "eval", "step": step, "val_loss": round(loss + 0.1, 4), "val_bpc": 2.0, "best": True}
            )
    events.append({"event": "done", "step": 60, "reason": "stopped"})
    return events


def fixed_config() -> RunConfig:
    return RunConfig(
        corpus="shakespeare-sonnets",
        seed=3,
        tokenizer=TokenizerConfig(kind="char"),
        model=ModelConfig(vocab_size=0, embedding_size=16, hidden_size=24, num_layers=1, dropout=0.0),
        training=TrainingConfig(batch_size=4, bptt=16, max_steps=60, eval_every_steps=20, device="cpu"),
    )


def write_fixed_run(home: Path) -> Path:
    """A real (tiny, untrained) model with its tokenizer, config, metrics and two checkpoints, all fixed."""
    import torch

    from poet_tui.checkpoint import CheckpointFiles, save_checkpoint
    from poet_tui.corpus_registry import find_corpus
    from poet_tui.model import RNNLanguageModel
    from poet_tui.tokenizers import CharTokenizer

    run_dir = home / "runs" / FIXED_RUN
    (run_dir / "checkpoints").mkdir(parents=True)
    entry = find_corpus("shakespeare-sonnets")
    assert entry is not None
    tokenizer = CharTokenizer.build(entry.load().documents)
    tokenizer.save(run_dir)
    config = fixed_config()
    config.model.vocab_size = tokenizer.vocab_size
    save_run_config(config, run_dir / "run.toml")
    torch.manual_seed(0)
    model = RNNLanguageModel(config.model)
    for stem, step, val_loss in (("best", 40, 1.95), ("latest", 60, 1.97)):
        files = CheckpointFiles(run_dir / "checkpoints", stem)
        metadata = {
            "step": step,
            "kind": stem,
            "val_loss": val_loss,
            "val_bpc": round(val_loss / math.log(2) / 3.5, 4),
            "corpus": config.corpus,
            "tokenizer": "char",
            "vocab_size": tokenizer.vocab_size,
            "run": FIXED_RUN,
        }
        save_checkpoint(files, model, metadata)
        written = json.loads(files.metadata.read_text(encoding="utf-8"))
        written["created"] = FIXED_CREATED
        files.metadata.write_text(json.dumps(written, indent=2), encoding="utf-8")
    with open(run_dir / "metrics.jsonl", "w", encoding="utf-8") as file:
        for event in fixed_events():
            file.write(json.dumps(event) + "\n")
    return run_dir


@pytest.fixture
def fixed_home(poet_home: Path) -> Path:
    write_fixed_run(poet_home)
    return poet_home


@pytest.fixture(autouse=True)
def no_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same screens on every machine: the app's GPU probe sees no GPU."""
    import poet_tui.device

    monkeypatch.setattr(poet_tui.device, "gpu_status", lambda index=0: None)
