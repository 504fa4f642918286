"""What every file poet-tui reads back must look like, checked in one place before anything uses it.

A checkpoint's metadata, its training-state JSON and a tokenizer are data someone could have damaged or
forged. Each has a checker here that looks at types, ranges and sizes and either returns the data (now safe
to index) or raises `Invalid` with a short reason; callers turn that into one sentence naming the file. Event
lines are checked with the same scalar checks, kind by kind, in `poet_tui.event_types`. No torch here: the
app lists checkpoints before torch has loaded.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn

from poet_tui.errors import PoetError

CHECKPOINT_FORMAT = 1
TOKENIZER_FORMAT = 1
LARGEST_INTEGER = 2**63 - 1
# A vocabulary bigger than this is not one poet-tui built (word vocabularies of big corpora stay far below it).
MAX_VOCABULARY = 2_000_000


class Invalid(Exception):
    """A value does not have the shape a reader needs; the message says which and why."""


def fail(reason: str) -> NoReturn:
    raise Invalid(reason)


def damaged(source: Path | str, error: Invalid, advice: str = "use another checkpoint or run") -> PoetError:
    return PoetError(f"{source} is damaged ({error}); {advice}.")


# ----- scalar checks -----
def integer(value: Any, name: str, minimum: int = 0, maximum: int = LARGEST_INTEGER) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        fail(f"{name} should be a whole number, not {type_name(value)}")
    if not minimum <= value <= maximum:
        fail(f"{name} is {value}, outside {minimum}..{maximum}")
    return value


def number(value: Any, name: str, minimum: float = -math.inf, maximum: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        fail(f"{name} should be a number, not {type_name(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        fail(f"{name} is not a finite number")
    if not minimum <= value <= maximum:
        fail(f"{name} is {value}, outside {minimum:g}..{maximum:g}")
    return float(value)


def optional_number(value: Any, name: str, minimum: float = -math.inf, maximum: float = math.inf) -> float | None:
    return None if value is None else number(value, name, minimum, maximum)


def text(value: Any, name: str, choices: tuple[str, ...] | None = None, max_length: int = 10_000) -> str:
    if not isinstance(value, str):
        fail(f"{name} should be text, not {type_name(value)}")
    if len(value) > max_length:
        fail(f"{name} is {len(value)} characters long")
    if choices is not None and value not in choices:
        fail(f"{name} is '{value[:40]}', not one of {', '.join(choices)}")
    return value


def boolean(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        fail(f"{name} should be true or false, not {type_name(value)}")
    return value


def mapping(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        fail(f"{name} should be an object, not {type_name(value)}")
    return value


def listing(value: Any, name: str, max_items: int) -> list[Any]:
    if not isinstance(value, list):
        fail(f"{name} should be a list, not {type_name(value)}")
    if len(value) > max_items:
        fail(f"{name} has {len(value)} entries, more than {max_items}")
    return value


def type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


MAX_FORM_SHARES = 64  # far more forms than poet-tui knows: a longer map is not one it wrote


def form_shares_map(value: Any, name: str) -> dict[str, float]:
    """A corpus's `{form: share}`, largest first: shares finite in 0..1, each form one this poet-tui knows.

    A form it does not know is left out (a newer poet-tui may know more), anything else wrong is refused."""
    from poet_tui.forms.definitions import FORMS

    shares = mapping(value, name)
    if len(shares) > MAX_FORM_SHARES:
        fail(f"{name} has {len(shares)} forms")
    checked = {form: number(share, f"{name}.{form}", 0.0, 1.0) for form, share in shares.items()}
    known = {form: share for form, share in checked.items() if form in FORMS}
    return dict(sorted(known.items(), key=lambda item: -item[1]))


def lenient_form_shares(value: Any, name: str) -> dict[str, float] | None:
    """`form_shares_map`, or None for a damaged value: the figures are a display, never a reason to refuse the
    event or the checkpoint that carries them."""
    try:
        return form_shares_map(value, name)
    except Invalid:
        return None


def optional_fields(data: Mapping[str, Any], checks: Mapping[str, Any], where: str) -> None:
    """Check each field that is present with its checker (a callable taking value and name)."""
    for key, check in checks.items():
        if key in data:
            check(data[key], f"{where}{key}")


# ----- model shape (shared by checkpoint metadata and run.toml) -----
def check_model_fields(model: Any, where: str = "model.") -> dict[str, Any]:
    """The fields of a ModelConfig, typed and bounded, and a size poet-tui can build (no tensor is made here)."""
    from poet_tui.config import ModelConfig
    from poet_tui.model_size import model_size_problem

    model = mapping(model, where.rstrip("."))
    integer(model.get("vocab_size"), f"{where}vocab_size", 1, MAX_VOCABULARY)
    optional_fields(
        model,
        {
            "cell": lambda value, name: text(value, name, ("lstm", "gru")),
            "embedding_size": lambda value, name: integer(value, name, 1),
            "hidden_size": lambda value, name: integer(value, name, 1),
            "num_layers": lambda value, name: integer(value, name, 1),
            "dropout": lambda value, name: number(value, name, 0.0, 0.999),
            "tied": boolean,
        },
        where,
    )
    unknown = sorted(set(model) - set(ModelConfig.__dataclass_fields__))
    if unknown:
        fail(f"{where.rstrip('.')} has fields poet-tui does not know ({', '.join(unknown)})")
    problem = model_size_problem(ModelConfig(**model))
    if problem:
        fail(f"it describes {problem}")
    return model


# ----- checkpoint metadata -----
PROGRESS_CHECKS: dict[str, Any] = {
    "step": lambda value, name: integer(value, name),
    "tokens": lambda value, name: integer(value, name),
    "elapsed_seconds": lambda value, name: number(value, name, 0.0),
    "best_validation_loss": lambda value, name: optional_number(value, name, 0.0),
    "evaluations_without_improvement": lambda value, name: integer(value, name),
    "last_evaluation_step": lambda value, name: integer(value, name, -1),
    "epoch": lambda value, name: integer(value, name),
    "offset": lambda value, name: integer(value, name),
    "windows_drawn": lambda value, name: integer(value, name),
    "logged_steps": lambda value, name: integer(value, name),
    "rollbacks": lambda value, name: integer(value, name, 0, 1000),
    "lr_scale": lambda value, name: number(value, name, 1e-30, 1.0),
}
PLATEAU_CHECKS: dict[str, Any] = {
    "factor": lambda value, name: number(value, name, 1e-30, 1.0),
    "bad_evaluations": lambda value, name: integer(value, name),
    "patience": lambda value, name: integer(value, name, 1),
}


def check_progress(progress: Any) -> dict[str, Any]:
    progress = mapping(progress, "training.progress")
    for key in ("step", "tokens", "elapsed_seconds"):
        if key not in progress:
            fail(f"training.progress has no {key}")
    optional_fields(progress, PROGRESS_CHECKS, "training.progress.")
    if "plateau" in progress:
        optional_fields(mapping(progress["plateau"], "training.progress.plateau"), PLATEAU_CHECKS, "plateau.")
    return progress


def check_optimizer_groups(groups: Any) -> list[dict[str, Any]]:
    """AdamW's parameter groups as JSON: numbers finite, betas a pair in [0, 1), params a list of indices."""
    groups = listing(groups, "training.optimizer_groups", 64)
    if not groups:
        fail("training.optimizer_groups is empty")
    for index, group in enumerate(groups):
        where = f"training.optimizer_groups[{index}]"
        group = mapping(group, where)
        for key in ("lr", "eps", "weight_decay"):
            number(group.get(key), f"{where}.{key}", 0.0)
        betas = listing(group.get("betas"), f"{where}.betas", 2)
        if len(betas) != 2:
            fail(f"{where}.betas should be a pair")
        for beta in betas:
            number(beta, f"{where}.betas", 0.0, 0.999999)
        for parameter in listing(group.get("params"), f"{where}.params", 10_000):
            integer(parameter, f"{where}.params", 0, 10_000)
        for key, value in group.items():
            if key not in ("lr", "eps", "weight_decay", "betas", "params") and not (
                value is None or isinstance(value, bool | str | int | float)
            ):
                fail(f"{where}.{key} should be a plain value, not {type_name(value)}")
            if isinstance(value, float) and not math.isfinite(value):
                fail(f"{where}.{key} is not a finite number")
    return groups


