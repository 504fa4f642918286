"""Corpus reads are bounded and never hang: one 256 MiB budget for a whole corpus, regular files only.

Sizes are checked before anything is read (a folder's sum too), and unpacked gzip counts against the same
budget as it unpacks, so a small .gz bomb is refused with memory still small. A FIFO, a device, a socket or a
link to one is refused before it is read; a link loop is a sentence; folder links are not followed.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import signal
import socket
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any, BinaryIO

import pytest

import poet_tui.corpus as corpus_module
import poet_tui.corpus_reading as corpus_reading
from poet_tui.cli.main import main
from poet_tui.corpus import MAX_CORPUS_BYTES, load_documents, read_text_file
from poet_tui.corpus_registration import add_corpus
from poet_tui.corpus_registry import registry_file, resolve_corpus
from poet_tui.errors import PoetError
from tests.helpers import poet

POEM = "The moon upon the quiet water,\nthe wind that sings of summer days.\n"


@contextlib.contextmanager
def fails_instead_of_hanging(seconds: int = 60) -> Iterator[None]:
    """A read that blocks (a FIFO opened without O_NONBLOCK) fails the test instead of hanging the suite."""

    def give_up(signum: int, frame: FrameType | None) -> None:
        raise AssertionError(f"still blocked after {seconds} s: the read hangs")

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def one_error_line(capsys: pytest.CaptureFixture[str], *arguments: str) -> str:
    """Run `poet ARGUMENTS` in-process; it must exit 2 with exactly one `poet: ` line and no traceback."""
    with fails_instead_of_hanging():
        code = main(list(arguments))
    captured = capsys.readouterr()
    assert code == 2, captured
    assert "Traceback" not in captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("poet: "), captured.err
    return lines[0]


def gzip_bomb(path: Path, unpacked_mib: int) -> None:
    """A small .gz that unpacks to `unpacked_mib` MiB of text: one compressed MiB repeated as gzip members."""
    member = gzip.compress(b"la " * (2**20 // 3) + b"l\n", compresslevel=9)
    with path.open("wb") as handle:
        for _ in range(unpacked_mib):
            handle.write(member)


def record_opens(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every corpus file the reader opens, to show that a refusal came before any of them."""
    opened: list[Path] = []
    real_open = corpus_reading.open_regular_file

    def recording_open(path: Path, **options: Any) -> BinaryIO:
        opened.append(path)
        return real_open(path, **options)

    monkeypatch.setattr(corpus_reading, "open_regular_file", recording_open)
    return opened


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "poems.txt"
    os.mkfifo(path)
    return path


@pytest.fixture
def small_limit(monkeypatch: pytest.MonkeyPatch) -> int:
    """A 1000-byte corpus limit, so the budget can be tested with files of a few hundred bytes."""
    monkeypatch.setattr(corpus_reading, "MAX_CORPUS_BYTES", 1000)
    return 1000


# --- files that are not files -------------------------------------------------------------------------------


def test_a_fifo_is_refused_without_hanging_add_show_and_list(
    fifo: Path, capsys: pytest.CaptureFixture[str], tiny_corpus: Path
) -> None:
    for arguments in (("corpora", "add", str(fifo)), ("corpora", "show", str(fifo))):
        assert "not a regular file (a device, pipe or socket)" in one_error_line(capsys, *arguments)
    assert not registry_file().exists()
    add_corpus(tiny_corpus, "mine")  # a registered corpus later replaced by a FIFO: list and show still answer
    tiny_corpus.unlink()
    os.mkfifo(tiny_corpus)
    with fails_instead_of_hanging():
        assert main(["corpora", "list"]) == 0
    assert "mine" in capsys.readouterr().out
    assert "not a regular file" in one_error_line(capsys, "corpora", "show", "mine")


def test_training_on_a_fifo_is_refused_without_hanging(fifo: Path) -> None:
    result = poet("train", "--corpus", str(fifo), "--device", "cpu", "--jsonl")  # its timeout: a net against a hang
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "not a regular file" in result.stderr


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/null"])
def test_devices_and_links_to_them_are_refused(tmp_path: Path, target: str) -> None:
    if not os.path.exists(target):
        pytest.skip(f"{target} does not exist here")
    link = tmp_path / "poems.txt"
    link.symlink_to(target)
    for path in (Path(target), link):
        with fails_instead_of_hanging(), pytest.raises(PoetError, match="not a regular file"):
            load_documents(path)


def test_a_socket_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.txt"
    if len(str(path)) > 100:
        pytest.skip("the temp path is too long for a Unix socket")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(str(path))
        with fails_instead_of_hanging(), pytest.raises(PoetError, match="not a regular file"):
            load_documents(path)
    finally:
        server.close()


