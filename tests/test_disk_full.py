"""A full disk or a read-only data home gets one sentence everywhere, and nothing saved is damaged.

Where the platform lets a test mount a small tmpfs (root on Linux), the data home really fills up or becomes
read-only; everywhere, a file-size limit (RLIMIT_FSIZE) makes a child's writes fail the same way.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from poet_tui.checkpoint import load_model
from poet_tui.runs import Run, RunStore
from tests.forked import limit_file_size
from tests.helpers import poet


def copy_run(pristine_run: Path, home: Path) -> Run:
    """The session's tiny run, copied into `home`: what a user had trained before the disk filled."""
    shutil.copytree(pristine_run, home / "runs" / pristine_run.name)
    return RunStore(home / "runs").get(pristine_run.name)


def one_sentence(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("poet: ") and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


@contextlib.contextmanager
def mounted_tmpfs(where: Path, size: str) -> Iterator[Path]:
    where.mkdir()
    mount = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    if mount.returncode != 0:
        pytest.skip("this platform does not let the tests mount a small filesystem")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(directory: Path) -> None:
    """Write until the filesystem refuses: it is then full."""
    with open(directory / "filler", "wb") as filler:
        try:
            while True:
                filler.write(b"\0" * 65536)
                filler.flush()
                os.fsync(filler.fileno())
        except OSError as error:
            assert error.errno == errno.ENOSPC


def remount_read_only(where: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True)


def test_a_new_run_on_a_full_disk_leaves_no_run_behind(tmp_path: Path, tiny_corpus: Path) -> None:
    with mounted_tmpfs(tmp_path / "small", "2m") as home:
        (home / "runs").mkdir()
        fill(home)
        result = poet(
            "train", "--corpus", str(tiny_corpus), "--max-steps", "2", "--device", "cpu", "--jsonl", home=home
        )
        assert "space" in one_sentence(result)
        assert list((home / "runs").iterdir()) == []


def test_a_full_disk_during_training_keeps_the_last_checkpoint(tmp_path: Path, pristine_run: Path) -> None:
    with mounted_tmpfs(tmp_path / "small", "4m") as home:
        run = copy_run(pristine_run, home)
        config_before = run.config_path.read_bytes()
        fill(home)
        result = poet("train", "--resume", run.id, "--max-steps", "8", "--jsonl", home=home)
        assert "space" in one_sentence(result)
        assert run.config_path.read_bytes() == config_before
        for files in RunStore(home / "runs").get(run.id).checkpoints():
            load_model(files)


def test_a_read_only_data_home_gets_one_sentence_everywhere(
    tmp_path: Path, tiny_corpus: Path, pristine_run: Path
) -> None:
    with mounted_tmpfs(tmp_path / "small", "4m") as home:
        run = copy_run(pristine_run, home)
        remount_read_only(home)
        one_sentence(poet("checkpoints", "rm", run.id, "--yes", home=home))
        one_sentence(poet("checkpoints", "rm", str(run.checkpoints_dir / "latest.json"), "--yes", home=home))
        one_sentence(poet("train", "--resume", run.id, "--max-steps", "8", "--jsonl", home=home))
        one_sentence(poet("train", "--corpus", str(tiny_corpus), "--max-steps", "2", "--jsonl", home=home))
        one_sentence(poet("corpora", "add", str(tiny_corpus), home=home))
        assert run.checkpoint("latest") is not None and run.checkpoint("best") is not None


@pytest.mark.parametrize("limit", [3_000, 20_000, 60_000])
def test_a_file_size_limit_fails_writes_in_one_sentence(tmp_path: Path, tiny_corpus: Path, limit: int) -> None:
    """Portable: writes beyond the limit fail with EFBIG wherever they happen (run.toml, tokenizer, checkpoint)."""
    home = tmp_path / "home"
    result = poet(
        "train", "--corpus", str(tiny_corpus), "--embedding", "16", "--hidden", "32", "--max-steps", "4",
        "--eval-every", "2", "--device", "cpu", "--jsonl", home=home, setup=functools.partial(limit_file_size, limit),
    )  # fmt: skip
    one_sentence(result)
    for run in RunStore(home / "runs").list():
        for files in run.checkpoints():
            load_model(files)  # whatever was committed still loads
