"""`poet bench` and the fast paths it measures.

The first test is the CI benchmark smoke test: it runs `poet bench --quick --json` in a subprocess (about 10 s on
2 CPU cores) and checks every case's JSON, for correctness only; no figure is compared with a target. The quick
profile budgets training by steps, not seconds, so "the models beat a uniform guess" holds however loaded the
machine is. The rest check that the single-step path, the CUDA-graph stepper's logic (run without a graph) and
the batch-size search compute what they claim.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest
import torch

from poet_tui import fast_step
from poet_tui.bench.profiles import PROFILES
from poet_tui.config import ModelConfig
from poet_tui.corpus import Document
from poet_tui.cuda_graph import GraphStepper, StaticStep
from poet_tui.device import probe_batch_size, search_batch_size
from poet_tui.model import RNNLanguageModel
from poet_tui.sample import (
    CompletionStats,
    EagerStepper,
    SamplingSettings,
    TokenSampler,
    complete,
    make_generator,
    stream_completion,
)
from poet_tui.tokenizers import CharTokenizer

COMMON_KEYS = {
    "case", "device", "profile", "tokens_per_s", "ms_per_token", "best_val", "time_to_best_s",
    "peak_memory_bytes", "peak_memory_kind", "wall_s", "target", "target_met", "corpus", "details",
}  # fmt: skip


def poet(*arguments: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`poet ...` in a child; the timeout only stops a hang (a loaded machine is slower, never wrong)."""
    return subprocess.run(
        [sys.executable, "-m", "poet_tui", *arguments], capture_output=True, text=True, timeout=timeout, env=os.environ
    )


# ----- CI benchmark smoke test: `poet bench --quick --json` -----
def test_bench_quick_json_reports_every_case() -> None:
    """Every case reports its fields, and every model it trains learns; nothing here depends on speed."""
    steps = PROFILES["quick"].steps
    assert steps is not None  # the quick profile's work is counted in steps: a slow machine does all of it
    result = poet("bench", "--quick", "--json", "--device", "cpu")  # its wall time is a figure in RESULTS.md
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    cases = [json.loads(line) for line in lines]
    names = [case["case"] for case in cases]
    assert names == [
        "char-quality", "sample-char", "batch-probe", "wlm-baseline", "wlm-throughput",
        "wlm-quality-char", "wlm-quality-spm",
    ]  # fmt: skip
    for case in cases:
        assert set(case) >= COMMON_KEYS, case["case"]
        assert case["device"] == "cpu" and case["profile"] == "quick"
        assert case["peak_memory_kind"] == "cpu_rss" and case["peak_memory_bytes"] > 0
        assert case["wall_s"] >= 0
    by_name = dict(zip(names, cases, strict=True))
    quality = by_name["char-quality"]
    assert quality["details"]["steps"] == steps.char_steps
    assert len(quality["details"]["evaluations"]) >= 2  # so the kept `best` checkpoint was chosen among several
    assert 0 < quality["best_val"] < math.log(quality["details"]["vocab_size"])  # better than a uniform guess
    assert quality["time_to_best_s"] > 0 and quality["tokens_per_s"] > 0
    assert quality["details"]["kept_best_is_best"] is True
    sampling = by_name["sample-char"]
    assert sampling["ms_per_token"] > 0 and sampling["details"]["stepper"] == "eager"
    assert sampling["target_met"] in (True, False)  # the CPU target applies on the CPU; its value is not checked
    assert by_name["batch-probe"]["details"]["batch_size"] >= 1
    baseline = by_name["wlm-baseline"]
    assert baseline["tokens_per_s"] > 0 and baseline["best_val"] > 0
    assert baseline["details"]["validation_nats_per_token"] < math.log(baseline["details"]["vocab_size"])
    throughput = by_name["wlm-throughput"]
    assert throughput["details"]["steps_timed"] == steps.throughput_steps
    assert throughput["details"]["ratio_to_baseline_here"] > 0
    for name in ("wlm-quality-char", "wlm-quality-spm"):
        details = by_name[name]["details"]
        assert by_name[name]["best_val"] > 0 and details["steps"] == steps.quality_steps
        assert details["validation_nats_per_token"] < math.log(details["vocab_size"])  # it learned something
        assert by_name[name]["target_met"] is None  # that target is at equal wall clock, not at equal steps


def test_bench_refuses_an_unknown_case_in_one_line() -> None:
    result = poet("bench", "--quick", "--cases", "char-quality,nope")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("poet: unknown case 'nope'") and "Traceback" not in result.stderr


# ----- the single-step path (fast_step.py) against nn.LSTM / nn.GRU -----
def small_model(cell: str, tied: bool = False, embedding: int = 12, vocab: int = 9) -> RNNLanguageModel:
    torch.manual_seed(0)
    config = ModelConfig(
        vocab_size=vocab, cell=cell, embedding_size=embedding, hidden_size=16, num_layers=2, dropout=0.3, tied=tied
    )
    model = RNNLanguageModel(config)
    with torch.no_grad():  # non-zero biases everywhere, so a mixed-up bias would show
        for parameter in model.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.1)
    return model.eval()


