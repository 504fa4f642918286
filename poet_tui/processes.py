"""Is a process still alive? psutil answers the same way on Linux and macOS, without importing torch."""

from __future__ import annotations

import psutil


def process_state(pid: int) -> str | None:
    """psutil's status word (running, sleeping, stopped, zombie…), or None when there is no such process."""
    try:
        return str(psutil.Process(pid).status())
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
        return None


def process_alive(pid: int) -> bool:
    """True while the process runs (or is paused); a zombie, dead but not yet reaped, counts as gone."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True  # it exists, it is just not ours to inspect
    except ValueError:  # a negative pid
        return False