def check_checkpoint_metadata(data: Any) -> dict[str, Any]:
    """A checkpoint's JSON, as save_checkpoint writes it; raises Invalid, or NewerFormat for a newer file."""
    data = mapping(data, "the metadata")
    if "step" not in data or "model" not in data:
        fail("it is not poet-tui checkpoint metadata: no step or model")
    version = integer(data.get("format", 0), "format", 0)
    if version > CHECKPOINT_FORMAT:
        raise NewerFormat(version)
    integer(data["step"], "step")
    check_model_fields(data["model"])
    optional_fields(
        data,
        {
            "created": text,
            "parameters": lambda value, name: integer(value, name),
            "has_training_state": boolean,
            "kind": lambda value, name: text(value, name, max_length=40),
            "epoch": lambda value, name: number(value, name, 0.0),
            "val_loss": lambda value, name: optional_number(value, name, 0.0),
            "val_bpc": lambda value, name: optional_number(value, name, 0.0),
            "corpus": text,
            "tokenizer": lambda value, name: text(value, name, max_length=40),
            "vocab_size": lambda value, name: integer(value, name, 1, MAX_VOCABULARY),
            "run": text,
        },
        "",
    )
    if "forms" in data:  # the corpus's share of poems in each form; a damaged map reads as absent
        shares = lenient_form_shares(data["forms"], "forms")
        if shares is None:
            del data["forms"]
        else:
            data["forms"] = shares
    if "vocab_size" in data and data["vocab_size"] != data["model"]["vocab_size"]:
        fail("vocab_size disagrees with the model's")
    if "training" in data:  # what resuming needs; a checkpoint without it still loads for generating
        training = mapping(data["training"], "training")
        check_progress(training.get("progress"))
        check_optimizer_groups(training.get("optimizer_groups"))
        if training["progress"]["step"] != data["step"]:
            fail("training.progress.step disagrees with step")
    return data


