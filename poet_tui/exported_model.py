"""Reading a model folder that `poet export` wrote, so `poet generate DIR` and the REPL load it like a run.

An export folder is something a stranger may hand over: every file is read without following links, bounded
in size, and checked before anything is built from it. The weights file's header is read and compared with the
shapes its config.json describes before a single tensor is allocated, so a forged config can never make poet-tui
allocate more than the file really holds. Anything wrong is one sentence naming the file, never a traceback.
"""

from __future__ import annotations

import contextlib
import math
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from poet_tui.config import ModelConfig
from poet_tui.errors import PoetError
from poet_tui.model_size import GATES
from poet_tui.paths import user_path
from poet_tui.safe_files import (
    SMALL_FILE_LIMIT,
    describe_os_error,
    open_regular_file,
    parse_json_text,
    read_bounded_bytes,
    read_json_file,
)
from poet_tui.schemas import (
    Invalid,
    NewerFormat,
    check_model_fields,
    check_tokenizer_payload,
    fail,
    integer,
    lenient_form_shares,
    mapping,
    optional_fields,
    optional_number,
    text,
)

if TYPE_CHECKING:
    import torch

    from poet_tui.model import RNNLanguageModel
    from poet_tui.tokenizers import Tokenizer

EXPORT_FORMAT = "poet-tui-export"
EXPORT_FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
VOCABULARY_FILE = "vocabulary.json"  # not tokenizer.json: that name means Hugging Face's tokenizers format
SENTENCEPIECE_FILE = "sentencepiece.model"
CARD_FILE = "README.md"
ONNX_FILE = "model.onnx"
TOKENIZER_FILES = {"char": VOCABULARY_FILE, "word": VOCABULARY_FILE, "spm": SENTENCEPIECE_FILE}
# Every name `poet export` writes; config.json last, so a folder without it was never finished.
EXPORT_FILES = (WEIGHTS_FILE, VOCABULARY_FILE, SENTENCEPIECE_FILE, CARD_FILE, ONNX_FILE, CONFIG_FILE)

CONFIG_LIMIT = 4 * 2**20  # a config.json is a few kilobytes
HEADER_LIMIT = 4 * 2**20  # a safetensors header names a few hundred tensors at most
DTYPE_BYTES = {"F32": 4, "F16": 2, "BF16": 2, "F64": 8}


def expected_tensor_shapes(config: ModelConfig) -> dict[str, tuple[int, ...]]:
    """The tensors of `RNNLanguageModel(config).state_dict()` and their shapes, by arithmetic alone.

    These are the names torch.nn gives them (nn.Embedding, nn.LSTM/nn.GRU, nn.Linear), which is what lets a
    plain-PyTorch snippet load the file. A tied model stores its decoder weight too, as a copy of the embedding."""
    vocab, embedding, hidden = config.vocab_size, config.embedding_size, config.hidden_size
    gates = GATES[config.cell] * hidden
    shapes: dict[str, tuple[int, ...]] = {"embedding.weight": (vocab, embedding)}
    for layer in range(config.num_layers):
        shapes[f"rnn.weight_ih_l{layer}"] = (gates, embedding if layer == 0 else hidden)
        shapes[f"rnn.weight_hh_l{layer}"] = (gates, hidden)
        shapes[f"rnn.bias_ih_l{layer}"] = (gates,)
        shapes[f"rnn.bias_hh_l{layer}"] = (gates,)
    if config.tied and hidden != embedding:
        shapes["projection.weight"] = (embedding, hidden)
    shapes["decoder.weight"] = (vocab, embedding if config.tied else hidden)
    shapes["decoder.bias"] = (vocab,)
    return shapes


def check_export_config(data: Any) -> dict[str, Any]:
    """config.json as `poet export` writes it; raises Invalid (or NewerFormat for a newer export)."""
    data = mapping(data, "it")
    if data.get("format") != EXPORT_FORMAT:
        fail(f"its format is not '{EXPORT_FORMAT}'")
    version = integer(data.get("format_version"), "format_version", 1)
    if version > EXPORT_FORMAT_VERSION:
        raise NewerFormat(version)
    model = check_model_fields(data.get("model"))
    tokenizer = mapping(data.get("tokenizer"), "tokenizer")
    kind = text(tokenizer.get("kind"), "tokenizer.kind", tuple(TOKENIZER_FILES))
    text(tokenizer.get("file"), "tokenizer.file", (TOKENIZER_FILES[kind],))  # never a path of the sender's choice
    integer(tokenizer.get("end_of_document_id"), "tokenizer.end_of_document_id", 0, model["vocab_size"] - 1)
    optional_fields(
        data,
        {
            "parameters": lambda value, name: integer(value, name),
            "step": lambda value, name: integer(value, name),
            "val_loss": lambda value, name: optional_number(value, name, 0.0),
            "val_bpc": lambda value, name: optional_number(value, name, 0.0),
            "run": lambda value, name: text(value, name, max_length=200),
            "checkpoint": lambda value, name: text(value, name, max_length=40),
            "corpus": lambda value, name: text(value, name, max_length=1000),
            "created": lambda value, name: text(value, name, max_length=100),
            "poet_tui_version": lambda value, name: text(value, name, max_length=100),
            "onnx": lambda value, name: text(value, name, (ONNX_FILE,)),
        },
        "",
    )
    if "forms" in data:  # only what the REPL's default form reads; a damaged map reads as absent
        shares = lenient_form_shares(data["forms"], "forms")
        data["forms"] = shares if shares is not None else {}
    return data


