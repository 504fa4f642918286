"""The index cache: built once and reused, rebuilt when the text changes or a file of it is damaged (never
unpickled, never a crash), kept inside $POET_HOME, and bounded in number."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import numpy as np
import pytest

from poet_tui.corpus import Corpus, Document
from poet_tui.errors import PoetError
from poet_tui.overlap import cache, indexes_dir, load_or_build, load_or_build_for_corpus, whole_documents
from poet_tui.overlap.training_text import load_or_build_for_run
from poet_tui.runs import Run

POEMS = [Document("Shall I compare thee to a summer's day?\nThou art more lovely", "Sonnet 18", "Shakespeare")]


def announced_builds(texts: list, messages: list[str] | None = None) -> tuple[object, int]:
    said: list[str] = [] if messages is None else messages
    index = load_or_build(texts, said.append)
    return index, sum(message.startswith("indexing") for message in said)


def only_index_folder() -> Path:
    (folder,) = [path for path in indexes_dir().iterdir() if path.is_dir()]
    return folder


def copied_length(index: object) -> int:
    return max(match.length for match in index.matcher().feed("compare thee to a summer's"))  # type: ignore[attr-defined]


def test_an_index_is_built_once_and_then_read_back(poet_home: Path) -> None:
    texts = whole_documents(POEMS)
    first, builds = announced_builds(texts)
    assert builds == 1 and only_index_folder().parent == poet_home / "indexes"
    second, builds = announced_builds(texts)
    assert builds == 0
    assert copied_length(second) == copied_length(first) == len("compare thee to a summer's")


def test_a_changed_corpus_gets_a_new_index(poet_home: Path) -> None:
    messages: list[str] = []
    load_or_build_for_corpus(Corpus("sonnets", POEMS), messages.append)
    changed = Corpus("sonnets", [Document(POEMS[0].text.replace("summer's", "winter's"), "Sonnet 18")])
    index = load_or_build_for_corpus(changed, messages.append)
    assert [message.startswith("indexing corpus sonnets") for message in messages] == [True, True]
    assert copied_length(index) == len("compare thee to a ")


def forge_array(folder: Path, name: str, contents: bytes) -> None:
    """Replace an array file and record its hash, as a forger who knows the format would."""
    import hashlib

    (folder / f"{name}.npy").write_bytes(contents)
    metadata = json.loads((folder / "index.json").read_text())
    metadata["files"][name]["blake2b"] = hashlib.blake2b(contents).hexdigest()
    (folder / "index.json").write_text(json.dumps(metadata))


def npy_bytes(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


class Trap:
    """Unpickling this creates a file: proof that something unpickled the cache."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (open, (str(self.marker), "w"))


def damage(folder: Path, how: str, marker: Path) -> None:
    suffix_array = folder / "suffix_array.npy"
    if how == "truncated":
        suffix_array.write_bytes(suffix_array.read_bytes()[:-7])
    elif how == "flipped byte":
        data = bytearray(suffix_array.read_bytes())
        data[-3] ^= 0xFF
        suffix_array.write_bytes(bytes(data))
    elif how == "missing file":
        suffix_array.unlink()
    elif how == "metadata not json":
        (folder / "index.json").write_text("{not json")
    elif how == "metadata of another shape":
        metadata = json.loads((folder / "index.json").read_text())
        metadata["characters"] = "many"
        (folder / "index.json").write_text(json.dumps(metadata))
    elif how == "forged pickle":
        trap = np.empty(1, dtype=object)
        trap[0] = Trap(marker)
        forge_array(folder, "line_starts", npy_bytes(trap, allow_pickle=True))
    elif how == "forged out of bounds":
        forged = np.full(np.load(suffix_array).shape, 10**9, dtype="<i4")
        forge_array(folder, "suffix_array", npy_bytes(forged))
    elif how == "link to a file elsewhere":
        suffix_array.unlink()
        suffix_array.symlink_to(marker.parent / "elsewhere.npy")
    else:
        raise AssertionError(how)


@pytest.mark.parametrize(
    "how",
    [
        "truncated",
        "flipped byte",
        "missing file",
        "metadata not json",
        "metadata of another shape",
        "forged pickle",
        "forged out of bounds",
        "link to a file elsewhere",
    ],
)
def test_a_damaged_cache_is_rebuilt_never_trusted(how: str, tmp_path: Path) -> None:
    texts = whole_documents(POEMS)
    announced_builds(texts)
    folder = only_index_folder()
    marker = tmp_path / "unpickled"
    (tmp_path / "elsewhere.npy").write_bytes(npy_bytes(np.zeros(3, dtype="<i4")))
    damage(folder, how, marker)
    index, builds = announced_builds(texts)
    assert builds == 1 and not marker.exists()
    assert copied_length(index) == len("compare thee to a summer's")
    assert announced_builds(texts)[1] == 0  # the rebuilt files are good again
    assert (tmp_path / "elsewhere.npy").read_bytes() == npy_bytes(np.zeros(3, dtype="<i4"))


def test_a_link_planted_as_the_index_folder_is_never_written_through(tmp_path: Path) -> None:
    texts = whole_documents(POEMS)
    outside = tmp_path / "outside"
    outside.mkdir()
    indexes_dir().mkdir(parents=True)
    (indexes_dir() / cache.texts_key(texts)).symlink_to(outside)
    announced_builds(texts)
    assert list(outside.iterdir()) == []
    assert not only_index_folder().is_symlink()


def test_an_unwritable_cache_still_gives_the_index(poet_home: Path) -> None:
    poet_home.mkdir(parents=True)
    (poet_home / "indexes").write_text("a file where the cache folder should be")
    messages: list[str] = []
    index, builds = announced_builds(whole_documents(POEMS), messages)
    assert builds == 1 and any("could not cache the index" in message for message in messages)
    assert copied_length(index) == len("compare thee to a summer's")


def test_only_the_most_recently_used_indexes_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "KEEP_INDEXES", 2)
    folders = []
    for number in range(3):
        load_or_build(whole_documents([Document(f"poem number {number}")]))
        folders.append(max(indexes_dir().iterdir(), key=os.path.getmtime))
        os.utime(folders[-1], (number, number))  # make the order plain to the pruning
    load_or_build(whole_documents([Document("poem number 0")]))  # used again: now the most recent
    kept = {path.name for path in indexes_dir().iterdir()}
    assert folders[0].name in kept and folders[2].name in kept and folders[1].name not in kept


def test_a_run_is_indexed_over_its_training_split_and_refused_once_its_corpus_changes(
    trained_run: Run, tmp_path: Path
) -> None:
    from poet_tui.config import save_run_config
    from poet_tui.overlap import run_training_texts

    config = trained_run.config()  # the session's corpus is shared: this test changes a copy of its own
    corpus = tmp_path / "tiny-poems.txt"
    corpus.write_bytes(Path(config.corpus).read_bytes())
    config.corpus = str(corpus)
    save_run_config(config, trained_run.config_path)
    texts = run_training_texts(trained_run)
    assert 0 < len(texts) < 40  # the tiny corpus's 40 poems, less the validation ones
    index = load_or_build_for_run(trained_run)
    line = texts[0].text.split("\n")[0]
    (match,) = index.matcher().feed(line)[-1:]
    assert match.length == len(line) and match.source is not None
    corpus.write_text("A different corpus now.\n\n\n" * 20, encoding="utf-8")
    with pytest.raises(PoetError, match="has changed since run"):
        load_or_build_for_run(trained_run)
