"""Run configuration: typed dataclasses for the engine, filled, checked and written through the option table.

Each setting's default, range and names live once, in `options.py`; the dataclasses here take their defaults
from it, so the engine reads `config.training.learning_rate` with a type while every surface stays generated.
No torch here, so the app can read and edit configs without paying for importing it."""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from poet_tui.atomic import atomic_write_text
from poet_tui.errors import PoetError
from poet_tui.model_size import model_size_problem, recurrent_parameter_count, vocabulary_parameter_count
from poet_tui.options import (
    MISSING,
    OPTIONS,
    SPM_MIN_VOCAB,
    Cell,
    Device,
    Namer,
    Option,
    Precision,
    Schedule,
    SpmModel,
    TokenizerKind,
    default_of,
    flag_argument,
    flag_names,
    option,
    option_table,
    shown,
)
from poet_tui.presets import PRESETS

SECTIONS = ("tokenizer", "model", "training")


@dataclass
class ModelConfig:
    vocab_size: int
    cell: Cell = default_of("model.cell")
    embedding_size: int = default_of("model.embedding_size")
    hidden_size: int = default_of("model.hidden_size")
    num_layers: int = default_of("model.num_layers")
    dropout: float = default_of("model.dropout")
    tied: bool = default_of("model.tied")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TokenizerConfig:
    kind: TokenizerKind = default_of("tokenizer.kind")
    vocab_size: int = default_of("tokenizer.vocab_size")  # spm only
    spm_model: SpmModel = default_of("tokenizer.spm_model")  # spm only
    min_count: int = default_of("tokenizer.min_count")  # word only: rarer words become <unk>


@dataclass
class TrainingConfig:
    batch_size: int = default_of("training.batch_size")
    auto_batch_size: bool = default_of("training.auto_batch_size")
    bptt: int = default_of("training.bptt")
    random_windows: bool = default_of("training.random_windows")
    hold_unseen_tokens: bool = default_of("training.hold_unseen_tokens")
    learning_rate: float = default_of("training.learning_rate")
    weight_decay: float = default_of("training.weight_decay")
    grad_clip: float = default_of("training.grad_clip")
    warmup_steps: int = default_of("training.warmup_steps")
    schedule: Schedule = default_of("training.schedule")
    min_lr_ratio: float = default_of("training.min_lr_ratio")
    max_steps: int | None = default_of("training.max_steps")
    max_minutes: float | None = default_of("training.max_minutes")
    epochs: float | None = default_of("training.epochs")
    eval_every_steps: int = default_of("training.eval_every_steps")
    eval_every_seconds: float | None = default_of("training.eval_every_seconds")
    patience: int | None = default_of("training.patience")  # evaluations without improvement before stopping
    checkpoint_every_steps: int | None = default_of("training.checkpoint_every_steps")
    log_every_steps: int = default_of("training.log_every_steps")
    sample_length: int = default_of("training.sample_length")
    validation_fraction: float = default_of("training.validation_fraction")
    device: Device = default_of("training.device")
    precision: Precision = default_of("training.precision")
    threads: int | None = default_of("training.threads")  # None: chosen and tuned (cpu_threads.py)


