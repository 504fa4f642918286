"""The allocator setting training on the CPU relies on: freed big blocks stay in the process for reuse."""

from __future__ import annotations

import subprocess
import sys

import pytest

from poet_tui.cpu_memory import uses_glibc

# A child frees a 64 MiB block and reports how much of it is still resident: glibc's default hands it back to the
# kernel (the next step would fault it in again); after keep_freed_memory() it stays on the heap for reuse.
PROBE = """
import os, sys
from poet_tui.cpu_memory import keep_freed_memory
if sys.argv[1] == "keep":
    assert keep_freed_memory()
def resident() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
before = resident()
block = bytearray(64 << 20)  # zero-filled: every page is touched
del block
print(resident() - before)
"""


def retained_after_free(mode: str) -> int:
    finished = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True, timeout=120
    )
    return int(finished.stdout.strip())


@pytest.mark.skipif(not uses_glibc(), reason="the setting is glibc's; other allocators are left alone")
def test_freed_big_blocks_stay_in_the_process_only_when_asked() -> None:
    assert retained_after_free("default") < 16 << 20
    assert retained_after_free("keep") >= 60 << 20


def test_the_setting_is_idempotent() -> None:
    from poet_tui.cpu_memory import keep_freed_memory

    assert keep_freed_memory() == keep_freed_memory() == uses_glibc()
