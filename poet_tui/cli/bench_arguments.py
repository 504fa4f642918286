"""The flags of `poet bench`, kept apart from its implementation so `poet --help` imports nothing heavy."""

from __future__ import annotations

import argparse

# Spelled out here so `poet bench --help` needs no torch; tests/test_bench.py checks it against bench.CASE_NAMES.
CASES_HELP = (
    "comma-separated subset of: char-quality, sample-char, batch-probe, wlm-baseline, wlm-throughput, "
    "wlm-quality-char, wlm-quality-spm, sample-form, horizons-wlm, horizons-nanogpt (default: all, in that order)"
)


def add_bench_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes budgeted in steps, the same losses on any machine (what CI runs)",
    )
    parser.add_argument(
        "--corpus", help="a text file or corpus name for every case (default: the bundled shakespeare-plays)"
    )
    parser.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        help="where to run (default: `device` in the config file, else auto)",
    )
    parser.add_argument("--cases", help=CASES_HELP)
    parser.add_argument("--json", action="store_true", help="only the JSON lines, no table")
