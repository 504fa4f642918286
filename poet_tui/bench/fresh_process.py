"""Run a peer's training loop in a newly started Python, as its own script would run.

Why: our Trainer changes process-wide settings that a peer's script never makes (glibc's allocator keeps freed
memory, cpu_memory.py; torch's thread count), and `poet bench` trains ours first. Run in the bench's own process,
word_language_model would inherit them and be measured faster than `python main.py` runs for its users. A spawned
process starts from the interpreter's defaults; starting it and handing the data over happen off its clock.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import Any, TypeVar

Result = TypeVar("Result")


def call_in_fresh_process(function: Callable[..., Result], *args: Any) -> Result:
    """function(*args) in a spawned process (not forked: a fork keeps the parent's allocator and threads).

    The function and its arguments travel by pickle between this program's own processes; an exception in the
    child is raised here."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes=1) as pool:
        return pool.apply(function, args)
