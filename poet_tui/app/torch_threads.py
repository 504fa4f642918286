"""The app process runs torch only for batch-1 generation: one intra-op thread is fastest there.

With torch's default pool, OpenMP threads spin beside the UI thread and the generating thread on a small
machine, and generation drops from thousands of tokens a second to hundreds. Training runs in a child
process and keeps its own threads. The previous setting is restored when the app exits (tests share
the process with other code)."""

from __future__ import annotations

import threading

_lock = threading.Lock()
_saved: list[int] = []


def use_one_thread() -> None:
    import torch

    with _lock:
        if not _saved:
            _saved.append(torch.get_num_threads())
            torch.set_num_threads(1)


def restore() -> None:
    with _lock:
        if _saved:
            import torch

            torch.set_num_threads(_saved.pop())