def test_a_fifo_inside_a_folder_is_refused_before_anything_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "poems"
    folder.mkdir()
    (folder / "a.txt").write_text(POEM, encoding="utf-8")
    os.mkfifo(folder / "b.txt")
    opened = record_opens(monkeypatch)
    with fails_instead_of_hanging(), pytest.raises(PoetError, match=r"b\.txt is not a regular file"):
        load_documents(folder)
    assert opened == []


def test_a_fifo_not_named_like_a_corpus_file_is_left_alone(tmp_path: Path) -> None:
    folder = tmp_path / "poems"
    folder.mkdir()
    (folder / "a.txt").write_text(POEM, encoding="utf-8")
    os.mkfifo(folder / "notes")
    with fails_instead_of_hanging():
        assert [document.text for document in load_documents(folder)] == [POEM.strip()]


# --- the 256 MiB budget ---------------------------------------------------------------------------------------


def test_a_file_over_the_limit_is_refused_before_reading(tmp_path: Path) -> None:
    """A sparse file: 257 MiB on paper, nothing on disk; read whole it would also be refused as binary."""
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(MAX_CORPUS_BYTES + 2**20)
    with pytest.raises(PoetError, match=r"is 257 MiB, more than the 256 MiB poet-tui reads into memory"):
        load_documents(path)


