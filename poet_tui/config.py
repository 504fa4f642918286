"""Run configuration: dataclasses that round-trip through the run's `run.toml`.

No torch here, so the app can read and edit configs without paying for importing it."""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from poet_tui.atomic import atomic_write_text
from poet_tui.errors import PoetError
from poet_tui.model_size import (
    MAX_LAYERS,
    MAX_VOCAB,
    MAX_WIDTH,
    model_size_problem,
    recurrent_parameter_count,
    vocabulary_parameter_count,
)
from poet_tui.sampling_settings import MAX_LENGTH, MAX_SEED, SEED_RANGE, is_finite

SPM_MIN_VOCAB = 320  # the floor tokenizers.py enforces: 256 byte-fallback pieces, the specials, real pieces
MAX_BATCH_SIZE = 65_536
MAX_BPTT = 65_536
MAX_INT = 2**63 - 1  # TOML's integers are 64-bit: a run.toml could not hold more
MISSING = object()


def shown(value: Any) -> str:
    """A value as a sentence quotes it: TOML's true/false, strings quoted, long values cut."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def plain_number(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


@dataclass(frozen=True)
class Rule:
    """One setting's type and range, and the name a sentence calls it by: a table a later issue turns into flags."""

    section: str  # "tokenizer", "model", "training", or "" for RunConfig itself
    name: str  # the dataclass field
    flag: str  # the `poet train` option that sets it; settings with no flag are named as run.toml names them
    kind: str  # "int", "number", "bool", "text" or "choice"
    low: float | None = None
    high: float | None = None
    low_open: bool = False  # the low end is excluded: "positive" rather than "at least 0"
    high_open: bool = False  # the high end is excluded: a dropout of 1 drops everything
    choices: tuple[str, ...] = ()
    optional: bool = False  # None means "not set"
    wording: str = ""  # the whole range as one phrase, said whichever end was missed

    def problem(self, value: Any) -> str | None:
        """The sentence that refuses `value`, or None when it is fine."""
        if value is None and self.optional:
            return None
        if value is MISSING or value is None:
            return f"{self.flag} is not set; give it a value."
        type_problem = self.type_problem(value)
        if type_problem is not None:
            return f"{self.flag} must be {type_problem}."
        if self.kind == "text" and self.low and not value.strip():
            return f"{self.flag} is empty; give {self.wording}."
        if self.kind not in ("int", "number"):
            return None
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return f"{self.flag} must be {self.wording or self.low_phrase()}."
        high = self.high if self.high is not None else MAX_INT if self.kind == "int" else None
        if high is not None and (value >= high if self.high_open else value > high):
            return f"{self.flag} must be {self.wording or f'at most {plain_number(high)}'}."
        return None

    def type_problem(self, value: Any) -> str | None:
        if self.kind == "int" and not (isinstance(value, int) and not isinstance(value, bool)):
            return f"a whole number, not {shown(value)}"
        if self.kind == "number":
            if isinstance(value, bool) or not isinstance(value, int | float):
                return f"a number, not {shown(value)}"
            if not is_finite(value):
                return f"a finite number, not {shown(value)}"
        if self.kind == "bool" and not isinstance(value, bool):
            return f"true or false, not {shown(value)}"
        if self.kind == "text" and not isinstance(value, str):
            return f"text, not {shown(value)}"
        if self.kind == "choice" and value not in self.choices:
            *first, last = self.choices
            return f"{', '.join(first)} or {last}, not {shown(value)}"
        return None

    def low_phrase(self) -> str:
        assert self.low is not None
        if self.low_open:
            return "positive" if self.low == 0 else f"more than {plain_number(self.low)}"
        return "0 or more" if self.low == 0 else f"at least {plain_number(self.low)}"


@dataclass
class ModelConfig:
    vocab_size: int
    cell: str = "lstm"  # "lstm" or "gru"
    embedding_size: int = 128
    hidden_size: int = 256
    num_layers: int = 2
    dropout: float = 0.1
    tied: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TokenizerConfig:
    kind: str = "char"  # char | word | spm
    vocab_size: int = 2000  # spm only
    spm_model: str = "bpe"  # spm only: bpe | unigram
    min_count: int = 2  # word only: rarer words become <unk>


@dataclass
class TrainingConfig:
    batch_size: int = 32
    auto_batch_size: bool = False  # `--batch-size auto`: probe the largest batch that fits, once, at the start
    # Short windows and a high peak rate win when the clock is what is scarce: on two CPU cores a minute on the
    # sonnets reaches 2.34 bits/char instead of 2.73 with bptt 128 at 2e-3 (benchmarks/RESULTS.md). The hidden
    # state still carries across windows, so context is not cut at 32 tokens, only the gradient.
    bptt: int = 32
    random_windows: bool = False
    learning_rate: float = 8e-3
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    warmup_steps: int = 50
    schedule: str = "cosine"  # cosine | plateau | constant
    min_lr_ratio: float = 0.1
    max_steps: int | None = None
    max_minutes: float | None = None
    epochs: float | None = None
    eval_every_steps: int = 200
    eval_every_seconds: float | None = None
    patience: int | None = None  # evaluations without improvement before stopping early
    checkpoint_every_steps: int | None = None  # extra step-NNNNNNNN checkpoints kept beside latest/best
    log_every_steps: int = 10
    sample_length: int = 200
    validation_fraction: float = 0.1
    device: str = "auto"  # auto | cpu | cuda
    precision: str = "auto"  # auto (bf16 on CUDA) | bf16 | fp32


