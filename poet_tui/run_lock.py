"""One run, one trainer: an OS lock on a file in the run directory, held for the whole training process.

The kernel releases a `flock` when its holder dies, however it dies, so a lock can never go stale the way a
pid file can. "Is this run training?" is answered by trying the same lock, never by guessing from pids.
Readers only ever try a shared lock for an instant; a trainer that meets one retries briefly.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time
from pathlib import Path

from poet_tui.errors import PoetError

LOCK_NAME = "train.lock"
# A reader's probe holds a shared lock for microseconds; a trainer waits this long before saying "busy".
ACQUIRE_PATIENCE_S = 1.0


class RunLock:
    """The exclusive lock of one run directory; `release` (or the process's death) lets it go."""

    def __init__(self, directory: Path, descriptor: int) -> None:
        self.directory = directory
        self.descriptor: int | None = descriptor

    @classmethod
    def acquire(cls, directory: Path, run_id: str, purpose: str = "train it") -> RunLock:
        """Take the lock or say in one sentence that another process holds it."""
        path = Path(directory) / LOCK_NAME
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            descriptor = os.open(path, flags, 0o644)
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise PoetError(
                    f"{path} is a symbolic link; remove it, poet-tui never follows links in a run."
                ) from None
            raise PoetError(
                f"could not lock run {run_id} ({error.strerror or error}); check that {directory} is writable."
            ) from None
        deadline = time.monotonic() + ACQUIRE_PATIENCE_S
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(descriptor)
                    raise PoetError(
                        f"run {run_id} is in use by another poet-tui process (training, or being deleted); "
                        f"stop that first, then {purpose}."
                    ) from None
                time.sleep(0.02)
        lock = cls(Path(directory), descriptor)
        if not lock.still_names_the_directory():
            lock.release()
            raise PoetError(f"run {run_id} was deleted or moved while poet-tui was opening it.")
        return lock

    def still_names_the_directory(self) -> bool:
        """After a wait the directory may have been renamed away (deleted); the lock must be the live one."""
        assert self.descriptor is not None
        try:
            on_disk = os.lstat(self.directory / LOCK_NAME)
        except OSError:
            return False
        held = os.fstat(self.descriptor)
        return (on_disk.st_dev, on_disk.st_ino) == (held.st_dev, held.st_ino)

    def release(self) -> None:
        if self.descriptor is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self.descriptor, fcntl.LOCK_UN)
            os.close(self.descriptor)
            self.descriptor = None

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


def is_locked(directory: Path) -> bool:
    """True while some process holds the run's lock (a trainer, or a delete in progress)."""
    path = Path(directory) / LOCK_NAME
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return False  # no lock file (never trained, or an older run): nobody can hold it
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    else:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        return False
    finally:
        os.close(descriptor)
