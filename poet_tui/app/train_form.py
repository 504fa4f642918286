"""The Train pane's form: tokenizer, model and training settings, presets, and validation of every value.

Fields are named after `poet train` flags, so a filled form becomes the child's command line through the
CLI's own `arguments_to_argv`, and its RunConfig through the CLI's own `config_from_arguments`."""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Grid, VerticalScroll
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static

from poet_tui.app.corpus_pane import known_corpora
from poet_tui.cli.train_command import FLAG_FIELDS, arguments_to_argv, config_from_arguments
from poet_tui.config import RunConfig
from poet_tui.corpus_registry import find_corpus
from poet_tui.errors import PoetError
from poet_tui.presets import PRESET_NAMES, PRESETS

DEFAULT_PRESET = "tiny-cpu"
DEFAULT_MAX_MINUTES = 10.0


@dataclass(frozen=True)
class FormField:
    flag: str  # the `poet train` option, without dashes, as argparse stores it
    label: str
    kind: type = int  # int, float, str (a choice) or bool
    choices: tuple[str, ...] = ()
    optional: bool = False  # blank means "not set" (the budgets)
    auto: bool = False  # "auto" is a value too (`--batch-size auto`: the largest batch that fits the GPU)


SECTIONS: tuple[tuple[str, tuple[FormField, ...]], ...] = (
    (
        "Tokenizer",
        (
            FormField("tokenizer", "kind", str, ("char", "word", "spm")),
            FormField("vocab_size", "vocab", int),
        ),
    ),
    (
        "Model",
        (
            FormField("cell", "cell", str, ("lstm", "gru")),
            FormField("layers", "layers"),
            FormField("hidden", "hidden"),
            FormField("embedding", "embedding"),
            FormField("dropout", "dropout", float),
            FormField("tied", "tied", bool),
        ),
    ),
    (
        "Training",
        (
            FormField("batch_size", "batch", auto=True),
            FormField("bptt", "bptt"),
            FormField("lr", "learn rate", float),
            FormField("eval_every", "eval every"),
            FormField("log_every", "log every"),
            FormField("seed", "seed"),
            FormField("device", "device", str, ("auto", "cpu", "cuda")),
        ),
    ),
    (
        "Budget (the first reached ends the run)",
        (
            FormField("max_steps", "max steps", optional=True),
            FormField("max_minutes", "minutes", float, optional=True),
            FormField("epochs", "epochs", float, optional=True),
        ),
    ),
)
FIELDS: dict[str, FormField] = {field.flag: field for _, fields in SECTIONS for field in fields}


def config_value(config: RunConfig, flag: str) -> Any:
    if flag == "seed":
        return config.seed
    section, name = FLAG_FIELDS[flag]
    return getattr(getattr(config, section), name)


def default_config(corpus: str = "") -> RunConfig:
    config = RunConfig(corpus=corpus)
    apply_preset(config, DEFAULT_PRESET)
    config.training.max_minutes = DEFAULT_MAX_MINUTES
    return config


def apply_preset(config: RunConfig, preset: str) -> None:
    for section, values in PRESETS.get(preset, {}).items():
        for name, value in values.items():
            setattr(getattr(config, section), name, value)


def corpus_names() -> SuggestFromList:
    return SuggestFromList([entry.name for entry in known_corpora()])


def in_form_words(message: str) -> str:
    """RunConfig.validate names command-line flags; the form calls them by their labels."""
    for field in FIELDS.values():
        # Not followed by a letter or dash: --eval-every is not the start of --eval-every-seconds.
        message = re.sub(rf"--{field.flag.replace('_', '-')}(?![\w-])", field.label, message)
    return message[:1].upper() + message[1:]


def path_exists(text: str) -> bool:
    """Whether a typed path exists; `~nobody/x` (an unknown user) simply does not, rather than raising."""
    try:
        return Path(text).expanduser().exists()
    except (RuntimeError, OSError, ValueError):
        return False


