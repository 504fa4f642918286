"""Run files are never followed through links, and a FIFO or device in a run never hangs or floods a reader."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from poet_tui.cli.main import main
from poet_tui.errors import PoetError
from poet_tui.events import EventLog, read_events
from poet_tui.train import resume, train
from tests.helpers import poet, tiny_config


def replace_with_link(path: Path, target: Path) -> None:
    path.unlink()
    path.symlink_to(target)


@pytest.mark.parametrize("name", ["metrics.jsonl", "run.toml", "tokenizer.json", "checkpoints/latest.json"])
def test_resume_refuses_a_run_with_a_link_and_writes_nothing_through_it(
    trained_run, tmp_path: Path, name: str, capsys
) -> None:
    outside = tmp_path / "outside-file"
    outside.write_bytes((trained_run.directory / name).read_bytes())
    before = outside.read_bytes()
    replace_with_link(trained_run.directory / name, outside)
    assert main(["train", "--resume", trained_run.id, "--max-steps", "8", "--jsonl"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("poet: ") and error.count("\n") == 1
    assert "link" in error or "no run named" in error  # a run.toml link makes it not a run at all
    assert outside.read_bytes() == before


def test_the_event_log_never_appends_through_a_link(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("mine\n")
    log = tmp_path / "metrics.jsonl"
    log.symlink_to(outside)
    with pytest.raises(PoetError, match="symbolic link"):
        EventLog(log)
    assert outside.read_text() == "mine\n"


def test_generate_and_show_refuse_a_run_with_a_link(trained_run, tmp_path: Path, capsys) -> None:
    outside = tmp_path / "weights"
    outside.write_bytes((trained_run.checkpoints_dir / "best.safetensors").read_bytes())
    replace_with_link(trained_run.checkpoints_dir / "best.safetensors", outside)
    for argv in (["generate", trained_run.id, "--length", "5"], ["checkpoints", "show", trained_run.id]):
        assert main(argv) == 2
        assert "symbolic link" in capsys.readouterr().err


def test_checkpoints_list_shows_a_linked_run_as_damaged(trained_run, tiny_corpus: Path, tmp_path: Path, capsys) -> None:
    healthy, _ = train(tiny_config(tiny_corpus, max_steps=2, eval_every_steps=2))
    outside = tmp_path / "elsewhere.jsonl"
    outside.write_text("")
    replace_with_link(trained_run.metrics_path, outside)
    assert main(["checkpoints", "list"]) == 0
    listing = capsys.readouterr().out
    assert "damaged" in listing and healthy.id in listing


SPECIAL_FILES = ["fifo", "dev-zero"]


@pytest.mark.parametrize("kind", SPECIAL_FILES)
@pytest.mark.parametrize("name", ["metrics.jsonl", "checkpoints/best.json", "tokenizer.json"])
def test_a_fifo_or_device_in_a_run_never_hangs_a_reader(trained_run, kind: str, name: str) -> None:
    """Each command finishes (the timeout is only a net against a hang) with a sentence, not a traceback."""
    path = trained_run.directory / name
    path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    for argv in (["checkpoints", "list"], ["checkpoints", "show", trained_run.id], ["generate", trained_run.id]):
        result = poet(*argv, timeout=120)
        assert result.returncode in (0, 2), (argv, result.stderr)
        assert "Traceback" not in result.stderr


def test_reading_events_skips_a_line_too_long_to_be_ours(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    path.write_text(
        '{"event":"step","step":1}\n'
        + '{"event":"sample","step":2,"text":"'
        + "x" * (5 * 2**20)
        + '"}\n'
        + '{"event":"step","step":3}\n'
    )
    assert [event["step"] for event in read_events(path)] == [1, 3]


def test_resume_through_a_linked_checkpoints_folder_is_refused(trained_run, tmp_path: Path) -> None:
    elsewhere = tmp_path / "checkpoints-elsewhere"
    trained_run.checkpoints_dir.rename(elsewhere)
    trained_run.checkpoints_dir.symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(PoetError, match="symbolic link"):
        resume(trained_run, budget_overrides={"max_steps": 8})