@dataclass
class RunConfig:
    corpus: str
    seed: int = 1337
    tokenizer: TokenizerConfig = field(default_factory=TokenizerConfig)
    model: ModelConfig = field(default_factory=lambda: ModelConfig(vocab_size=0))
    training: TrainingConfig = field(default_factory=TrainingConfig)
    corpus_source: str = ""  # resolved path of the corpus when training started
    corpus_fingerprint: str = ""  # sha256 of the corpus text, checked again on resume

    def validate(self, available_bytes: int | None = None) -> None:
        """Refuse any value that would fail later, with the flag to change, before anything is written.

        Also run on configs read back from run.toml, so a field of the wrong type is a PoetError too.
        `available_bytes`: also refuse a model too big to train in that much memory."""
        for rule in RULES:
            problem = rule.problem(self.value_of(rule))
            if problem is not None:
                raise PoetError(problem)
        if self.tokenizer.kind == "spm" and self.tokenizer.vocab_size < SPM_MIN_VOCAB:
            raise PoetError(f"--vocab-size must be at least {SPM_MIN_VOCAB} for spm (it has 256 byte pieces).")
        model = replace(self.model, vocab_size=self.known_vocab_size())
        problem = model_size_problem(model, available_bytes)
        if problem is not None:
            raise PoetError(self.size_sentence(model, problem))

    def value_of(self, rule: Rule) -> Any:
        holder = getattr(self, rule.section, None) if rule.section else self
        return getattr(holder, rule.name, MISSING)

    def known_vocab_size(self) -> int:
        """The model's vocabulary if known; before the tokenizer exists, spm's --vocab-size is its size."""
        if self.model.vocab_size:
            return self.model.vocab_size
        return self.tokenizer.vocab_size if self.tokenizer.kind == "spm" else 0

    def size_sentence(self, model: ModelConfig, problem: str) -> str:
        """Name the flags that made the model too big: the vocabulary's or the recurrent layers'."""
        layers = f"--layers {model.num_layers}"
        recurrent = recurrent_parameter_count(model.cell, model.embedding_size, model.hidden_size, model.num_layers)
        if vocabulary_parameter_count(model) > recurrent:
            if self.model.vocab_size:
                subject = f"a vocabulary of {model.vocab_size} tokens with --embedding {model.embedding_size}"
                advice = "a smaller --embedding"
            else:
                subject = f"--vocab-size {model.vocab_size} with --embedding {model.embedding_size}"
                advice = "a smaller --vocab-size or --embedding"
        elif model.embedding_size > model.hidden_size:
            subject = f"--embedding {model.embedding_size} with --hidden {model.hidden_size} and {layers}"
            advice = "a smaller --embedding, --hidden or --layers"
        else:
            subject = f"--hidden {model.hidden_size} with {layers}"
            advice = "a smaller --hidden or --layers"
        return f"{subject} makes {problem}; choose {advice}."

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        """Unknown keys are ignored; a section that is not a table is a PoetError. Values are checked by validate()."""
        if not isinstance(data, dict):
            raise PoetError(f"a run config must be a table of settings, not {shown(data)}")

        def build(section: str, section_class: type, defaults: dict[str, Any]) -> Any:
            values = data.get(section, {})
            if not isinstance(values, dict):
                raise PoetError(f"[{section}] must be a table of settings, not {shown(values)}")
            known = {item.name for item in fields(section_class)}
            return section_class(**{**defaults, **{key: value for key, value in values.items() if key in known}})

        return cls(
            corpus=data["corpus"],
            seed=data.get("seed", 1337),
            tokenizer=build("tokenizer", TokenizerConfig, {}),
            model=build("model", ModelConfig, {"vocab_size": 0}),
            training=build("training", TrainingConfig, {}),
            corpus_source=data.get("corpus_source", ""),
            corpus_fingerprint=data.get("corpus_fingerprint", ""),
        )