@dataclass
class RunConfig:
    corpus: str
    seed: int = default_of("seed")
    tokenizer: TokenizerConfig = field(default_factory=TokenizerConfig)
    model: ModelConfig = field(default_factory=lambda: ModelConfig(vocab_size=0))
    training: TrainingConfig = field(default_factory=TrainingConfig)
    corpus_source: str = ""  # resolved path of the corpus when training started
    corpus_fingerprint: str = ""  # sha256 of the corpus text, checked again on resume
    corpus_parts: str = ""  # a combined corpus's parts as trained: `name:share` each (combined_corpus.py)
    corpus_part_fingerprints: str = ""  # and the sha256 of each part's text, in the same order
    # Settings the option table declares but no field above holds yet (a newly declared option before the engine
    # reads it): they still reach the form, the flags, validation and run.toml. Keyed by option key.
    other_settings: dict[str, Any] = field(default_factory=dict)

    # ----- settings by option -----
    def holder(self, section: str) -> Any:
        return getattr(self, section) if section else self

    def has_field(self, item: Option) -> bool:
        holder = self.holder(item.section)
        return item.name in SETTING_FIELDS.get(type(holder), set())

    def setting(self, item: Option) -> Any:
        """The value of one option (MISSING if a dataclass field was deleted from under it)."""
        if self.has_field(item):
            return getattr(self.holder(item.section), item.name, MISSING)
        return self.other_settings.get(item.key, item.default)

    def set_setting(self, item: Option, value: Any) -> None:
        if self.has_field(item):
            setattr(self.holder(item.section), item.name, value)
        else:
            self.other_settings[item.key] = value

    def apply_preset(self, name: str) -> None:
        """A preset's values over the current ones; the one place presets are applied (flags and form alike)."""
        self.apply_settings(PRESETS[name])

    def apply_settings(self, settings: dict[str, Any]) -> None:
        """Option keys and values over the current ones (a preset's, or what `--preset auto` chose)."""
        for key, value in settings.items():
            item = option(key)
            self.set_setting(item, value)
            if item.auto_setting:  # a size the preset names replaces an "auto" the config file asked for
                self.set_setting(option(f"{item.section}.{item.auto_setting}"), False)

    # ----- checking -----
    def validate(
        self, available_bytes: int | None = None, *, options: Iterable[Option] = OPTIONS, names: Namer = flag_names
    ) -> None:
        """Refuse any value that would fail later, naming the setting as the surface at hand calls it.

        Also run on configs read back from run.toml, so a field of the wrong type is a PoetError too.
        `available_bytes`: also refuse a model too big to train in that much memory."""
        for item in options:
            problem = item.problem(self.setting(item), names(item))
            if problem is not None:
                raise PoetError(problem)
        if self.tokenizer.kind == "spm" and self.tokenizer.vocab_size < SPM_MIN_VOCAB:
            vocabulary = names(option("tokenizer.vocab_size"))
            raise PoetError(f"{vocabulary} must be at least {SPM_MIN_VOCAB} for spm (it has 256 byte pieces).")
        model = replace(self.model, vocab_size=self.known_vocab_size())
        problem = model_size_problem(model, available_bytes)
        if problem is not None:
            raise PoetError(self.size_sentence(model, problem, names))

    def known_vocab_size(self) -> int:
        """The model's vocabulary if known; before the tokenizer exists, spm's --vocab-size is its size."""
        if self.model.vocab_size:
            return self.model.vocab_size
        return self.tokenizer.vocab_size if self.tokenizer.kind == "spm" else 0

    def size_sentence(self, model: ModelConfig, problem: str, names: Namer = flag_names) -> str:
        """Name the settings that made the model too big: the vocabulary's or the recurrent layers'."""

        def said(key: str, value: Any) -> str:
            return f"{names(option(key))} {value}"

        embedding = said("model.embedding_size", model.embedding_size)
        hidden = said("model.hidden_size", model.hidden_size)
        layers = said("model.num_layers", model.num_layers)
        embedding_name, hidden_name = names(option("model.embedding_size")), names(option("model.hidden_size"))
        recurrent = recurrent_parameter_count(model.cell, model.embedding_size, model.hidden_size, model.num_layers)
        if vocabulary_parameter_count(model) > recurrent:
            if self.model.vocab_size:
                subject = f"a vocabulary of {model.vocab_size} tokens with {embedding}"
                advice = f"a smaller {embedding_name}"
            else:
                vocabulary = names(option("tokenizer.vocab_size"))
                subject = f"{vocabulary} {model.vocab_size} with {embedding}"
                advice = f"a smaller {vocabulary} or {embedding_name}"
        elif model.embedding_size > model.hidden_size:
            subject = f"{embedding} with {hidden} and {layers}"
            advice = f"a smaller {embedding_name}, {hidden_name} or {names(option('model.num_layers'))}"
        else:
            subject = f"{hidden} with {layers}"
            advice = f"a smaller {hidden_name} or {names(option('model.num_layers'))}"
        return f"{subject} makes {problem}; choose {advice}."

    # ----- the training child's command line -----
    def to_argv(self, options: Iterable[Option] = OPTIONS) -> list[str]:
        """`poet train` flags that rebuild exactly this config: every flagged setting spelt out (`--flag=value`,
        so a corpus named `-x` stays a value), the unset budgets left out."""
        by_key = option_table(options)
        argv = []
        for item in by_key.values():
            value = self.setting(item)
            if item.flag is None or value is None:
                continue
            if item.kind == "bool":
                argv.append(item.flag if value else "--no-" + item.flag.removeprefix("--"))
                continue
            if item.auto_setting and self.setting(by_key[f"{item.section}.{item.auto_setting}"]):
                value = "auto"
            argv.append(flag_argument(item.flag, value))
        return argv

    # ----- run.toml -----
    def to_dict(self, options: Iterable[Option] = OPTIONS) -> dict[str, Any]:
        """Every option's value, top-level ones first, then one table per section (run.toml's shape)."""
        data: dict[str, Any] = {}
        sections: dict[str, dict[str, Any]] = {section: {} for section in SECTIONS}
        for item in options:
            target = sections.setdefault(item.section, {}) if item.section else data
            target[item.name] = self.setting(item)
        return {**data, **sections}

    @classmethod
    def from_dict(cls, data: dict[str, Any], options: Iterable[Option] = OPTIONS) -> RunConfig:
        """Unknown keys are ignored; a section that is not a table is a PoetError. Values are checked by validate()."""
        if not isinstance(data, dict):
            raise PoetError(f"a run config must be a table of settings, not {shown(data)}")
        for section in SECTIONS:
            if not isinstance(data.get(section, {}), dict):
                raise PoetError(f"[{section}] must be a table of settings, not {shown(data[section])}")
        config = cls(corpus=data["corpus"])
        for item in options:
            values = data.get(item.section, {}) if item.section else data
            if item.name in values:
                config.set_setting(item, values[item.name])
        return config


# The typed fields of each part of a config that hold settings (not the parts themselves or other_settings).
SETTING_FIELDS: dict[type, set[str]] = {
    part: {entry.name for entry in fields(part)} - {*SECTIONS, "other_settings"}
    for part in (RunConfig, TokenizerConfig, ModelConfig, TrainingConfig)
}


def setting_problem(key: str, value: Any) -> str | None:
    """One setting's check on its own (e.g. a budget given to `--resume`), with the same sentence validate() gives."""
    return option(key).problem(value)


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


def save_run_config(config: RunConfig, path: Path, options: Iterable[Option] = OPTIONS) -> None:
    atomic_write_text(path, to_toml(config.to_dict(options)))


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
