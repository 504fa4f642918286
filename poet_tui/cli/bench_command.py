"""`poet bench`: one JSON object per case on stdout as each finishes, and a Rich table of them on stderr."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from poet_tui.cli.main import EXIT_OK
from poet_tui.formatting import human_bytes, human_count


def command_started() -> float:
    """When this process started, as a time.monotonic(): "from the command's start" includes importing torch."""
    try:
        import psutil

        age = time.time() - psutil.Process().create_time()
    except Exception:  # psutil missing or refused: count from now, which only flatters by the import time
        age = 0.0
    return time.monotonic() - max(0.0, age)


def bench_command(arguments: argparse.Namespace) -> int:
    started = command_started()
    from rich.console import Console

    from poet_tui.bench import run_bench, select_cases
    from poet_tui.device import resolve_device

    names = select_cases(arguments.cases)
    device = resolve_device(arguments.device)
    console = Console(stderr=True)
    if not console.is_terminal:
        console = Console(stderr=True, width=160)

    def announce(name: str) -> None:
        if not arguments.json:
            console.print(f"[dim]running {name} on {device}…[/dim]")

    results = []
    for result in run_bench(names, device, arguments.quick, arguments.corpus, started, announce):
        print(json.dumps(result, ensure_ascii=False), flush=True)
        results.append(result)
    if not arguments.json:
        console.print(results_table(results))
    return EXIT_OK


def results_table(results: list[dict[str, Any]]) -> Any:
    from poet_tui.cli.output import make_table

    devices = list(dict.fromkeys(device_of(result) for result in results))  # one device a run: said once
    cases = f"{len(results)} case" + ("" if len(results) == 1 else "s")
    table = make_table(
        f"poet bench on {', '.join(devices)} ({cases})",
        [
            ("case", "name"),
            ("speed\ntokens/s", "number"),
            ("sampling\nms/token", "number"),
            ("best val\nnats/char", "number"),
            ("to best\ns", "number"),
            ("peak\nmemory", "number"),
            ("target", "text"),
        ],
    )
    for result in results:
        met = result.get("target_met")
        verdict = "—" if met is None else ("[green]met[/green]" if met else "[red]not met[/red]")
        table.add_row(
            result["case"],
            human_count(result.get("tokens_per_s")),
            number(result.get("ms_per_token"), 3),
            number(result.get("best_val"), 4),
            number(result.get("time_to_best_s"), 1),
            human_bytes(result.get("peak_memory_bytes")) + (" RSS" if result.get("peak_memory_kind") != "cuda" else ""),
            verdict,
        )
    return table


def device_of(result: dict[str, Any]) -> str:
    return str(result.get("gpu") or f"{result['device']} ×{result.get('cpu_threads', '?')}")


def number(value: float | None, digits: int, suffix: str = "") -> str:
    return "—" if value is None else f"{value:.{digits}f}{suffix}"
