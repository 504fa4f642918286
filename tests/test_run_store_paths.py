"""Nothing outside the run store is ever read as a run, trained, or deleted; deleting is two-phase."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from poet_tui.cli.main import main
from poet_tui.errors import PoetError
from poet_tui.runs import TRASH_DIR, RunStore
from poet_tui.train import train
from tests.helpers import tiny_config


def fake_run_folder(parent: Path, name: str = "project") -> Path:
    """A folder that looks like a run from the outside (it holds a run.toml) but is not in the store."""
    folder = parent / name
    (folder / "checkpoints").mkdir(parents=True)
    (folder / "run.toml").write_text('corpus = "x"\n')
    (folder / "precious.txt").write_text("do not delete")
    return folder


def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 2
    error = capsys.readouterr().err
    assert error.startswith("poet: ") and error.count("\n") == 1 and "Traceback" not in error
    return error


def test_a_folder_outside_the_store_is_never_deleted(tmp_path: Path, trained_run, capsys, monkeypatch) -> None:
    outside = fake_run_folder(tmp_path)
    error = refused(capsys, "checkpoints", "rm", str(outside), "--yes")
    assert "not a run in the run store" in error
    monkeypatch.chdir(outside / "checkpoints")
    refused(capsys, "checkpoints", "rm", "..", "--yes")
    monkeypatch.chdir(outside)
    refused(capsys, "checkpoints", "rm", ".", "--yes")
    refused(capsys, "checkpoints", "rm", "../project", "--yes")
    assert (outside / "precious.txt").read_text() == "do not delete"
    assert trained_run.directory.is_dir()


def test_an_empty_or_ambiguous_name_is_refused_with_the_candidates(tiny_corpus: Path, capsys) -> None:
    first, _ = train(tiny_config(tiny_corpus, max_steps=2, eval_every_steps=2))
    second, _ = train(tiny_config(tiny_corpus, max_steps=2, eval_every_steps=2))
    for name in ("", "   "):
        error = refused(capsys, "checkpoints", "rm", name, "--yes")
        assert first.id in error and second.id in error
    shared_start = "2"  # every run name starts with its year
    error = refused(capsys, "checkpoints", "rm", shared_start, "--yes")
    assert "matches 2 runs" in error and first.id in error and second.id in error
    assert first.directory.is_dir() and second.directory.is_dir()


def test_a_link_in_the_store_pointing_outside_is_not_a_run(tmp_path: Path, trained_run, capsys) -> None:
    outside = fake_run_folder(tmp_path)
    link = trained_run.directory.parent / "20990101-000000-linked-char"
    link.symlink_to(outside, target_is_directory=True)
    assert link.name not in [run.id for run in RunStore().list()]
    refused(capsys, "checkpoints", "rm", link.name, "--yes")
    refused(capsys, "checkpoints", "rm", str(link), "--yes")
    refused(capsys, "generate", str(link))
    assert (outside / "precious.txt").exists()


def test_a_checkpoint_file_outside_the_store_is_refused(tmp_path: Path, trained_run, capsys) -> None:
    copy = tmp_path / "copied-run"
    shutil.copytree(trained_run.directory, copy)
    for command in (["generate"], ["checkpoints", "rm"], ["checkpoints", "show"]):
        extra = ["--yes"] if command[-1] == "rm" else []
        error = refused(capsys, *command, str(copy / "checkpoints" / "best.safetensors"), *extra)
        assert "not a checkpoint of a run in the run store" in error
    assert (copy / "checkpoints" / "best.safetensors").exists()


def test_deleting_a_run_moves_it_to_the_trash_first(trained_run) -> None:
    """A delete killed half-way leaves no listed run without its config: the run has already left the store
    whole (one rename), and the next use of the store finishes the job."""
    store = RunStore()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(RunStore, "empty_trash", lambda self: None)  # as if killed right after the rename
        store.remove(trained_run)
    assert store.list() == []
    assert not trained_run.directory.exists()
    leftover = list((store.root / TRASH_DIR).iterdir())
    assert len(leftover) == 1 and (leftover[0] / "run.toml").exists()
    RunStore().list()  # a read does not delete anything
    assert len(list((store.root / TRASH_DIR).iterdir())) == 1
    RunStore().empty_trash()
    assert list((store.root / TRASH_DIR).iterdir()) == []


def test_a_rename_that_fails_deletes_nothing(trained_run) -> None:
    def refuse_rename(source: object, target: object) -> None:
        raise OSError(30, "Read-only file system")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "replace", refuse_rename)
        with pytest.raises(PoetError, match="nothing was deleted"):
            RunStore().remove(trained_run)
    assert [run.id for run in RunStore().list()] == [trained_run.id]
    assert trained_run.checkpoint("best") is not None


def test_a_whole_run_is_deleted_by_name(trained_run, capsys) -> None:
    assert main(["checkpoints", "rm", trained_run.id, "--yes"]) == 0
    assert not trained_run.directory.exists()
    assert RunStore().list() == []


NAMES = st.one_of(
    st.sampled_from(["", ".", "..", "~", "/", "../..", "./", "runs", "../runs", "*", "2", "20", "OUTSIDE"]),
    st.lists(st.sampled_from([".", "/", "~", "-", "_", "a", "0", "..", "/..", "OUTSIDE"]), max_size=6).map("".join),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=NAMES)
def test_no_name_reaches_outside_the_store(name: str, tmp_path: Path, trained_run, monkeypatch) -> None:
    """Whatever name is given, from whichever folder, `rm` deletes a store run or nothing."""
    outside = tmp_path / "outside"
    if not outside.exists():
        fake_run_folder(tmp_path, "outside")
    monkeypatch.chdir(outside / "checkpoints")
    name = name.replace("OUTSIDE", str(outside))
    store = RunStore()
    try:
        run = store.get(name)
    except PoetError:
        run = None
    if run is not None:
        assert run.directory.parent.resolve() == store.root.resolve()
    assert (outside / "precious.txt").exists() and (outside / "run.toml").exists()


def test_a_run_folder_a_kill_left_without_its_config_is_swept_by_the_next_run(tiny_corpus: Path) -> None:
    runs = RunStore().root
    runs.mkdir(parents=True)
    abandoned = runs / "20200101-000000-old-char"
    (abandoned / "checkpoints").mkdir(parents=True)
    os.utime(abandoned, (0, 0))
    being_made = runs / "20200101-000001-new-char"  # seconds old: another process may be creating it now
    being_made.mkdir()
    not_a_run = runs / "my-notes"
    not_a_run.mkdir()
    os.utime(not_a_run, (0, 0))
    train(tiny_config(tiny_corpus, max_steps=2, eval_every_steps=2))
    assert not abandoned.exists()
    assert being_made.exists() and not_a_run.exists()
