"""The CUDA paths, for the GPU machine: bf16 training, a real out-of-memory, CUDA-graph sampling, NVML.

Skipped where PyTorch sees no CUDA GPU (CI and the developers' machines have none); `benchmarks/gpu_check.sh`
runs them on the device machine, with the rest of what only a GPU can show.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import torch

from poet_tui.device import gpu_status
from poet_tui.generation import load_for_generation
from poet_tui.runs import RunStore
from poet_tui.sample import CompletionStats, SamplingSettings, stream_completion
from poet_tui.train import train
from tests.conftest import events_of, tiny_config

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (the device machine)")


def test_bf16_training_on_cuda_reports_torch_memory(tiny_corpus: Path) -> None:
    run, reason = train(tiny_config(tiny_corpus, device="cuda", precision="bf16", max_steps=20, eval_every_steps=10))
    assert reason == "max_steps"
    start = events_of(run, "start")[0]
    assert start["device"].startswith("cuda") and start["precision"] == "bf16"
    memory = events_of(run, "step")[-1]["mem"]
    assert 0 < memory["gpu_allocated"] <= memory["gpu_reserved"] and memory["gpu_peak"] >= memory["gpu_allocated"]
    assert all(event["val_loss"] == event["val_loss"] for event in events_of(run, "eval"))  # finite in bf16


def test_a_real_cuda_out_of_memory_halves_the_batch(tmp_path: Path) -> None:
    """Activations of batch × bptt × 4·hidden far beyond the card: the batch halves until a step fits."""
    rng = random.Random(0)
    corpus = tmp_path / "noise.txt"
    corpus.write_text("".join(rng.choice("abcdefgh \n") for _ in range(2_200_000)))
    config = tiny_config(corpus, device="cuda", precision="bf16", batch_size=4096, bptt=512, max_steps=2)
    config.model.hidden_size, config.model.num_layers, config.model.embedding_size = 4096, 1, 32
    run, reason = train(config)
    assert reason == "max_steps"
    notices = events_of(run, "notice")
    assert notices and all(notice["kind"] == "out_of_memory" for notice in notices)
    assert run.config().training.batch_size == notices[-1]["batch_size"] < 4096


def test_cuda_graph_sampling_gives_the_eager_text(tiny_corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run, _ = train(tiny_config(tiny_corpus, device="cuda", max_steps=10, eval_every_steps=10))
    loaded = load_for_generation(run.id, device="cuda")
    settings = SamplingSettings(temperature=0.9, max_tokens=300, seed=5, stop_at_end_of_poem=False)

    def sample() -> tuple[str, str]:
        stats = CompletionStats()
        text = "".join(stream_completion(loaded.model, loaded.tokenizer, "The moon", settings, stats))
        return text, stats.stepper

    graph_text, graph_stepper = sample()
    monkeypatch.setenv("POET_CUDA_GRAPHS", "0")
    eager_text, eager_stepper = sample()
    assert (graph_stepper, eager_stepper) == ("cuda-graph", "eager")
    assert graph_text == eager_text and len(graph_text) > 100


def test_nvml_sees_the_gpu_pytorch_uses() -> None:
    status = gpu_status()
    assert status is not None and status.name and 0 < status.memory_used <= status.memory_total
    assert torch.cuda.get_device_name(0).split()[-1] in status.name


def test_runs_trained_on_cuda_load_on_the_cpu(tiny_corpus: Path) -> None:
    run, _ = train(tiny_config(tiny_corpus, device="cuda", max_steps=4, eval_every_steps=4))
    loaded = load_for_generation(run.id, device="cpu")
    assert next(loaded.model.parameters()).device.type == "cpu"
    assert RunStore().get(run.id).status() == "done"
