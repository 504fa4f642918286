"""`poet metrics`: a run's history as a table, CSV, JSON lines and TensorBoard files, from its checked events
only — a hostile metrics.jsonl never crashes it, never reaches a CSV cell as text, never sends a terminal a
control sequence."""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import sys
from importlib.abc import MetaPathFinder
from pathlib import Path
from typing import Any

import pytest

from poet_tui.runs import Run
from tests.forked import limit_file_size
from tests.helpers import events_of, poet
from tests.test_cli import assert_one_line_error


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_table_lists_each_evaluation_with_a_summary(trained_run: Run) -> None:
    result = poet("metrics", trained_run.id[:12])  # a unique start of the name, as everywhere
    assert result.returncode == 0, result.stderr
    evaluations = events_of(trained_run, "eval")
    assert f"Evaluations of {trained_run.id} ({len(evaluations)})" in result.stdout
    lines = result.stdout.splitlines()
    for evaluation in evaluations:
        row = next(line for line in lines if line.split() and line.split()[0] == str(evaluation["step"]))
        assert f"{evaluation['val_loss']:.4f}" in row and f"{evaluation['val_bpc']:.3f}" in row
    best = min(evaluations, key=lambda event: event["val_loss"])
    assert lines[-1].startswith(f"run {trained_run.id} (done): {len(evaluations)} evaluations to step 4")
    assert f"best val loss {best['val_loss']:.4f} nats/token" in lines[-1] and f"at step {best['step']}" in lines[-1]


def test_csv_has_a_row_per_step_and_eval_with_the_logged_numbers(trained_run: Run) -> None:
    result = poet("metrics", trained_run.id, "--csv")
    assert result.returncode == 0, result.stderr
    header = result.stdout.splitlines()[0].split(",")
    assert header[:4] == ["event", "step", "epoch", "tokens"] and "val_bpc" in header and "mem_rss" in header
    rows = csv_rows(result.stdout)
    steps, evaluations = events_of(trained_run, "step"), events_of(trained_run, "eval")
    assert [row["event"] for row in rows] == [
        event["event"] for event in trained_run.events() if event["event"] in ("step", "eval")
    ]
    step_rows = [row for row in rows if row["event"] == "step"]
    assert [(int(row["step"]), float(row["loss"]), float(row["lr"])) for row in step_rows] == [
        (event["step"], event["loss"], event["lr"]) for event in steps
    ]
    assert all(row["val_loss"] == "" for row in step_rows)
    eval_rows = [row for row in rows if row["event"] == "eval"]
    assert [(int(row["step"]), float(row["val_loss"]), float(row["val_bpc"]), row["best"]) for row in eval_rows] == [
        (event["step"], event["val_loss"], event["val_bpc"], str(int(event["best"]))) for event in evaluations
    ]
    only_evaluations = poet("metrics", trained_run.id, "--csv", "--events", "eval")
    assert only_evaluations.returncode == 0, only_evaluations.stderr
    assert [row["event"] for row in csv_rows(only_evaluations.stdout)] == ["eval"] * len(evaluations)
    assert "loss" not in only_evaluations.stdout.splitlines()[0].split(",")  # no column no row fills


def test_json_lines_are_the_checked_events_of_the_log(trained_run: Run) -> None:
    result = poet("metrics", trained_run.id, "--json")
    assert result.returncode == 0, result.stderr
    assert [json.loads(line) for line in result.stdout.splitlines()] == trained_run.events()


HOSTILE_LINES = [
    '{"event":"step","step":"5","loss":1.0}',  # a string where a number goes
    '{"event":"step","step":5,"loss":NaN}',
    '{"event":"eval","step":6,"val_loss":1e999}',  # infinite once parsed
    '{"event":"eval","step":10000000000000000000000000,"val_loss":1.0}',
    '{"event":"step","step":7,"loss":1.5,"mem":{"=HYPERLINK(\\"http://x\\")":1,"rss":5}}',
    '{"event":"sample","step":7,"text":"=cmd|\' /C calc\'!A0\\u001b[2J\\u009b31m"}',
    '{"event":"notice","step":7,"kind":"nan_rollback","message":"@SUM(1+1)*cmd"}',
    '{"event":"eval","step":7,"val_loss":1.25,"val_bpc":1.8,"best":false,"note":"+1+1"}',
    "[" * 100_000 + "]" * 100_000,
    '{"event":"sample","step":8,"text":"' + "x" * (5 * 2**20) + '"}',  # longer than any line poet-tui writes
    '{"event":"step","step":9,"loss":1.4',  # torn, as a kill leaves it
]