def test_a_folder_over_the_limit_is_refused_though_each_file_is_under_it(tmp_path: Path) -> None:
    folder = tmp_path / "poems"
    folder.mkdir()
    for name in ("a.txt", "b.txt"):
        with (folder / name).open("wb") as handle:
            handle.truncate(MAX_CORPUS_BYTES // 2 + 2**20)
    with pytest.raises(PoetError, match=r"poems holds 258 MiB of poems, more than the 256 MiB"):
        load_documents(folder)


def test_a_folder_sum_is_checked_before_any_file_is_opened(
    tmp_path: Path, small_limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "poems"
    folder.mkdir()
    for index in range(4):
        (folder / f"{index}.txt").write_text("x" * 300, encoding="utf-8")
    opened = record_opens(monkeypatch)
    with pytest.raises(PoetError, match="holds 1 KiB of poems, more than the 1000 bytes"):
        load_documents(folder)
    assert opened == []


def test_unpacked_gzip_counts_against_the_whole_folder(tmp_path: Path, small_limit: int) -> None:
    """Three .gz files, small on disk, together unpack past the limit: the running total refuses the third."""
    folder = tmp_path / "poems"
    folder.mkdir()
    for index in range(3):
        with gzip.open(folder / f"{index}.txt.gz", "wt", encoding="utf-8") as handle:
            handle.write("la " * 130)
    assert sum(file.stat().st_size for file in folder.iterdir()) < small_limit
    with pytest.raises(
        PoetError, match=r"poems holds more than .* once unpacked \(the limit was reached in .*2\.txt\.gz"
    ):
        load_documents(folder)
    (folder / "2.txt.gz").unlink()
    assert len(load_documents(folder)) == 2  # under the limit, the same files read


def test_a_gzip_bomb_is_refused_with_memory_far_below_what_it_unpacks_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """64 MiB unpacked from 64 KiB on disk, against a 1 MiB limit: refused, and memory never held the 64 MiB."""
    monkeypatch.setattr(corpus_reading, "MAX_CORPUS_BYTES", 2**20)
    bomb = tmp_path / "bomb.txt.gz"
    gzip_bomb(bomb, unpacked_mib=64)
    assert bomb.stat().st_size < 2**20
    tracemalloc.start()
    try:
        with pytest.raises(PoetError, match=r"bomb\.txt\.gz unpacks to more than the 1 MiB poet-tui reads into memory"):
            load_documents(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20


def test_a_gzip_bomb_through_the_cli_is_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(corpus_reading, "MAX_CORPUS_BYTES", 2**20)
    bomb = tmp_path / "bomb.txt.gz"
    gzip_bomb(bomb, unpacked_mib=8)
    assert "unpacks to more than the 1 MiB" in one_error_line(capsys, "corpora", "add", str(bomb))
    assert not registry_file().exists()


@pytest.mark.parametrize(
    "damage",
    [lambda data: data[: len(data) // 2], lambda data: data + b"trailing junk", lambda data: b"\x1f\x8b" + data[5:]],
    ids=["truncated", "trailing-junk", "bad-header"],
)
def test_a_damaged_gzip_file_is_one_sentence(tmp_path: Path, damage: object) -> None:
    path = tmp_path / "poems.txt.gz"
    path.write_bytes(damage(gzip.compress(POEM.encode() * 50)))  # type: ignore[operator]
    with pytest.raises(PoetError, match="is not a whole gzip file"):
        load_documents(path)


def test_read_text_file_keeps_working_for_a_single_file_without_a_budget(tmp_path: Path) -> None:
    """The bench reads a text verbatim through it; the budget is optional there."""
    path = tmp_path / "text.txt.gz"
    path.write_bytes(gzip.compress(b"line one\r\nline two\n"))
    assert read_text_file(path) == "line one\nline two\n"


# --- links and odd folders ------------------------------------------------------------------------------------


def test_a_link_to_itself_is_one_sentence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    loop = tmp_path / "loop.txt"
    loop.symlink_to(loop)
    assert "is a symbolic link loop" in one_error_line(capsys, "corpora", "add", str(loop))
    assert "is a symbolic link loop" in one_error_line(capsys, "corpora", "show", str(loop))
    with pytest.raises(PoetError, match="is a symbolic link loop"):
        resolve_corpus(str(loop))


def test_a_folder_holding_a_link_loop_is_one_sentence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "poems"
    folder.mkdir()
    (folder / "a.txt").write_text(POEM, encoding="utf-8")
    (folder / "b.txt").symlink_to(folder / "c.txt")
    (folder / "c.txt").symlink_to(folder / "b.txt")
    assert "is a symbolic link loop" in one_error_line(capsys, "corpora", "add", str(folder))


def test_a_dangling_link_in_a_folder_is_one_sentence(tmp_path: Path) -> None:
    folder = tmp_path / "poems"
    folder.mkdir()
    (folder / "a.txt").symlink_to(tmp_path / "gone.txt")
    with pytest.raises(PoetError, match="is a link to a file that does not exist"):
        load_documents(folder)


def test_folder_links_are_not_followed_so_loops_and_escapes_end(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "elsewhere.txt").write_text("not in the tree\n", encoding="utf-8")
    folder = tmp_path / "poems"
    (folder / "deeper").mkdir(parents=True)
    (folder / "deeper" / "a.txt").write_text(POEM, encoding="utf-8")
    (folder / "deeper" / "back-up").symlink_to(folder)  # a loop through a parent
    (folder / "self").symlink_to(".")
    (folder / "root.txt").symlink_to("/")  # a folder link that even looks like a corpus file
    (folder / "out").symlink_to(outside)
    (folder / "linked-poem.txt").symlink_to(outside / "elsewhere.txt")  # a link to a file is the user's own
    documents = load_documents(folder)
    assert sorted(document.text for document in documents) == sorted([POEM.strip(), "not in the tree"])


def test_hidden_folders_and_files_are_not_read(tmp_path: Path) -> None:
    folder = tmp_path / "poems"
    (folder / ".git").mkdir(parents=True)
    (folder / ".git" / "index.json").write_bytes(b"\x00\x01binary")
    (folder / ".#a.txt").symlink_to("root@host.1234:1700000000")  # an editor's lock link
    (folder / "a.txt").write_text(POEM, encoding="utf-8")
    assert [document.text for document in load_documents(folder)] == [POEM.strip()]


def test_a_folder_named_like_a_text_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "x.txt"
    folder.mkdir()
    assert "has no .txt, .json or .jsonl files" in one_error_line(capsys, "corpora", "add", str(folder))
    (folder / "inner.txt").mkdir()  # a folder inside, also named like a file
    (folder / "inner.txt" / "poem.txt").write_text(POEM, encoding="utf-8")
    assert [document.text for document in load_documents(folder)] == [POEM.strip()]


def test_an_unreadable_file_is_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "secret.txt"
    path.write_text(POEM, encoding="utf-8")
    path.chmod(0)
    try:
        with path.open("rb"):
            pass
    except PermissionError:
        pass
    else:  # root reads anyway: refuse the open the way the kernel would for anyone else
        real_open = os.open

        def denied(file: object, flags: int, *args: object, **kwargs: object) -> int:
            if Path(str(file)) == path:
                raise PermissionError(13, "Permission denied", str(file))
            return real_open(file, flags, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(os, "open", denied)
    try:
        line = one_error_line(capsys, "corpora", "add", str(path))
    finally:
        path.chmod(0o644)
    assert "secret.txt could not be opened (Permission denied); check its permissions." in line


def test_an_unlistable_folder_is_one_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "poems"
    (folder / "locked").mkdir(parents=True)
    (folder / "a.txt").write_text(POEM, encoding="utf-8")
    real_scandir = os.scandir

    def denied(path: str) -> Any:
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(corpus_module.os, "scandir", denied)
    with pytest.raises(PoetError, match=r"locked could not be listed \(Permission denied\)"):
        load_documents(folder)
