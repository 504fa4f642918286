"""Run configuration: dataclasses that round-trip through the run's `run.toml`.

No torch here, so the app can read and edit configs without paying for importing it."""

from __future__ import annotations

import json
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from poet_tui.atomic import atomic_write_text
from poet_tui.errors import PoetError


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

    def validate(self) -> None:
        """Refuse values that would fail later, with the flag to change."""
        training, model = self.training, self.model
        checks = [
            (training.batch_size >= 1, "--batch-size must be at least 1"),
            (training.bptt >= 1, "--bptt must be at least 1"),
            (training.learning_rate > 0, "--lr must be positive"),
            (training.grad_clip >= 0, "--grad-clip must be zero (off) or positive"),
            (training.schedule in ("cosine", "plateau", "constant"), "--schedule must be cosine, plateau or constant"),
            (training.device in ("auto", "cpu", "cuda"), "--device must be auto, cpu or cuda"),
            (training.precision in ("auto", "bf16", "fp32"), "--precision must be auto, bf16 or fp32"),
            (0 < training.validation_fraction < 1, "--val-fraction must be between 0 and 1"),
            (training.eval_every_steps >= 1, "--eval-every must be at least 1"),
            (training.max_steps is None or training.max_steps >= 1, "--max-steps must be at least 1"),
            (training.max_minutes is None or training.max_minutes > 0, "--max-minutes must be positive"),
            (training.epochs is None or training.epochs > 0, "--epochs must be positive"),
            (model.cell in ("lstm", "gru"), "--cell must be lstm or gru"),
            (model.num_layers >= 1, "--layers must be at least 1"),
            (model.hidden_size >= 1, "--hidden must be at least 1"),
            (model.embedding_size >= 1, "--embedding must be at least 1"),
            (0 <= model.dropout < 1, "--dropout must be in [0, 1)"),
            (self.tokenizer.kind in ("char", "word", "spm"), "--tokenizer must be char, word or spm"),
            (self.tokenizer.min_count >= 1, "--min-count must be at least 1"),
        ]
        for ok, message in checks:
            if not ok:
                raise PoetError(message + ".")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        def build(section_class: type, values: dict[str, Any]) -> Any:
            known = {item.name for item in fields(section_class)}
            return section_class(**{key: value for key, value in values.items() if key in known})

        return cls(
            corpus=data["corpus"],
            seed=data.get("seed", 1337),
            tokenizer=build(TokenizerConfig, data.get("tokenizer", {})),
            model=build(ModelConfig, {"vocab_size": 0, **data.get("model", {})}),
            training=build(TrainingConfig, data.get("training", {})),
            corpus_source=data.get("corpus_source", ""),
            corpus_fingerprint=data.get("corpus_fingerprint", ""),
        )


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


def load_run_config(path: Path) -> RunConfig:
    try:
        return RunConfig.from_dict(tomllib.loads(Path(path).read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise PoetError(f"{path} is missing; this directory is not a complete poet-tui run.") from None
    except (tomllib.TOMLDecodeError, KeyError, TypeError, UnicodeDecodeError) as error:
        raise PoetError(f"{path} is damaged ({error}); the run's settings cannot be read.") from None
