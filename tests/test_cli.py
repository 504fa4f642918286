"""`poet` as a user runs it: exit codes, one-line errors without tracebacks, streaming output."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from poet_tui.runs import Run
from tests.helpers import poet, read_until_first_step, spawn_training

TINY_FLAGS = [
    "--tokenizer", "char", "--embedding", "16", "--hidden", "24", "--layers", "1", "--batch-size", "4",
    "--bptt", "16", "--eval-every", "5", "--log-every", "1", "--sample-length", "10", "--device", "cpu",
]  # fmt: skip


def assert_one_line_error(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("poet: "), result.stderr
    assert fragment in lines[0]


def test_generate_streams_text_and_the_same_seed_repeats_it(trained_run: Run) -> None:
    result = poet(
        "generate", trained_run.id, "--prompt", "The moon", "--length", "30", "--seed", "4", "--no-stop-at-end"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("The moon") and len(result.stdout) > len("The moon") + 20
    again = poet(
        "generate", trained_run.id, "--prompt", "The moon", "--length", "30", "--seed", "4", "--no-stop-at-end"
    )
    assert again.stdout == result.stdout


def test_generate_prints_tokens_as_they_arrive(trained_run: Run) -> None:
    """The first piece arrives while the process still has far more to write: 150,000 tokens cannot fit in a
    pipe (64 KiB), so the child is still running, blocked on it, when the test has read only 4 bytes."""
    process = subprocess.Popen(
        [sys.executable, "-m", "poet_tui", "generate", trained_run.id, "--prompt", "The", "--length", "150000",
         "--no-stop-at-end", "--seed", "1"],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        first = process.stdout.read(4)
        arrived_while_running = process.poll() is None
        more = process.stdout.read(1000)
    finally:
        process.kill()
        process.wait()
    assert first.startswith(b"The") and arrived_while_running and len(more) == 1000


def test_repl_reads_prompts_and_commands(trained_run: Run) -> None:
    result = poet(
        "generate", trained_run.id, "-i", "--no-stop-at-end", input_text=":temp 0.5\n:len 5\nThe sun\n:quit\n"
    )
    assert result.returncode == 0, result.stderr
    assert "temperature 0.50" in result.stdout and "length 5" in result.stdout
    assert "The sun" in result.stdout and "[5 tokens" in result.stdout


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        (["train", "--corpus", "no-such-corpus"], "no corpus named"),
        (["train"], "--corpus"),
        (["train", "--corpus", "shakespeare-sonnets", "--batch-size", "0"], "--batch-size"),
        (["train", "--corpus", "shakespeare-sonnets", "--dropout", "1.5"], "--dropout"),
        (["train", "--corpus", "shakespeare-sonnets", "--tokenizer", "bpe"], "invalid choice"),
        (["train", "--corpus", "shakespeare-sonnets", "--tokenizer", "spm", "--vocab-size", "50"], "at least"),
        (["train", "--resume", "no-such-run"], "no run named"),
        (["generate", "no-such-run"], "no run named"),
        (["corpora", "show", "nothing-here"], "no corpus named"),
        (["checkpoints", "rm", "no-such-run", "--yes"], "no run named"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_code_2(arguments: list[str], fragment: str) -> None:
    assert_one_line_error(poet(*arguments), fragment)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [(b"", "holds no text"), (b"\x00\x01\x02binary", "binary"), (b"\xff\xfe broken", "not valid UTF-8")],
    ids=["empty", "binary", "non-utf8"],
)
def test_bad_corpus_files_with_and_without_jsonl(tmp_path: Path, content: bytes, fragment: str) -> None:
    path = tmp_path / "corpus.txt"
    path.write_bytes(content)
    assert_one_line_error(poet("train", "--corpus", str(path), *TINY_FLAGS), fragment)
    jsonl = poet("train", "--corpus", str(path), *TINY_FLAGS, "--jsonl")
    assert jsonl.returncode == 2 and json.loads(jsonl.stdout.strip().splitlines()[-1])["event"] == "error"
    assert not (Path(os.environ["POET_HOME"]) / "runs").exists() or not any(
        (Path(os.environ["POET_HOME"]) / "runs").iterdir()
    )


def test_corpus_smaller_than_one_batch(tmp_path: Path) -> None:
    path = tmp_path / "tiny.txt"
    path.write_text("Just one line.\n")
    assert_one_line_error(poet("train", "--corpus", str(path), *TINY_FLAGS), "fewer than one batch")


def test_prompt_errors(trained_run: Run) -> None:
    assert_one_line_error(poet("generate", trained_run.id, "--prompt", "   "), "--prompt is empty")
    assert_one_line_error(poet("generate", trained_run.id, "--prompt", "The ☃"), "never saw")


def test_missing_and_mismatched_checkpoints(trained_run: Run, poet_home: Path) -> None:
    checkpoints = trained_run.checkpoints_dir
    (checkpoints / "best.safetensors").write_bytes(b"\x00" * 10)
    assert_one_line_error(poet("generate", str(checkpoints / "best.safetensors")), "truncated or damaged")
    assert_one_line_error(poet("generate", str(poet_home / "nowhere" / "x.safetensors")), "does not exist")
    latest_before = (checkpoints / "latest.safetensors").read_bytes()
    assert poet("generate", str(checkpoints / "latest.safetensors"), "--length", "3").returncode == 0
    assert (checkpoints / "latest.safetensors").read_bytes() == latest_before  # nothing saved was touched


def test_corpora_and_checkpoints_commands(trained_run: Run, tiny_corpus: Path) -> None:
    listing = poet("corpora", "list")
    assert listing.returncode == 0 and "shakespeare-sonnets" in listing.stdout and "tang300" in listing.stdout
    added = poet("corpora", "add", str(tiny_corpus), "--name", "tiny")
    assert added.returncode == 0 and "40 poems" in added.stdout
    shown = poet("corpora", "show", "tiny")
    assert "poems" in shown.stdout and "40" in shown.stdout and "language (guess)" in shown.stdout
    runs = poet("checkpoints", "list")
    assert trained_run.id in runs.stdout and "best" in runs.stdout
    assert trained_run.id in poet("checkpoints", "show", trained_run.id).stdout
    refused = poet("checkpoints", "rm", trained_run.id, input_text="")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert poet("checkpoints", "rm", trained_run.id, "--yes").returncode == 0
    assert trained_run.id not in poet("checkpoints", "list").stdout


def test_ctrl_c_saves_a_checkpoint_and_exits_130(tiny_corpus: Path, poet_home: Path) -> None:
    process = spawn_training("--corpus", str(tiny_corpus), *TINY_FLAGS, "--max-steps", "100000")
    read_until_first_step(process)
    assert process.stdout is not None
    process.send_signal(signal.SIGINT)
    remaining = [json.loads(line) for line in process.stdout]
    assert process.wait(timeout=60) == 130
    assert remaining[-1]["event"] == "done" and remaining[-1]["reason"] == "stopped"
    checkpoint = next(event for event in remaining if event["event"] == "checkpoint")
    assert Path(checkpoint["path"]).exists()
    run = next(iter((poet_home / "runs").iterdir())).name
    resumed = poet("train", "--resume", run, "--max-steps", str(remaining[-1]["step"] + 3), "--jsonl")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout.splitlines()[-1])["step"] == remaining[-1]["step"] + 3


def test_rich_display_mode_relays_errors_and_finishes(tiny_corpus: Path) -> None:
    result = poet("train", "--corpus", str(tiny_corpus), *TINY_FLAGS, "--max-steps", "6")
    assert result.returncode == 0, result.stderr
    assert "best val loss" in result.stderr


def test_batch_size_auto_picks_a_size_and_records_it(tiny_corpus: Path, poet_home: Path) -> None:
    flags = [flag for flag in TINY_FLAGS if flag not in ("--batch-size", "4")]
    result = poet("train", "--corpus", str(tiny_corpus), *flags, "--batch-size", "auto", "--max-steps", "2", "--jsonl")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    kinds = [event["event"] for event in events if event["event"] != "notice"]  # the notice may come first
    assert kinds[0] == "start" and events[-1] == {**events[-1], "event": "done", "reason": "max_steps"}
    notice = next(event for event in events if event["event"] == "notice")
    assert notice["kind"] == "batch_size" and notice["batch_size"] >= 1 and "cpu-default" in notice["message"]
    run = next(iter((poet_home / "runs").iterdir()))
    assert f"batch_size = {notice['batch_size']}" in (run / "run.toml").read_text()
    assert_one_line_error(poet("train", "--corpus", str(tiny_corpus), "--batch-size", "many"), "'auto'")


def test_version_names_the_package_torch_and_the_device_auto_would_use(poet_home: Path) -> None:
    import platform
    from importlib import metadata

    import torch

    from poet_tui.device import resolve_device

    result = poet("--version")
    assert result.returncode == 0, result.stderr
    first, second, third = result.stdout.splitlines()[:3]
    assert first == f"poet-tui {metadata.version('poet-tui')} (Python {platform.python_version()})"
    assert second.startswith(f"torch {torch.__version__} (")
    assert ("CUDA" in second) == (torch.version.cuda is not None)
    assert third.startswith(f"device {resolve_device('auto').type} ")


def test_a_mistyped_run_or_corpus_name_gets_the_closest_one_suggested(poet_home: Path) -> None:
    from poet_tui.corpus_registry import resolve_corpus
    from poet_tui.errors import PoetError
    from poet_tui.runs import RunStore

    run_dir = poet_home / "runs" / "20250101-120000-shakespeare-sonnets-char"
    run_dir.mkdir(parents=True)
    (run_dir / "run.toml").write_text("")  # listed by name; never read here
    with pytest.raises(PoetError, match="Did you mean '20250101-120000-shakespeare-sonnets-char'"):
        RunStore().get("20250101-120000-shakespeare-sonets-char")
    with pytest.raises(PoetError, match="Did you mean 'shakespeare-sonnets'"):
        resolve_corpus("shakespeare-sonets")
    with pytest.raises(PoetError) as far_off:
        resolve_corpus("zzzz-qqqq")
    assert "Did you mean" not in str(far_off.value)  # nothing close: no guess
    refused = poet("corpora", "show", "tang30")
    assert refused.returncode == 2 and "Did you mean 'tang300'?" in refused.stderr


def test_every_command_of_the_parser_runs_a_function_of_its_module() -> None:
    """A command missing from the table, or a function renamed, would print the help instead of running."""
    import argparse
    import importlib

    from poet_tui.cli.main import COMMAND_MODULES, build_parser

    subparsers = next(action for action in build_parser()._actions if isinstance(action, argparse._SubParsersAction))
    assert set(subparsers.choices) == set(COMMAND_MODULES)
    for module_name, function_name in COMMAND_MODULES.values():
        assert callable(getattr(importlib.import_module(module_name), function_name))
