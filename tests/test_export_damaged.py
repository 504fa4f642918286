"""An export folder is something a stranger hands over: every damaged or hostile one is one sentence from
`poet generate DIR` (exit code 2), never a traceback, and never an allocation its files did not pay for."""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from poet_tui.cli.main import main
from poet_tui.runs import Run

Damage = Callable[[Path], None]


def edit_config(change: Callable[[dict], object]) -> Damage:
    def damage(folder: Path) -> None:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        change(config)
        (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")

    return damage


def write(name: str, data: bytes) -> Damage:
    return lambda folder: (folder / name).write_bytes(data)


def edit_weights(change: Callable[[dict[str, torch.Tensor]], object]) -> Damage:
    def damage(folder: Path) -> None:
        tensors = load_file(folder / "model.safetensors")
        change(tensors)
        save_file(tensors, folder / "model.safetensors")

    return damage


def link(name: str) -> Damage:
    def damage(folder: Path) -> None:
        target = folder.parent / f"elsewhere-{name}"
        os.replace(folder / name, target)
        (folder / name).symlink_to(target)

    return damage


def truncate(name: str, keep: int) -> Damage:
    def damage(folder: Path) -> None:
        data = (folder / name).read_bytes()
        (folder / name).write_bytes(data[:keep])

    return damage


def huge_header(folder: Path) -> None:
    (folder / "model.safetensors").write_bytes(struct.pack("<Q", 2**60) + b"{}")


def as_spm(model_bytes: bytes) -> Damage:
    """The char export made to claim a SentencePiece tokenizer, with these bytes as its model."""

    def damage(folder: Path) -> None:
        edit_config(
            lambda c: c.__setitem__("tokenizer", {**c["tokenizer"], "kind": "spm", "file": "sentencepiece.model"})
        )(folder)
        (folder / "sentencepiece.model").write_bytes(model_bytes)

    return damage


def setitem(key: str, value: object) -> Callable[[dict], object]:
    return lambda config: config.__setitem__(key, value)


DAMAGES: dict[str, tuple[Damage, str]] = {
    "no config.json": (lambda folder: (folder / "config.json").unlink(), "has no config.json"),
    "config.json is a list": (write("config.json", b"[1, 2]"), "should be an object"),
    "config.json is not JSON": (write("config.json", b"{nope"), "not valid JSON"),
    "config.json is binary": (write("config.json", b"\xff\xfe\x00"), "not UTF-8"),
    "config.json nested deeply": (write("config.json", b"[" * 10_000), "nested more than"),
    "another format": (edit_config(setitem("format", "hf")), "not 'poet-tui-export'"),
    "a newer format": (edit_config(setitem("format_version", 99)), "upgrade poet-tui"),
    "a huge model": (edit_config(lambda c: c["model"].__setitem__("hidden_size", 10**9)), "a hidden size of"),
    "a NaN dropout": (write("config.json", b'{"format": "poet-tui-export", "dropout": NaN}'), "not a number"),
    "tokenizer file outside": (edit_config(lambda c: c["tokenizer"].__setitem__("file", "../x")), "tokenizer.file"),
    "end of document out of range": (
        edit_config(lambda c: c["tokenizer"].__setitem__("end_of_document_id", 10**6)),
        "end_of_document_id",
    ),
    "another vocabulary size": (
        edit_config(lambda c: c["model"].__setitem__("vocab_size", c["model"]["vocab_size"] + 1)),
        "tokens but the model has",
    ),
    "weights missing": (lambda folder: (folder / "model.safetensors").unlink(), "model.safetensors is missing"),
    "weights truncated": (truncate("model.safetensors", 4000), "bytes where its tensors need"),
    "weights header only": (truncate("model.safetensors", 5), "not a safetensors file"),
    "weights header huge": (huge_header, "not a safetensors file"),
    "weights of another shape": (
        edit_config(lambda c: c["model"].__setitem__("hidden_size", 32)),
        "does not fit the model config.json describes",
    ),
    "a tensor too many": (edit_weights(lambda t: t.__setitem__("extra", torch.zeros(2))), "a tensor the model lacks"),
    "a tensor missing": (edit_weights(lambda t: t.pop("decoder.bias")), "it lacks decoder.bias"),
    "integer weights": (
        edit_weights(lambda t: t.__setitem__("decoder.bias", t["decoder.bias"].int())),
        "not stored as floating point",
    ),
    "NaN weights": (edit_weights(lambda t: t["decoder.bias"].fill_(float("nan"))), "not finite"),
    "config.json a link": (link("config.json"), "symbolic link"),
    "weights a link": (link("model.safetensors"), "symbolic link"),
    "vocabulary a link": (link("vocabulary.json"), "symbolic link"),
    "vocabulary missing": (lambda folder: (folder / "vocabulary.json").unlink(), "vocabulary.json is missing"),
    "vocabulary not a list": (write("vocabulary.json", b'{"a": 1}'), "should be a list"),
    "vocabulary with duplicates": (write("vocabulary.json", b'["<eod>", "a", "a"]'), "appear twice"),
    "vocabulary without eod": (write("vocabulary.json", b'["x", "a", "b"]'), "has no <eod>"),
    "vocabulary too short": (write("vocabulary.json", b'["<eod>", "a", "b"]'), "tokens but the model has"),
    "vocabulary too short for its end": (
        lambda folder: (
            write("vocabulary.json", b'["a", "<eod>"]')(folder),
            edit_config(lambda c: c["tokenizer"].__setitem__("end_of_document_id", 20))(folder),
        ),
        "has no <eod> at the id config.json names (20)",
    ),
    "end of document past the vocabulary": (
        edit_config(lambda c: c["tokenizer"].__setitem__("end_of_document_id", 30)),
        "has no <eod> at the id config.json names (30)",
    ),
    "sentencepiece garbage": (as_spm(b"garbage"), "not a readable SentencePiece model"),
    "sentencepiece empty": (as_spm(b""), "not a readable SentencePiece model"),
}


@pytest.fixture(scope="module")
def pristine_export(tmp_path_factory: pytest.TempPathFactory, pristine_run: Path) -> Path:
    """One export of the session's char run, made once; each test damages its own copy."""
    import shutil

    from poet_tui.export import export_model
    from poet_tui.runs import RunStore

    home = tmp_path_factory.mktemp("damaged-export-home")
    shutil.copytree(pristine_run, home / "runs" / pristine_run.name)
    folder = tmp_path_factory.mktemp("damaged-export") / "model"
    export_model(pristine_run.name, str(folder), store=RunStore(home / "runs"))
    return folder


@pytest.mark.parametrize("case", list(DAMAGES))
def test_a_damaged_export_is_one_sentence(
    case: str, pristine_export: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    damage, expected = DAMAGES[case]
    folder = tmp_path / "model"
    shutil.copytree(pristine_export, folder, symlinks=True)
    damage(folder)
    assert main(["generate", str(folder), "--length", "5"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("poet: ") and captured.err.count("\n") == 1, captured.err
    assert expected in captured.err and "Traceback" not in captured.err


def test_a_tied_decoder_that_differs_from_the_embedding_is_refused(
    trained_run: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from poet_tui.export import export_model

    folder = tmp_path / "model"
    export_model(trained_run.id, str(folder))
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    model = config["model"]
    model["tied"], model["embedding_size"] = True, model["hidden_size"]  # a tied shape, weights made to fit it
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    tensors = load_file(folder / "model.safetensors")
    vocab, hidden = model["vocab_size"], model["hidden_size"]
    tensors["embedding.weight"] = torch.zeros(vocab, hidden)
    tensors["decoder.weight"] = torch.ones(vocab, hidden)
    tensors["rnn.weight_ih_l0"] = torch.zeros(tensors["rnn.weight_ih_l0"].shape[0], hidden)
    save_file(tensors, folder / "model.safetensors")
    assert main(["generate", str(folder)]) == 2
    assert "differs from embedding.weight" in capsys.readouterr().err


def test_a_folder_that_is_no_export_is_still_a_run_name_question(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder without config.json or weights is not taken for an export: the usual run lookup answers."""
    (tmp_path / "plain").mkdir()
    assert main(["generate", str(tmp_path / "plain")]) == 2
    assert "is not a run in the run store" in capsys.readouterr().err
