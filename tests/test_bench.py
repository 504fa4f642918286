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

import torch

from poet_tui.bench.profiles import PROFILES
from poet_tui.config import ModelConfig
from poet_tui.device import probe_batch_size, search_batch_size
from poet_tui.sample import (
    CompletionStats,
    SamplingSettings,
    complete,
    stream_completion,
)

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
        "wlm-quality-char", "wlm-quality-spm", "sample-form", "horizons-wlm", "horizons-nanogpt",
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
    for name, peers in (("horizons-wlm", {"wlm-200", "wlm-650-tied"}), ("horizons-nanogpt", {"nanogpt"})):
        horizons = by_name[name]["details"]["horizons"]
        assert [row["horizon_s"] for row in horizons] == [0.5, 1.0] and by_name[name]["target_met"] is None
        for row in horizons:
            # a 0.5 s horizon may pass before a busy machine's first step: its figure is then the untrained model's
            assert row["ours"]["steps"] >= 0 and row["ours"]["nats_per_char"] > 0
            for peer in peers:
                assert row[peer]["nats_per_char"] > 0 and row[f"ratio_to_{peer}"] > 0


def test_bench_refuses_an_unknown_case_in_one_line() -> None:
    result = poet("bench", "--quick", "--cases", "char-quality,nope")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("poet: unknown case 'nope'") and "Traceback" not in result.stderr


# ----- streaming: thread count, grad mode, and the graph stepper's logic without a graph -----
def test_streaming_restores_threads_and_grad_mode_between_pieces(char_model) -> None:
    model, tokenizer = char_model
    threads = torch.get_num_threads()
    settings = SamplingSettings(max_tokens=20, seed=3, stop_at_end_of_poem=False)
    stats = CompletionStats()
    for _piece in stream_completion(model, tokenizer, "the", settings, stats):
        assert torch.get_num_threads() == threads
        assert torch.is_grad_enabled() and not torch.is_inference_mode_enabled()
    assert stats.tokens == 20 and stats.stepper == "eager"


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
