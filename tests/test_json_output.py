"""`--json` on the listings and on `poet generate`: one JSON document (a line per poem for generate) on stdout,
numbers as numbers, the same facts the tables show; errors stay one sentence on stderr with nothing on stdout."""

from __future__ import annotations

import json
from pathlib import Path

from poet_tui.cli.json_output import json_text
from poet_tui.runs import Run
from tests.helpers import events_of, poet
from tests.test_cli import assert_one_line_error


def test_corpora_list_and_show(tiny_corpus: Path) -> None:
    assert poet("corpora", "add", str(tiny_corpus), "--name", "tiny").returncode == 0
    listed = json.loads(poet("corpora", "list", "--json").stdout)
    by_name = {entry["name"]: entry for entry in listed["corpora"]}
    sonnets = by_name["shakespeare-sonnets"]
    assert sonnets["bundled"] is True and sonnets["poems"] == 154 and isinstance(sonnets["characters"], int)
    assert by_name["tiny"] == {**by_name["tiny"], "bundled": False, "poems": 40, "path": str(tiny_corpus)}
    assert listed["damaged"] == []
    shown = poet("corpora", "show", "shakespeare-sonnets", "--json", "--poems", "3")
    assert shown.returncode == 0, shown.stderr
    corpus = json.loads(shown.stdout)
    assert corpus["name"] == "shakespeare-sonnets" and corpus["poems"] == 154 and corpus["lines"] > 2000
    assert corpus["dominant_forms"] == ["sonnet"] and 0.9 < corpus["forms"]["sonnet"] <= 1
    assert len(corpus["preview"]) == 3 and corpus["preview"][0]["text"].count("\n") >= 13
    assert_one_line_error(poet("corpora", "show", "no-such-corpus", "--json"), "no corpus named")
    assert poet("corpora", "show", "no-such-corpus", "--json").stdout == ""


def test_checkpoints_list_and_show(trained_run: Run) -> None:
    listed = poet("checkpoints", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    document = json.loads(listed.stdout)
    assert document["store"] == str(trained_run.directory.parent)
    rows = {row["checkpoint"]: row for row in document["checkpoints"] if row["run"] == trained_run.id}
    assert set(rows) == {"best", "latest"} and rows["latest"]["step"] == 4 and rows["best"]["problem"] is None
    assert rows["latest"]["tokenizer"] == "char" and rows["latest"]["parameters"] > 0
    assert isinstance(rows["best"]["val_bpc"], float) and Path(rows["best"]["path"]).is_file()
    shown = json.loads(poet("checkpoints", "show", trained_run.id, "--json").stdout)
    assert shown["run"] == trained_run.id and shown["status"] == "done"
    assert shown["directory"] == str(trained_run.directory)
    assert shown["config"]["tokenizer"]["kind"] == "char" and shown["config"]["training"]["max_steps"] == 4
    evaluations = events_of(trained_run, "eval")
    assert [evaluation["step"] for evaluation in shown["last_evaluations"]] == [e["step"] for e in evaluations]
    best = min(evaluations, key=lambda evaluation: evaluation["val_loss"])
    assert shown["best"] == {"step": best["step"], "val_loss": best["val_loss"], "val_bpc": best["val_bpc"]}
    assert {row["checkpoint"] for row in shown["checkpoints"]} == {"best", "latest"}
    assert shown["notices"] == []
    missing = poet("checkpoints", "show", "nope", "--json")
    assert_one_line_error(missing, "no run named")
    assert missing.stdout == ""


def test_a_damaged_checkpoint_is_listed_with_its_problem(trained_run: Run) -> None:
    (trained_run.checkpoints_dir / "best.json").write_text("{not json")
    rows = json.loads(poet("checkpoints", "list", "--json").stdout)["checkpoints"]
    damaged = next(row for row in rows if row["checkpoint"] == "best")
    assert damaged["kind"] == "damaged" and "damaged" in damaged["problem"]


def test_generate_json_carries_settings_token_count_and_timing(trained_run: Run) -> None:
    result = poet(
        "generate", trained_run.id, "--json", "-n", "2", "--seed", "5", "--length", "12", "--temperature", "0.5",
        "--top-k", "7", "--top-p", "0.9", "--no-stop-at-end", "--device", "cpu", "--prompt", "The",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    poems = [json.loads(line) for line in result.stdout.splitlines()]
    assert [poem["poem"] for poem in poems] == [1, 2] and [poem["seed"] for poem in poems] == [5, 6]
    for poem in poems:
        # The keys it had before, unchanged.
        assert poem["text"].startswith("The") and poem["tokens"] == 12 and poem["model"] == f"{trained_run.id}/best"
        assert poem["form"] is None and poem["in_form"] is None and poem["forced_steps"] is None
        assert poem["settings"] == {
            "temperature": 0.5, "top_k": 7, "top_p": 0.9, "length": 12, "seed": 5, "stop_at_end": False,
            "form": "free", "acrostic": None, "rhyme": False, "metre": False, "device": "cpu",
        }  # fmt: skip
        assert poem["prompt"] == "The" and poem["stopped_at_end_of_poem"] is False
        assert poem["seconds"] >= 0 and poem["tokens_per_s"] >= 0 and poem["first_token_seconds"] >= 0
    refused = poet("generate", trained_run.id, "--json", "-i")
    assert_one_line_error(refused, "-i is a prompt-by-prompt REPL")
    assert refused.stdout == ""


def test_json_text_escapes_what_a_terminal_would_obey() -> None:
    text = json_text({"a": "\x1b[2J\x9b1m\x7f 诗", "n": float("nan"), "big": 10**30})
    assert text == '{"a":"\\u001b[2J\\u009b1m\\u007f 诗","n":null,"big":1000000000000000000000000000000}'
    assert json.loads(text)["a"] == "\x1b[2J\x9b1m\x7f 诗"