def module_step(model: RNNLanguageModel, tokens: torch.Tensor, state: object) -> tuple[torch.Tensor, object]:
    """nn.LSTM / nn.GRU's answer: the model's forward with grad enabled skips the single-step path."""
    with torch.enable_grad():
        logits, new_state = model(tokens, state)
    return logits.detach(), new_state


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("tied", [False, True])  # tied with embedding 12 ≠ hidden 16: a projection is folded in
@pytest.mark.parametrize("use_table", [True, False])
def test_single_step_matches_the_recurrent_module(
    cell: str, tied: bool, use_table: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fast_step, "MAX_TABLE_ELEMENTS", 1 << 20 if use_table else 0)
    model = small_model(cell, tied)
    tokens = torch.tensor([[1], [4], [8]])
    reference_logits, reference_state = module_step(model, tokens, None)
    with torch.no_grad():
        logits, state = model(tokens, None)
    assert (model.step_weights().table is not None) == use_table
    torch.testing.assert_close(logits, reference_logits, rtol=1e-5, atol=1e-5)
    for _ in range(3):  # carried state, too
        reference_logits, reference_state = module_step(model, tokens, reference_state)
        with torch.no_grad():
            logits, state = model(tokens, state)
        torch.testing.assert_close(logits, reference_logits, rtol=1e-5, atol=1e-5)
    parts = state if isinstance(state, tuple) else (state,)
    reference_parts = reference_state if isinstance(reference_state, tuple) else (reference_state,)
    for part, reference_part in zip(parts, reference_parts, strict=True):
        torch.testing.assert_close(part, reference_part.detach(), rtol=1e-5, atol=1e-5)


def test_single_step_follows_weight_changes_and_leaves_its_input_state_alone() -> None:
    model = small_model("lstm")
    tokens = torch.tensor([[3]])
    with torch.no_grad():
        _, state = model(tokens, None)
        before = tuple(part.clone() for part in state)
        model(tokens, state)
        assert all(torch.equal(part, old) for part, old in zip(state, before, strict=True))
        model.rnn.bias_hh_l0.add_(0.5)  # what an optimizer step does: an in-place change
        model.embedding.weight[3].mul_(2.0)
        logits, _ = model(tokens, state)
    torch.testing.assert_close(logits, module_step(model, tokens, state)[0], rtol=1e-5, atol=1e-5)


# ----- streaming: thread count, grad mode, and the graph stepper's logic without a graph -----
@pytest.fixture
def char_model() -> tuple[RNNLanguageModel, CharTokenizer]:
    tokenizer = CharTokenizer.build([Document("the moon and the sea, my love\n")])
    torch.manual_seed(1)
    model = RNNLanguageModel(ModelConfig(vocab_size=tokenizer.vocab_size, embedding_size=8, hidden_size=16))
    return model.eval(), tokenizer


def test_streaming_restores_threads_and_grad_mode_between_pieces(char_model) -> None:
    model, tokenizer = char_model
    threads = torch.get_num_threads()
    settings = SamplingSettings(max_tokens=20, seed=3, stop_at_end_of_poem=False)
    stats = CompletionStats()
    for _piece in stream_completion(model, tokenizer, "the", settings, stats):
        assert torch.get_num_threads() == threads
        assert torch.is_grad_enabled() and not torch.is_inference_mode_enabled()
    assert stats.tokens == 20 and stats.stepper == "eager"


@pytest.mark.parametrize(
    "settings",
    [
        SamplingSettings(temperature=1.0, seed=5),
        SamplingSettings(temperature=0.0),
        SamplingSettings(temperature=0.7, top_k=3, seed=5),
        SamplingSettings(temperature=1.0, top_p=0.8, seed=5),
    ],
)
def test_graph_stepper_logic_draws_what_the_eager_stepper_draws(char_model, settings: SamplingSettings) -> None:
    """StaticStep is what a CUDA graph captures; replayed without a graph on the CPU it must agree token for token."""
    model, _ = char_model
    device = torch.device("cpu")

    def tokens(make_stepper) -> list[int]:
        sampler = TokenSampler(model.config.vocab_size, device, make_generator(device, settings.seed or 0))
        with torch.inference_mode():
            _, state = model(torch.tensor([[0, 2, 5]]))
            stepper = make_stepper(state, sampler)
        token, drawn = 3, []
        for _ in range(40):
            token = stepper.next_token(token, settings)
            drawn.append(token)
        return drawn

    eager = tokens(lambda state, sampler: EagerStepper(model, state, sampler))
    with torch.inference_mode():
        replayed = tokens(lambda state, sampler: GraphStepper(StaticStep(model, state), None, sampler))
    assert replayed == eager


def test_same_seed_same_text_with_the_new_sampler(char_model) -> None:
    model, tokenizer = char_model
    settings = SamplingSettings(temperature=1.0, max_tokens=60, seed=11, stop_at_end_of_poem=False)
    assert complete(model, tokenizer, "the", settings) == complete(model, tokenizer, "the", settings)


# ----- `--batch-size auto`: the search, with a fake memory limit -----
def test_batch_size_search_doubles_then_bisects() -> None:
    limit_rows = 700  # pretend a step fits up to 700 rows

    def fits(size: int) -> tuple[bool, int | None]:
        return size <= limit_rows, size * 1000

    best, trials = search_batch_size(fits, start=8, limit=8192, refine_steps=2)
    assert [size for size, _, _ in trials] == [8, 16, 32, 64, 128, 256, 512, 1024, 768, 640]
    assert best == 640
    best, trials = search_batch_size(lambda size: (True, None), start=8, limit=100)
    assert best == 100 and trials[-1][0] == 100
    best, trials = search_batch_size(lambda size: (size <= 3, None), start=8, limit=100)  # start itself too big
    assert best == 3 and [size for size, _, _ in trials] == [8, 4, 2, 3]
    assert search_batch_size(lambda size: (False, None), start=8, limit=100)[0] == 1


def test_batch_probe_on_the_cpu_keeps_a_default() -> None:
    probe = probe_batch_size(ModelConfig(vocab_size=10), 32, torch.device("cpu"))
    assert probe.method == "cpu-default" and probe.batch_size >= 1


def test_the_help_names_every_case() -> None:
    from poet_tui.bench import CASE_NAMES
    from poet_tui.cli.bench_arguments import CASES_HELP

    assert all(name in CASES_HELP for name in CASE_NAMES)
