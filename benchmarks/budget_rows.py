"""How `--preset auto`'s rows were chosen (issue #17): each row of budget_presets.py trained by `poet train` for
each budget, on each corpus, and its best validation bits/char. Not a test: figures depend on the machine
(benchmarks/RESULTS.md, "Budget-aware defaults").

    python benchmarks/budget_rows.py CORPUS MINUTES[,MINUTES...] [--small-corpus-dropout]

For every budget it trains every CPU row (its settings spelled out as flags, so the rows compete on equal terms
whatever auto would pick), alternating the rows' order from one budget to the next so drift in the machine's
load does not favour one. `--small-corpus-dropout` instead compares the row auto picks with dropout 0.1 and 0.3.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from typing import Any

from poet_tui.budget_presets import CPU_ROWS, SMALL_CORPUS_DROPOUT, auto_settings
from poet_tui.options import option


def flags_for(settings: dict[str, Any]) -> list[str]:
    flags = []
    for key, value in settings.items():
        flag = option(key).flag
        assert flag is not None
        flags += [flag, str(value)]
    return flags


def best_bits_per_char(corpus: str, minutes: float, flags: list[str]) -> dict[str, Any]:
    command = [
        sys.executable, "-m", "poet_tui", "train", "--corpus", corpus, "--max-minutes", str(minutes),
        "--device", "cpu", "--jsonl", *flags,
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    evaluations = [event for event in events if event["event"] == "eval"]
    steps = [event for event in events if event["event"] == "step"]
    if not evaluations:
        raise SystemExit(f"no evaluation; stderr: {result.stderr[-2000:]}")
    return {
        "best_bits_per_char": min(event["val_bpc"] for event in evaluations),
        "steps": steps[-1]["step"] if steps else 0,
        "threads": steps[-1].get("threads") if steps else None,
    }


def main() -> None:
    corpus, budgets = sys.argv[1], [float(text) for text in sys.argv[2].split(",")]
    dropout_mode = "--small-corpus-dropout" in sys.argv[3:]
    with tempfile.TemporaryDirectory(prefix="poet-rows-") as home:
        os.environ["POET_HOME"] = home  # the runs are thrown away with the folder
        for index, minutes in enumerate(budgets):
            if dropout_mode:
                base = auto_settings(minutes, None, "cpu").settings
                variants = [
                    (f"dropout {value}", {**base, "model.dropout": value}) for value in (0.1, SMALL_CORPUS_DROPOUT)
                ]
            else:
                variants = [(row.label, row.settings) for row in CPU_ROWS]
            if index % 2:
                variants.reverse()
            for label, settings in variants:
                figures = best_bits_per_char(corpus, minutes, flags_for(settings))
                print(
                    json.dumps({"corpus": corpus, "minutes": minutes, "row": label, **figures}, ensure_ascii=False),
                    flush=True,
                )


if __name__ == "__main__":
    main()