class NewerFormat(Invalid):
    """Written by a newer poet-tui: not damaged, just not readable by this version."""

    def __init__(self, version: int) -> None:
        super().__init__(f"format {version}")
        self.version = version


# ----- tokenizer.json -----
def check_tokenizer_payload(payload: Any) -> tuple[str, list[str]]:
    """kind and tokens of a char or word tokenizer: unique strings, `<eod>` among them."""
    from poet_tui.tokenizers import END_OF_DOCUMENT

    payload = mapping(payload, "the tokenizer")
    version = integer(payload.get("format", 1), "format", 0)
    if version > TOKENIZER_FORMAT:
        raise NewerFormat(version)
    kind = text(payload.get("kind"), "kind", ("char", "word"))
    tokens = listing(payload.get("tokens"), "tokens", MAX_VOCABULARY)
    for index, token in enumerate(tokens):
        if not isinstance(token, str) or not token:
            fail(f"token {index} should be non-empty text, not {type_name(token)!s}")
        if len(token) > 1000:
            fail(f"token {index} is {len(token)} characters long")
    if len(set(tokens)) != len(tokens):
        fail("some tokens appear twice")
    if END_OF_DOCUMENT not in tokens:
        fail(f"it has no {END_OF_DOCUMENT} token")
    if kind == "char":
        specials = {END_OF_DOCUMENT}
        if any(len(token) != 1 for token in tokens if token not in specials):
            fail("a char tokenizer has a token longer than one character")
    return kind, tokens
