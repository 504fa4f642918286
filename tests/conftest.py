"""Shared fixtures: an isolated POET_HOME per test, a tiny corpus, and one tiny trained run for the session."""

from __future__ import annotations

import os

# Tiny models gain nothing from a second thread, and beside other busy processes OpenMP's spinning threads can
# slow a step a hundredfold: one thread in every test process, children included (they inherit it). Set before
# anything imports torch.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

# tiny_config and events_of are still imported from here by test_sampling.py and test_cuda.py; new tests
# import from tests.helpers.
from tests.helpers import events_of, tiny_config, write_tiny_corpus  # noqa: F401

if TYPE_CHECKING:
    from poet_tui.runs import Run


@pytest.fixture(autouse=True)
def poet_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Also a config file path of the test's own, where no file is: the developer's real config never leaks in."""
    home = tmp_path / "poet-home"
    monkeypatch.setenv("POET_HOME", str(home))
    monkeypatch.setenv("POET_CONFIG", str(tmp_path / "poet-config" / "config.toml"))
    return home


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    """40 short poems separated by two blank lines: enough for a document split and a few batches."""
    return write_tiny_corpus(tmp_path / "tiny-poems.txt")


@pytest.fixture(scope="session")
def pristine_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory of one tiny run (char model, CPU, 4 steps, evaluated at 2 and 4: `latest` and `best`
    checkpoints, a resumable training state), trained once for the whole session in a POET_HOME of its own.
    Never write to it: tests get their own copy from `trained_run`."""
    from poet_tui.train import train

    corpus = write_tiny_corpus(tmp_path_factory.mktemp("shared-corpus") / "tiny-poems.txt")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("POET_HOME", str(tmp_path_factory.mktemp("shared-home")))
        run, reason = train(tiny_config(corpus, max_steps=4, eval_every_steps=2))
    assert reason == "max_steps" and run.checkpoint("best") is not None and run.checkpoint("latest") is not None
    return run.directory


@pytest.fixture
def trained_run(pristine_run: Path, poet_home: Path) -> Run:
    """A copy of the session's run in this test's POET_HOME: a few file copies instead of a training, and the
    test may read it, resume it, damage it or delete it without any other test seeing."""
    from poet_tui.runs import RunStore

    shutil.copytree(pristine_run, poet_home / "runs" / pristine_run.name)
    return RunStore().get(pristine_run.name)


@pytest.fixture
def char_model() -> tuple[Any, Any]:
    """A tiny untrained char LSTM and its tokenizer, in eval mode: what streaming and stepping tests run."""
    import torch

    from poet_tui.config import ModelConfig
    from poet_tui.corpus import Document
    from poet_tui.model import RNNLanguageModel
    from poet_tui.tokenizers import CharTokenizer

    tokenizer = CharTokenizer.build([Document("the moon and the sea, my love\n")])
    torch.manual_seed(1)
    model = RNNLanguageModel(ModelConfig(vocab_size=tokenizer.vocab_size, embedding_size=8, hidden_size=16))
    return model.eval(), tokenizer
