"""Is a training process still alive? Shared by the run store and the app, without importing torch."""

from __future__ import annotations

import os
from pathlib import Path


def process_state(pid: int) -> str | None:
    """The kernel's one-letter state (R running, S sleeping, T stopped, Z zombie…), or None where /proc can't say."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def process_alive(pid: int) -> bool:
    """True while the process runs (or is paused); a zombie, dead but not yet reaped, counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return process_state(pid) != "Z"  # without /proc (macOS) signal 0 is all there is


def looks_like_poet(pid: int) -> bool:
    """After a reboot a stale pid file may name an unrelated process; where /proc tells, check it is ours."""
    try:
        command_line = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True
    return b"poet" in command_line
