"""Run one `poet bench` case several times, each with some of its profile's settings changed: how the CPU
profile's windows and learning rate were chosen (benchmarks/RESULTS.md). Not a test; figures depend on the machine.

    python benchmarks/profile_variants.py CORPUS char-quality '[{}, {"char_training": {"bptt": 32}}]'
    python benchmarks/profile_variants.py CORPUS wlm-quality-spm '[{"spm_vocab_size": 8000}]'

Each variant maps a Profile field to a value; dictionaries are merged into the profile's own. The wlm-quality
cases first run wlm-baseline once, whose wall clock is their budget. Add `--profile gpu` (after the variants)
to start from the GPU profile."""

from __future__ import annotations

import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from poet_tui.bench.cases import CASES, BenchContext
from poet_tui.bench.harness import MemoryMeter
from poet_tui.bench.profiles import PROFILES, Profile
from poet_tui.bench.texts import load_bench_text
from poet_tui.device import resolve_device


def changed(profile: Profile, variant: dict[str, Any]) -> Profile:
    changes = {
        name: {**getattr(profile, name), **value} if isinstance(value, dict) else value
        for name, value in variant.items()
    }
    return dataclasses.replace(profile, **changes)


def main() -> None:
    corpus, case, variants = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    profile = PROFILES[sys.argv[5] if len(sys.argv) > 5 and sys.argv[4] == "--profile" else "cpu"]
    device = resolve_device("cuda" if profile.name == "gpu" else "cpu")
    text = load_bench_text(corpus, profile.text_limit)
    context = BenchContext(device, profile, text, Path(tempfile.mkdtemp()), time.monotonic(), cases_done=1)
    if case.startswith("wlm-quality"):
        baseline = CASES["wlm-baseline"](context, MemoryMeter.start(device))
        print(json.dumps({"case": "wlm-baseline", "best_val": baseline["best_val"]}), flush=True)
    for variant in variants:
        context.profile = changed(profile, variant)
        result = CASES[case](context, MemoryMeter.start(device))
        steps = result.get("details", {}).get("steps")
        print(json.dumps({"variant": variant, "best_val": result["best_val"], "steps": steps}), flush=True)


if __name__ == "__main__":
    main()
