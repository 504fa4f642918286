"""Concurrent `poet corpora add` never lose each other's entry: the read-modify-write runs under an OS lock."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from poet_tui.corpus_registration import add_corpus, registry_lock, remove_corpus
from poet_tui.corpus_registry import registry_lock_file, user_corpora

PROCESSES = 4
ADDS_PER_PROCESS = 6

# Each child waits for the go file, then registers its corpora one by one. A pause between reading the registry
# and writing it back widens the window in which an unlocked read-modify-write would lose another's entry; with the
# lock it only makes the others wait.
CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import poet_tui.corpus_registration as registry

    corpus, go, prefix, count = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    write_registry = registry.write_registry

    def slow_write(entries):
        time.sleep(0.02)
        write_registry(entries)

    registry.write_registry = slow_write
    while not go.exists():
        time.sleep(0.005)
    for index in range(count):
        registry.add_corpus(corpus, f"{prefix}-{index}")
    """
)


def test_concurrent_adds_from_many_processes_all_survive(tiny_corpus: Path, tmp_path: Path) -> None:
    go = tmp_path / "go"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(tiny_corpus), str(go), f"p{number}", str(ADDS_PER_PROCESS)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for number in range(PROCESSES)
    ]
    go.touch()
    for child in children:
        _, errors = child.communicate(timeout=300)  # a safety net against a deadlock, not a speed assertion
        assert child.returncode == 0, errors
    expected = sorted(f"p{number}-{index}" for number in range(PROCESSES) for index in range(ADDS_PER_PROCESS))
    assert sorted(entry.name for entry in user_corpora()) == expected


def test_concurrent_adds_and_removes_from_threads_keep_every_other_entry(tiny_corpus: Path) -> None:
    """flock locks an open file description, so threads of one process (the app's workers) exclude each other too."""
    for index in range(8):
        add_corpus(tiny_corpus, f"old-{index}")
    failures: list[BaseException] = []

    def work(index: int) -> None:
        try:
            add_corpus(tiny_corpus, f"new-{index}")
            remove_corpus(f"old-{index}")
        except BaseException as error:  # reported below, with the thread's own exception
            failures.append(error)

    threads = [threading.Thread(target=work, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(entry.name for entry in user_corpora()) == [f"new-{index}" for index in range(8)]


def test_the_lock_is_an_exclusive_flock_inside_the_data_home_released_afterwards(
    poet_home: Path, tiny_corpus: Path
) -> None:
    with registry_lock():
        lock_path = registry_lock_file()
        assert lock_path.parent == poet_home / "corpora"
        descriptor = os.open(lock_path, os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(descriptor)
    add_corpus(tiny_corpus, "after")  # released: the next add does not wait forever
    descriptor = os.open(registry_lock_file(), os.O_RDWR)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(descriptor)