def format_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class TrainForm(VerticalScroll):
    """Every value is checked as it is typed; `arguments()` gives the child's flags or raises PoetError."""

    class Changed(Message):
        def __init__(self, error: str | None) -> None:
            super().__init__()
            self.error = error

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.initial = default_config()
        self.shown_error: str | None = "not checked yet"

    def compose(self) -> ComposeResult:
        with Grid(classes="form-grid wide"):
            yield Label("preset", classes="form-label")
            yield Select(
                [(name, name) for name in PRESET_NAMES],
                value=DEFAULT_PRESET,
                allow_blank=False,
                compact=True,
                id="field-preset",
            )
            yield Label("corpus", classes="form-label")
            yield Input(placeholder="name or path", suggester=corpus_names(), compact=True, id="field-corpus")
        for title, fields in SECTIONS:
            yield Static(title, classes="form-section")
            with Grid(classes="form-grid"):
                for field in fields:
                    yield Label(field.label, classes="form-label")
                    yield self.make_input(field, config_value(self.initial, field.flag))
        yield Static(id="form-error")

    def make_input(self, field: FormField, value: Any) -> Widget:
        identifier = f"field-{field.flag}"
        options = [("no", False), ("yes", True)] if field.kind is bool else [(c, c) for c in field.choices]
        if options:
            return Select(options, value=value, allow_blank=False, compact=True, id=identifier)
        return Input(
            format_value(value),
            placeholder="none" if field.optional else "number or auto" if field.auto else "",
            type="text" if field.auto else "integer" if field.kind is int else "number",
            valid_empty=field.optional,
            compact=True,
            id=identifier,
        )

    def on_mount(self) -> None:
        self.border_title = "New run"
        self.update_vocab_state()
        self.validate_now()

    def refresh_corpus_names(self) -> None:
        """A corpus was registered: complete its name too."""
        self.query_one("#field-corpus", Input).suggester = corpus_names()

    def focus_first(self) -> None:
        self.query_one("#field-corpus", Input).focus()

    # ----- reading and writing values -----
    def widget_for(self, flag: str) -> Widget:
        return self.query_one(f"#field-{flag}")

    def set_value(self, flag: str, value: Any) -> None:
        widget = self.widget_for(flag)
        if isinstance(widget, Select):
            widget.value = value
        elif isinstance(widget, Input):
            widget.value = format_value(value)

    def load_config(self, config: RunConfig) -> None:
        for flag in FIELDS:
            self.set_value(flag, config_value(config, flag))
        self.corpus = config.corpus

    @property
    def corpus(self) -> str:
        return self.query_one("#field-corpus", Input).value.strip()

    @corpus.setter
    def corpus(self, name: str) -> None:
        self.query_one("#field-corpus", Input).value = name

    def parse(self, field: FormField) -> Any:
        widget = self.widget_for(field.flag)
        if isinstance(widget, Select):
            return widget.value
        assert isinstance(widget, Input)
        text = widget.value.strip()
        widget.remove_class("-invalid")
        if not text:
            if field.optional:
                return None
            widget.add_class("-invalid")
            raise PoetError(f"{field.label.capitalize()} needs a value.")
        if field.auto and text == "auto":
            return text
        try:
            return field.kind(text)
        except ValueError:
            widget.add_class("-invalid")
            kind = "a whole number" if field.kind is int else "a number"
            kind += " or auto" if field.auto else ""
            shown = text if len(text) <= 20 else text[:17] + "..."
            raise PoetError(f"{field.label.capitalize()} must be {kind}, not '{shown}'.") from None

    def namespace(self) -> argparse.Namespace:
        """The form as the parsed `poet train` flags it stands for."""
        values: dict[str, Any] = {flag: None for flag in FLAG_FIELDS}
        errors = []
        for field in FIELDS.values():
            try:
                values[field.flag] = self.parse(field)
            except PoetError as error:
                errors.append(str(error))
        if errors:
            raise PoetError(errors[0])
        return argparse.Namespace(corpus=self.corpus, resume=None, preset=None, **values)

    def arguments(self) -> list[str]:
        """The child's flags, after the same validation `poet train` does (RunConfig.validate)."""
        namespace = self.namespace()
        if not namespace.corpus:
            raise PoetError("Pick a corpus in the Corpus pane (F2), or type a corpus name or path.")
        if find_corpus(namespace.corpus) is None and not path_exists(namespace.corpus):
            raise PoetError(f"There is no corpus named '{namespace.corpus}' and no such file or folder.")
        try:
            config_from_arguments(namespace)
        except PoetError as error:
            raise PoetError(in_form_words(str(error))) from None
        return arguments_to_argv(namespace)

    def validate_now(self) -> str | None:
        try:
            self.arguments()
        except PoetError as error:
            message: str | None = str(error)
        else:
            message = None
        if message != self.shown_error:  # redraw (and re-layout) only when the sentence changes
            self.shown_error = message
            error_widget = self.query_one("#form-error", Static)
            error_widget.update(message or "")
            error_widget.display = message is not None
        return message

    def update_vocab_state(self) -> None:
        self.widget_for("vocab_size").disabled = self.widget_for("tokenizer").value != "spm"  # type: ignore[attr-defined]

    # ----- events -----
    @on(Select.Changed, "#field-preset")
    def preset_changed(self, event: Select.Changed) -> None:
        preset = str(event.value)
        for section, values in PRESETS.get(preset, {}).items():
            for name, value in values.items():
                flag = next(f for f, target in FLAG_FIELDS.items() if target == (section, name))
                if flag in FIELDS:
                    self.set_value(flag, value)

    @on(Input.Changed)
    @on(Select.Changed)
    def value_changed(self, event: Message) -> None:
        event.stop()
        self.update_vocab_state()
        self.post_message(self.Changed(self.validate_now()))

    def set_locked(self, locked: bool) -> None:
        """While a run trains the form shows its settings but cannot be edited."""
        for widget in self.query("Input, Select"):
            widget.disabled = locked
        if not locked:
            self.update_vocab_state()
            self.validate_now()
