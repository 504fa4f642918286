"""Keep freed memory in the process while training on the CPU, so big tensors are not faulted in afresh each step.

Why: glibc serves any allocation over its mmap threshold (at most 32 MB by default) with a fresh `mmap` and hands
it back to the kernel on free. A word model's logits (20 × 35 positions × 25,671 words × 4 bytes = 72 MB) and
their gradients are such allocations: every step the kernel zeroed and mapped them page by page again, a third of
a step's time on two cores (benchmarks/RESULTS.md, "The allocator"). Raising the mmap and trim thresholds makes
glibc keep that memory on its heap and reuse it; the process's footprint stays at its peak instead of breathing.

Only glibc is touched (musl, macOS and Windows allocators differ and are left alone), and only in processes that
train on the CPU: the app's interface never calls this (training runs in a child process).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform
import sys

# mallopt's parameter numbers (glibc's malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
# Allocations up to this size come from the heap, and this much free heap is kept before any is given back.
KEPT_BYTES = 1 << 30

_applied = False


def uses_glibc() -> bool:
    return sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory for reuse; True when the setting is in force (now or from an earlier call)."""
    global _applied
    if _applied:
        return True
    if not uses_glibc():
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # mallopt returns 1 on success; both must hold, or a trimmed heap would fault the memory in again anyway
    _applied = mallopt(M_MMAP_THRESHOLD, KEPT_BYTES) == 1 and mallopt(M_TRIM_THRESHOLD, KEPT_BYTES) == 1
    return _applied
