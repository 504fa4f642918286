"""A full disk, a read-only data home or a file size limit during `corpora add`/`rm`: one sentence, old registry intact.

The registry is written to a temp file and renamed over the old one; a failure anywhere leaves the previous file
byte for byte and no temp file behind.
"""

from __future__ import annotations

import errno
import functools
import os
import tempfile
from pathlib import Path

import pytest

from poet_tui.cli.main import main
from poet_tui.corpus_registration import add_corpus
from poet_tui.corpus_registry import registry_file, registry_lock_file, user_corpora
from tests.forked import limit_file_size
from tests.helpers import poet


def error_line(capsys: pytest.CaptureFixture[str], *arguments: str) -> str:
    code = main(list(arguments))
    captured = capsys.readouterr()
    assert code == 2, captured
    assert "Traceback" not in captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("poet: "), captured.err
    return lines[0]


def leftovers() -> list[str]:
    """Anything in the corpora folder besides the registry and its lock: a temp file that lingered."""
    return sorted(name for name in os.listdir(registry_file().parent) if name not in {"registry.toml", "registry.lock"})


@pytest.fixture
def registered(tiny_corpus: Path) -> bytes:
    """One corpus already registered: what must survive a failed write."""
    add_corpus(tiny_corpus, "first")
    return registry_file().read_bytes()


def raise_os_error(code: int):  # type: ignore[no-untyped-def]
    def fail(*args: object, **kwargs: object) -> None:
        raise OSError(code, os.strerror(code))

    return fail


@pytest.mark.parametrize(
    ("where", "code", "advice"),
    [
        ("replace", errno.ENOSPC, "free some space and try again"),
        ("fsync", errno.ENOSPC, "free some space and try again"),
        ("fsync", errno.EDQUOT, "free some space and try again"),
        ("replace", errno.EROFS, "make {folder} writable and try again"),
        ("mkstemp", errno.EACCES, "make {folder} writable and try again"),
        ("fsync", errno.EIO, "check {folder} and try again"),
    ],
)
@pytest.mark.parametrize("action", ["add", "rm"])
def test_a_failed_write_is_one_sentence_and_leaves_the_registry(
    registered: bytes,
    tiny_corpus: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    where: str,
    code: int,
    advice: str,
    action: str,
) -> None:
    module, name = {"replace": (os, "replace"), "fsync": (os, "fsync"), "mkstemp": (tempfile, "mkstemp")}[where]
    with monkeypatch.context() as failing:
        failing.setattr(module, name, raise_os_error(code))
        if action == "add":
            line = error_line(capsys, "corpora", "add", str(tiny_corpus), "--name", "second")
        else:
            line = error_line(capsys, "corpora", "rm", "first")
    folder = registry_file().parent
    assert line == (
        f"poet: could not write {registry_file()} ({os.strerror(code)}); {advice.format(folder=folder)}. "
        "The registry is unchanged."
    )
    assert registry_file().read_bytes() == registered
    assert leftovers() == []
    assert [entry.name for entry in user_corpora()] == ["first"]


def writes_are_refused_by_permissions(folder: Path) -> bool:
    """False when running as root (or on a filesystem ignoring modes): then chmod alone proves nothing."""
    probe = folder / "probe"
    try:
        probe.write_bytes(b"")
    except PermissionError:
        return True
    probe.unlink()
    return False


def test_a_read_only_data_home_is_one_sentence(
    registered: bytes, tiny_corpus: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = registry_file().parent
    folder.chmod(0o555)
    try:
        if not writes_are_refused_by_permissions(folder):
            # As root the mode is ignored; make the filesystem answer as a read-only mount does.
            monkeypatch.setattr(tempfile, "mkstemp", raise_os_error(errno.EROFS))
        line = error_line(capsys, "corpora", "add", str(tiny_corpus), "--name", "second")
    finally:
        folder.chmod(0o755)
    assert line.startswith(f"poet: could not write {registry_file()} (")
    assert line.endswith(f"); make {folder} writable and try again. The registry is unchanged.")
    assert registry_file().read_bytes() == registered and leftovers() == []


def test_a_data_home_that_cannot_hold_the_lock_file_is_one_sentence(
    tiny_corpus: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = os.open

    def read_only(path: object, flags: int, *args: object, **kwargs: object) -> int:
        if Path(str(path)) == registry_lock_file():
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        return real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", read_only)
    line = error_line(capsys, "corpora", "add", str(tiny_corpus))
    assert line == (
        f"poet: could not write {registry_lock_file()} (Read-only file system); "
        f"make {registry_lock_file().parent} writable and try again. The registry is unchanged."
    )
    assert not registry_file().exists()


def test_a_link_planted_as_the_lock_file_is_refused(
    tmp_path: Path, tiny_corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "outside.lock"
    registry_lock_file().parent.mkdir(parents=True)
    registry_lock_file().symlink_to(outside)
    assert "registry.lock is a symbolic link; remove it" in error_line(capsys, "corpora", "add", str(tiny_corpus))
    assert not outside.exists()  # nothing outside POET_HOME was created


def test_a_real_write_that_fails_half_way_leaves_the_old_registry(registered: bytes, tiny_corpus: Path) -> None:
    """No mocks: a child process whose file size limit stops the new registry part-way through writing it."""
    limit = functools.partial(limit_file_size, len(registered) + 10)
    result = poet("corpora", "add", str(tiny_corpus), "--name", "second", setup=limit)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"poet: could not write {registry_file()} (File too large); raise the file size limit (ulimit -f) and try "
        "again. The registry is unchanged."
    ]
    assert registry_file().read_bytes() == registered
    assert leftovers() == []


def test_a_temp_file_left_by_a_killed_write_is_cleared_by_the_next_one(registered: bytes, tiny_corpus: Path) -> None:
    stale = registry_file().parent / ".registry.toml.k1ll3d.tmp"
    stale.write_text("half a regis", encoding="utf-8")
    add_corpus(tiny_corpus, "second")
    assert leftovers() == []
    assert [entry.name for entry in user_corpora()] == ["first", "second"]