def test_a_hostile_log_is_read_safely_in_every_format(trained_run: Run, tmp_path: Path) -> None:
    with open(trained_run.metrics_path, "ab") as log:
        log.write("\n".join(HOSTILE_LINES[:-1]).encode() + b"\n\xff\xfe not even text\n" + HOSTILE_LINES[-1].encode())
    table = poet("metrics", trained_run.id)
    assert table.returncode == 0, table.stderr
    assert "\x1b" not in table.stdout and "1.2500" in table.stdout  # the one good evaluation among them
    result = poet("metrics", trained_run.id, "--csv")
    assert result.returncode == 0, result.stderr
    rows = csv_rows(result.stdout)
    assert [row["step"] for row in rows[-2:]] == ["7", "7"]  # the good step and eval lines, nothing else
    assert rows[-2]["loss"] == "1.5" and rows[-2]["mem_rss"] == "5" and rows[-1]["val_loss"] == "1.25"
    cells = [cell for row in csv.reader(io.StringIO(result.stdout)) for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "@", "-", "\t", "\r")]
    lines = poet("metrics", trained_run.id, "--json")
    assert lines.returncode == 0, lines.stderr
    assert not {"\x1b", "\x9b"} & set(lines.stdout)  # escaped in the JSON, so a terminal shows them as text
    events = [json.loads(line) for line in lines.stdout.splitlines()]
    assert events[-3]["text"].endswith("\x1b[2J\x9b31m") and events[-1]["note"] == "+1+1"
    assert len(events) == len(trained_run.events())
    written = poet("metrics", trained_run.id, "--tensorboard", str(tmp_path / "tb"))
    assert written.returncode == 0, written.stderr


def test_refusals_are_one_sentence(trained_run: Run, poet_home: Path, tmp_path: Path) -> None:
    assert_one_line_error(poet("metrics", trained_run.id[:-3] + "xyz"), "Did you mean")
    assert_one_line_error(poet("metrics", "/tmp"), "not a run in the run store")
    assert_one_line_error(poet("metrics", trained_run.id, "--csv", "--json"), "not allowed with")
    assert_one_line_error(poet("metrics", trained_run.id, "--csv", "--events", "step,=1"), "--events takes")
    assert_one_line_error(poet("metrics", trained_run.id, "--events", "eval"), "add --csv")
    assert_one_line_error(poet("metrics", trained_run.id, "--tensorboard", " "), "needs a folder")
    a_file = tmp_path / "a-file"
    a_file.write_text("mine")
    assert_one_line_error(poet("metrics", trained_run.id, "--tensorboard", str(a_file)), "is not a folder")
    trained_run.metrics_path.rename(tmp_path / "elsewhere.jsonl")
    trained_run.metrics_path.symlink_to(tmp_path / "elsewhere.jsonl")
    for flags in ([], ["--csv"], ["--json"]):
        assert_one_line_error(poet("metrics", trained_run.id, *flags), "symbolic link")


def test_a_run_without_evaluations_says_so(trained_run: Run) -> None:
    lines = trained_run.metrics_path.read_text(encoding="utf-8").splitlines()
    trained_run.metrics_path.write_text("\n".join(line for line in lines if '"eval"' not in line) + "\n")
    result = poet("metrics", trained_run.id)
    assert result.returncode == 0, result.stderr
    assert "has no evaluations yet" in result.stdout
    assert [row["event"] for row in csv_rows(poet("metrics", trained_run.id, "--csv").stdout)] == ["step"] * len(
        events_of(trained_run, "step")
    )


