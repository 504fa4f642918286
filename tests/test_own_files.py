"""The one way poet-tui opens a file it keeps for itself (a lock, a download's .part): never through a link, only
a regular file, and a FIFO planted there is refused at once rather than hanging the open."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from poet_tui.errors import PoetError
from poet_tui.safe_files import open_own_file


def test_a_regular_file_is_created_and_opened_blocking(tmp_path: Path) -> None:
    descriptor = open_own_file(tmp_path / "x.lock", os.O_RDWR | os.O_CREAT)
    try:
        assert os.get_blocking(descriptor) and (tmp_path / "x.lock").is_file()
    finally:
        os.close(descriptor)


def test_a_link_is_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.write_text("keep", encoding="utf-8")
    (tmp_path / "x.part").symlink_to(target)
    with pytest.raises(PoetError, match="is a symbolic link"):
        open_own_file(tmp_path / "x.part", os.O_WRONLY | os.O_CREAT)
    assert target.read_text(encoding="utf-8") == "keep"


@pytest.mark.parametrize("flags", [os.O_WRONLY | os.O_CREAT, os.O_RDWR | os.O_CREAT])
def test_a_fifo_is_refused_without_waiting_for_a_reader(tmp_path: Path, flags: int) -> None:
    os.mkfifo(tmp_path / "x.part")
    with pytest.raises(PoetError, match="is not a regular file"):
        open_own_file(tmp_path / "x.part", flags)