@dataclass
class ExportedModel:
    """An export folder, loaded: the model in eval mode, its tokenizer, and its checked config."""

    folder: Path
    model: RNNLanguageModel
    tokenizer: Tokenizer
    config: dict[str, Any]

    @property
    def metadata(self) -> dict[str, Any]:
        """The fields a checkpoint's metadata has that the CLI and the REPL show or read (step, forms, …)."""
        keys = ("step", "val_loss", "val_bpc", "parameters", "corpus", "run", "checkpoint", "forms", "created")
        shown = {key: self.config[key] for key in keys if key in self.config}
        return {**shown, "model": self.config["model"], "tokenizer": self.tokenizer.kind, "export": str(self.folder)}


def export_folder_named(name_or_path: str) -> Path | None:
    """The folder a name means if it is an export folder (or what is left of one), else None (a run, a file).

    A folder counts when it holds config.json or model.safetensors, so an unfinished export gets its own
    sentence instead of "no run named …". No torch here: the CLI asks this before loading anything."""
    if not name_or_path.strip():
        return None
    path = user_path(name_or_path.strip())
    try:
        if not path.is_dir():
            return None
        return path if any(os.path.lexists(path / name) for name in (CONFIG_FILE, WEIGHTS_FILE)) else None
    except (OSError, ValueError):
        return None


def read_export_config(folder: Path) -> dict[str, Any]:
    path = folder / CONFIG_FILE
    if not os.path.lexists(path):
        raise PoetError(
            f"{folder} has no {CONFIG_FILE}, so it is not a finished poet-tui export (an interrupted export "
            "leaves none); export the model again."
        )
    try:
        return check_export_config(read_json_file(path, CONFIG_LIMIT))
    except NewerFormat as newer:
        raise PoetError(
            f"{path} is export format {newer.version}, newer than this poet-tui reads ({EXPORT_FORMAT_VERSION}); "
            "upgrade poet-tui."
        ) from None
    except Invalid as error:
        raise PoetError(f"{path} is damaged or not a poet-tui export ({error}); export the model again.") from None


def weights_problem(header: Any, expected: dict[str, tuple[int, ...]]) -> str | None:
    """Why a safetensors header does not describe exactly the expected tensors, or None when it does."""
    if not isinstance(header, dict):
        return "its header is not an object"
    header = {name: entry for name, entry in header.items() if name != "__metadata__"}
    missing = sorted(set(expected) - set(header))
    extra = sorted(set(header) - set(expected))
    if missing or extra:
        return f"it lacks {', '.join(missing[:3])}" if missing else f"it has a tensor the model lacks: {extra[0][:60]}"
    for name, entry in header.items():
        if not isinstance(entry, dict) or entry.get("dtype") not in DTYPE_BYTES:
            return f"{name} is not stored as floating point"
        if entry.get("shape") != list(expected[name]):
            return f"{name} has shape {str(entry.get('shape'))[:40]}, not {list(expected[name])}"
    return None