# ----- TensorBoard -----
def read_tensorboard(directory: Path) -> tuple[dict[str, list[tuple[int, float]]], list[tuple[int, str]]]:
    """Every scalar series and text sample of one run's folder, as TensorBoard itself reads them back."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util import tensor_util

    accumulator = EventAccumulator(str(directory), size_guidance={"scalars": 0, "tensors": 0})
    accumulator.Reload()
    scalars = {
        tag: [(event.step, event.value) for event in accumulator.Scalars(tag)] for tag in accumulator.Tags()["scalars"]
    }
    texts = [
        (event.step, tensor_util.make_ndarray(event.tensor_proto).item().decode("utf-8"))
        for event in accumulator.Tensors("sample/text_summary")
    ]
    return scalars, texts


def test_tensorboard_files_read_back_and_a_second_export_replaces_the_first(trained_run: Run, tmp_path: Path) -> None:
    pytest.importorskip("tensorboard")
    folder = tmp_path / "tensor board runs ☃"  # spaces and unicode in the name the user gives
    mine = folder / trained_run.id / "notes.txt"
    mine.parent.mkdir(parents=True)
    mine.write_text("keep me")
    foreign = folder / trained_run.id / "events.out.tfevents.1.elsewhere.1.0"  # another tool's file
    foreign.write_bytes(b"")
    for attempt in (1, 2):
        result = poet("metrics", trained_run.id, "--tensorboard", str(folder))
        assert result.returncode == 0, result.stderr
        assert ("replacing 1 earlier file" in result.stdout) == (attempt == 2)
    written = sorted(path.name for path in (folder / trained_run.id).iterdir())
    assert len([name for name in written if name.endswith(".poet")]) == 1
    assert mine.read_text() == "keep me" and foreign.exists()
    foreign.unlink()  # an empty file is no event file; TensorBoard would skip it, but keep the read exact
    scalars, texts = read_tensorboard(folder / trained_run.id)
    evaluations, steps = events_of(trained_run, "eval"), events_of(trained_run, "step")
    assert scalars["loss/val_nats_per_token"] == [
        (event["step"], pytest.approx(event["val_loss"], rel=1e-6)) for event in evaluations
    ]  # once each: the second export replaced the first, so nothing doubled
    assert scalars["bits_per_char/val"] == [
        (event["step"], pytest.approx(event["val_bpc"], rel=1e-6)) for event in evaluations
    ]
    assert scalars["loss/train_nats_per_token"] == [
        (event["step"], pytest.approx(event["loss"], rel=1e-6)) for event in steps
    ]
    assert [step for step, _ in scalars["train/learning_rate"]] == [event["step"] for event in steps]
    samples = events_of(trained_run, "sample")
    assert [step for step, _ in texts] == [event["step"] for event in samples]
    for (_, shown), sample in zip(texts, samples, strict=True):
        expected = sample["text"].splitlines() or ["(empty)"]
        assert [line.removeprefix("    ") for line in shown.splitlines()] == expected


def test_tensorboard_export_keeps_only_the_path_training_went_on_from(trained_run: Run, tmp_path: Path) -> None:
    """A NaN rollback (or a resume after a kill) logs earlier steps again: the curve drops what was undone."""
    pytest.importorskip("tensorboard")
    with open(trained_run.metrics_path, "a", encoding="utf-8") as log:
        log.write('{"event":"step","step":3,"loss":9.5}\n{"event":"eval","step":4,"val_loss":8.25}\n')
    assert poet("metrics", trained_run.id, "--tensorboard", str(tmp_path)).returncode == 0
    scalars, _ = read_tensorboard(tmp_path / trained_run.id)
    assert scalars["loss/train_nats_per_token"][-1] == (3, 9.5)
    assert [step for step, _ in scalars["loss/train_nats_per_token"]] == sorted(
        {event["step"] for event in events_of(trained_run, "step") if event["step"] < 3} | {3}
    )
    assert scalars["loss/val_nats_per_token"][-1] == (4, 8.25)
    assert [step for step, _ in scalars["loss/val_nats_per_token"]] == [2, 4]


def test_tensorboard_never_writes_through_a_link(trained_run: Run, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    folder = tmp_path / "tb"
    folder.mkdir()
    (folder / trained_run.id).symlink_to(elsewhere)
    assert_one_line_error(poet("metrics", trained_run.id, "--tensorboard", str(folder)), "symbolic link")
    assert list(elsewhere.iterdir()) == []


def test_a_full_disk_keeps_the_earlier_export_and_leaves_no_partial_file(trained_run: Run, tmp_path: Path) -> None:
    pytest.importorskip("tensorboard")
    assert poet("metrics", trained_run.id, "--tensorboard", str(tmp_path)).returncode == 0
    (before,) = (tmp_path / trained_run.id).iterdir()
    content = before.read_bytes()
    a_full_disk = functools.partial(limit_file_size, 500)
    full = poet("metrics", trained_run.id, "--tensorboard", str(tmp_path), setup=a_full_disk)
    assert_one_line_error(full, "could not write TensorBoard files")
    assert list((tmp_path / trained_run.id).iterdir()) == [before] and before.read_bytes() == content


class NoTensorBoard(MetaPathFinder):
    def find_spec(self, name: str, path: Any, target: Any = None) -> None:
        if name == "tensorboard" or name.startswith("tensorboard."):
            raise ModuleNotFoundError(f"No module named '{name}'")


def hide_tensorboard() -> None:
    """A setup for `poet`: the child cannot import tensorboard, as where the extra is not installed."""
    sys.meta_path.insert(0, NoTensorBoard())
    for name in [name for name in sys.modules if "tensorboard" in name]:
        del sys.modules[name]


def test_without_the_extra_it_says_what_to_install(trained_run: Run, tmp_path: Path) -> None:
    result = poet("metrics", trained_run.id, "--tensorboard", str(tmp_path / "tb"), setup=hide_tensorboard)
    assert_one_line_error(result, "pip install 'poet-tui[tensorboard]'")
    assert not os.path.exists(tmp_path / "tb")
