"""How a training child is started: `python -m poet_tui train <flags> --jsonl`, its stdout the event stream.

The CLI's live view and the app both start it from here; the flags come from `RunConfig.to_argv` (a new run)
or `resume_flags` (a stopped one), so neither front end builds the other's command line."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from poet_tui.options import budget_options, flag_argument


def train_child_command(flags: list[str]) -> list[str]:
    return [sys.executable, "-m", "poet_tui", "train", *flags, "--jsonl"]


def resume_flags(run_name: str, budget: Mapping[str, Any] | None = None) -> list[str]:
    """`--resume RUN` and the new budget (by setting name: `max_steps`, …), the only things a resume may change."""
    flags = [flag_argument("--resume", run_name)]
    for item in budget_options():
        value = (budget or {}).get(item.name)
        if value is not None and item.flag is not None:
            flags.append(flag_argument(item.flag, value))
    return flags


def resumed_run(flags: list[str]) -> str | None:
    """The run a child's flags resume (as resume_flags spells it), None for a new run."""
    prefix = "--resume="
    return next((flag.removeprefix(prefix) for flag in flags if flag.startswith(prefix)), None)