def read_export_weights(path: Path, config: ModelConfig) -> dict[str, torch.Tensor]:
    """The weights, checked against the config's shapes from the header before the tensors are read."""
    from safetensors import SafetensorError
    from safetensors.torch import load as load_safetensors

    expected = expected_tensor_shapes(config)
    if not os.path.lexists(path):
        raise PoetError(f"{path} is missing, so the export is incomplete; export the model again.")
    try:
        with open_regular_file(path, what="weights file") as handle:
            size = os.fstat(handle.fileno()).st_size
            header_length = int.from_bytes(handle.read(8), "little")
            if size < 8 or header_length > min(HEADER_LIMIT, size - 8):
                raise PoetError(f"{path} is not a safetensors file (truncated or damaged); export the model again.")
            try:
                header = parse_json_text(handle.read(header_length).decode("utf-8"), path)
            except UnicodeDecodeError:
                raise PoetError(f"{path} has a damaged header; export the model again.") from None
            problem = weights_problem(header, expected)
            if problem is None:
                data_bytes = sum(
                    DTYPE_BYTES[header[name]["dtype"]] * math.prod(shape) for name, shape in expected.items()
                )
                if size != 8 + header_length + data_bytes:
                    problem = f"it holds {size:,} bytes where its tensors need {8 + header_length + data_bytes:,}"
            if problem is not None:
                raise PoetError(f"{path} does not fit the model config.json describes ({problem}).")
            handle.seek(0)
            data = handle.read(size)
    except OSError as error:
        raise PoetError(f"{path} could not be read ({describe_os_error(error)}).") from None
    try:
        tensors = load_safetensors(data)
    except (SafetensorError, ValueError, RuntimeError):
        raise PoetError(f"{path} is not a readable safetensors file (damaged); export the model again.") from None
    for name, tensor in tensors.items():
        if not bool(tensor.float().isfinite().all()):
            raise PoetError(f"{path} holds numbers that are not finite in {name}; the weights are damaged.")
    return tensors


def read_export_tokenizer(folder: Path, config: dict[str, Any]) -> Tokenizer:
    """The vocabulary list (char, word) or the SentencePiece model, checked against the model's vocabulary."""
    from poet_tui.tokenizers import END_OF_DOCUMENT, CharTokenizer, SentencePieceTokenizer, WordTokenizer

    kind = config["tokenizer"]["kind"]
    end_of_document = config["tokenizer"]["end_of_document_id"]
    path = folder / TOKENIZER_FILES[kind]
    if not os.path.lexists(path):
        raise PoetError(f"{path} is missing, so the export is incomplete; export the model again.")
    tokenizer: Tokenizer
    if kind == "spm":
        model_bytes = read_bounded_bytes(path, SMALL_FILE_LIMIT, what="SentencePiece model")
        pieces = None
        with contextlib.suppress(RuntimeError, OSError, TypeError):
            pieces = SentencePieceTokenizer(model_bytes) if model_bytes else None  # b"" would load as nothing
        if pieces is None or pieces.vocab_size == 0:
            raise PoetError(f"{path} is not a readable SentencePiece model; export the model again.")
        tokenizer = pieces
        if tokenizer.end_of_document_id != end_of_document:
            raise PoetError(f"{path} ends poems with piece {tokenizer.end_of_document_id}, not {end_of_document}.")
    else:
        try:
            _, tokens = check_tokenizer_payload({"kind": kind, "tokens": read_json_file(path)})
        except Invalid as error:
            raise PoetError(f"{path} is damaged ({error}); export the model again.") from None
        if end_of_document >= len(tokens) or tokens[end_of_document] != END_OF_DOCUMENT:
            raise PoetError(f"{path} has no {END_OF_DOCUMENT} at the id config.json names ({end_of_document}).")
        tokenizer = CharTokenizer(tokens) if kind == "char" else WordTokenizer(tokens)
    if tokenizer.vocab_size != config["model"]["vocab_size"]:
        raise PoetError(
            f"{path} has {tokenizer.vocab_size:,} tokens but the model has {config['model']['vocab_size']:,}; "
            "the files come from different exports."
        )
    return tokenizer


def refuse_links(folder: Path) -> None:
    """A link among an export's files could point anywhere; poet-tui reads only the files themselves."""
    for name in EXPORT_FILES:
        try:
            if stat.S_ISLNK(os.lstat(folder / name).st_mode):
                raise PoetError(f"{folder / name} is a symbolic link; poet-tui reads an export's own files only.")
        except FileNotFoundError:
            continue


def load_export(folder: Path, device: torch.device | str = "cpu") -> ExportedModel:
    """An export folder → a model ready to generate, or one sentence saying what is wrong with the folder."""
    from poet_tui.model import RNNLanguageModel

    refuse_links(folder)
    config = read_export_config(folder)
    model_config = ModelConfig(**config["model"])
    tokenizer = read_export_tokenizer(folder, config)  # small: checked before the weights are read
    weights = read_export_weights(folder / WEIGHTS_FILE, model_config)
    if model_config.tied and not bool((weights["decoder.weight"] == weights["embedding.weight"]).all()):
        raise PoetError(
            f"{folder / WEIGHTS_FILE} has a decoder.weight that differs from embedding.weight, though config.json "
            "says they are tied; the weights are damaged."
        )
    model = RNNLanguageModel(model_config)
    model.load_state_dict(weights, strict=True)  # names and shapes were checked above
    model.eval()
    return ExportedModel(folder, model.to(device), tokenizer, config)
