"""The lens reads a text one token after another with a batch of one: too little work per step to split across
cores. On the CPU, OpenMP's fork/join per step costs more than it saves, and on a busy machine a descheduled
helper thread stalls every step (a 2 × 256 char LSTM over 9,000 characters on two shared cores: 8 s with two
threads, 1 s with one), as sample.py found for generation. The count is restored after each stretch of work,
so the caller's own code keeps every core."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def one_thread_on_cpu(device: torch.device) -> Iterator[None]:
    if device.type != "cpu":
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