RULES: tuple[Rule, ...] = (
    Rule("", "corpus", "--corpus", "text", 1, wording="a corpus name or a path (`poet corpora list` shows the names)"),
    Rule("", "seed", "--seed", "int", 0, MAX_SEED, wording=SEED_RANGE),
    Rule("", "corpus_source", "corpus_source", "text"),
    Rule("", "corpus_fingerprint", "corpus_fingerprint", "text"),
    Rule("tokenizer", "kind", "--tokenizer", "choice", choices=("char", "word", "spm")),
    Rule("tokenizer", "vocab_size", "--vocab-size", "int", 1, MAX_VOCAB),
    Rule("tokenizer", "spm_model", "--spm-model", "choice", choices=("bpe", "unigram")),
    Rule("tokenizer", "min_count", "--min-count", "int", 1),
    Rule("model", "vocab_size", "[model] vocab_size", "int", 0, MAX_VOCAB),
    Rule("model", "cell", "--cell", "choice", choices=("lstm", "gru")),
    Rule("model", "embedding_size", "--embedding", "int", 1, MAX_WIDTH),
    Rule("model", "hidden_size", "--hidden", "int", 1, MAX_WIDTH),
    Rule("model", "num_layers", "--layers", "int", 1, MAX_LAYERS),
    Rule("model", "dropout", "--dropout", "number", 0, 1, high_open=True, wording="in [0, 1)"),
    Rule("model", "tied", "--tied", "bool"),
    Rule("training", "batch_size", "--batch-size", "int", 1, MAX_BATCH_SIZE),
    Rule("training", "auto_batch_size", "[training] auto_batch_size", "bool"),
    Rule("training", "bptt", "--bptt", "int", 1, MAX_BPTT),
    Rule("training", "random_windows", "--random-windows", "bool"),
    Rule("training", "learning_rate", "--lr", "number", 0, low_open=True),
    Rule("training", "weight_decay", "--weight-decay", "number", 0),
    Rule("training", "grad_clip", "--grad-clip", "number", 0, wording="zero (off) or positive"),
    Rule("training", "warmup_steps", "--warmup", "int", 0),
    Rule("training", "schedule", "--schedule", "choice", choices=("cosine", "plateau", "constant")),
    Rule("training", "min_lr_ratio", "[training] min_lr_ratio", "number", 0, 1, wording="between 0 and 1"),
    Rule("training", "max_steps", "--max-steps", "int", 1, optional=True),
    Rule("training", "max_minutes", "--max-minutes", "number", 0, low_open=True, optional=True),
    Rule("training", "epochs", "--epochs", "number", 0, low_open=True, optional=True),
    Rule("training", "eval_every_steps", "--eval-every", "int", 1),
    Rule("training", "eval_every_seconds", "--eval-every-seconds", "number", 0, low_open=True, optional=True),
    Rule("training", "patience", "--patience", "int", 1, optional=True),
    Rule("training", "checkpoint_every_steps", "--checkpoint-every", "int", 1, optional=True),
    Rule("training", "log_every_steps", "--log-every", "int", 1),
    Rule("training", "sample_length", "--sample-length", "int", 1, MAX_LENGTH),
    Rule(
        "training",
        "validation_fraction",
        "--val-fraction",
        "number",
        0,
        1,
        low_open=True,
        high_open=True,
        wording="between 0 and 1",
    ),
    Rule("training", "device", "--device", "choice", choices=("auto", "cpu", "cuda")),
    Rule("training", "precision", "--precision", "choice", choices=("auto", "bf16", "fp32")),
)
RULES_BY_FIELD: dict[tuple[str, str], Rule] = {(rule.section, rule.name): rule for rule in RULES}


def setting_problem(section: str, name: str, value: Any) -> str | None:
    """One setting's check on its own (e.g. a budget given to `--resume`), with the same sentence validate() gives."""
    return RULES_BY_FIELD[section, name].problem(value)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)


def to_toml(data: dict[str, Any]) -> str:
    """A TOML writer for one level of tables of scalars — all a run config needs. None means 'not set'."""
    top = [
        f"{key} = {toml_value(value)}"
        for key, value in data.items()
        if not isinstance(value, dict) and value is not None
    ]
    lines = [*top, ""]
    for key, value in data.items():
        if isinstance(value, dict):
            lines.append(f"[{key}]")
            lines.extend(f"{name} = {toml_value(item)}" for name, item in value.items() if item is not None)
            lines.append("")
    return "\n".join(lines)


def save_run_config(config: RunConfig, path: Path) -> None:
    atomic_write_text(path, to_toml(config.to_dict()))


RUN_CONFIG_LIMIT = 1 << 20  # a run.toml is a few hundred bytes


def load_run_config(path: Path) -> RunConfig:
    """A run's config, read without following links, bounded, and validated like flags before any use."""
    from poet_tui.safe_files import read_text_file_nofollow

    if not os.path.lexists(path):
        raise PoetError(f"{path} is missing; this directory is not a complete poet-tui run.")
    text = read_text_file_nofollow(Path(path), RUN_CONFIG_LIMIT, what="run.toml")
    try:
        config = RunConfig.from_dict(tomllib.loads(text))
        config.validate()
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError, RecursionError, PoetError) as error:
        detail = str(error).rstrip(".")
        raise PoetError(f"{path} is damaged ({detail}); the run's settings cannot be used.") from None
    return config
