"""The Train pane's form: one field per option of the option table, grouped as `poet train --help` groups them.

The form builds a `RunConfig` directly and checks it with the same `RunConfig.validate` the command line uses,
naming settings by their form words; the child is started from that config's own flags (`RunConfig.to_argv`)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Grid, VerticalScroll
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Collapsible, Input, Label, Select, Static

from poet_tui.app.corpus_pane import known_corpora
from poet_tui.budget_presets import AUTO, auto_settings, corpus_characters_estimate, training_device
from poet_tui.config import RunConfig
from poet_tui.corpus_registry import all_corpora, find_corpus
from poet_tui.errors import PoetError, did_you_mean
from poet_tui.model_size import memory_for_device
from poet_tui.options import GROUPS, OPTIONS, Option, flagged, form_names, option_table
from poet_tui.presets import PRESET_NAMES
from poet_tui.user_config import apply_run_defaults, run_defaults

DEFAULTS = "defaults"  # the preset list's first entry: every setting at its default (the config file's, if set)


def corpus_names() -> SuggestFromList:
    return SuggestFromList([entry.name for entry in known_corpora()])


def capitalized(message: str) -> str:
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


def field_id(item: Option) -> str:
    return f"field-{item.dest}"


class TrainForm(VerticalScroll):
    """Every value is checked as it is typed; `config()` gives the run's settings or raises PoetError."""

    class Changed(Message):
        def __init__(self, error: str | None) -> None:
            super().__init__()
            self.error = error

    def __init__(
        self, *, options: Iterable[Option] = OPTIONS, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.options = tuple(options)
        self.by_key = option_table(self.options)
        # Every setting a user sets, except the corpus, which has its own field at the top.
        self.fields = [item for item in flagged(self.options) if item.key != "corpus"]
        self.user_defaults = run_defaults()  # the config file's, by option key
        self.initial = apply_run_defaults(RunConfig(corpus=""))
        self.auto_shown: dict[str, Any] = self.auto_values(self.initial)  # what auto last put in the fields
        self.initial.apply_settings(self.auto_shown)
        self.shown_error: str | None = "not checked yet"

    def compose(self) -> ComposeResult:
        with Grid(classes="form-grid wide"):
            yield Label("preset", classes="form-label")
            choices = [(AUTO, AUTO), (DEFAULTS, DEFAULTS), *((name, name) for name in PRESET_NAMES)]
            yield Select(choices, value=AUTO, allow_blank=False, compact=True, id="field-preset")
            yield Label("corpus", classes="form-label")
            yield Input(placeholder="name or path", suggester=corpus_names(), compact=True, id="field-corpus")
        for group, title in GROUPS.items():
            yield from self.group_fields(title, self.fields_of(group, advanced=False))
        with Collapsible(title="Advanced", collapsed=True, id="form-advanced"):
            for group, title in GROUPS.items():
                yield from self.group_fields(title, self.fields_of(group, advanced=True))
        yield Static(id="form-error")

    def fields_of(self, group: str, *, advanced: bool) -> list[Option]:
        return [item for item in self.fields if item.group == group and item.advanced == advanced]

    def group_fields(self, title: str, items: list[Option]) -> ComposeResult:
        if not items:
            return
        yield Static(title, classes="form-section")
        with Grid(classes="form-grid"):
            for item in items:
                yield Label(item.form_label, classes="form-label")
                yield self.make_input(item, self.shown_value(self.initial, item))

    def make_input(self, item: Option, value: Any) -> Widget:
        auto_key = item.auto_setting and self.auto_option(item).key
        if item.key in self.user_defaults or auto_key in self.user_defaults:
            tooltip = f"{item.help} (default: {format_value(value)} from the config file; {item.flag})"
        else:
            tooltip = f"{item.help} (default: {item.default_text()}; {item.flag})"
        options = [("no", False), ("yes", True)] if item.kind == "bool" else [(c, c) for c in item.choices]
        if options:
            select: Select[Any] = Select(options, value=value, allow_blank=False, compact=True, id=field_id(item))
            select.tooltip = tooltip
            return select
        field = Input(
            format_value(value),
            placeholder="none" if item.optional else "number or auto" if item.auto_setting else "",
            type="text" if item.auto_setting or item.kind == "text" else "integer" if item.kind == "int" else "number",
            valid_empty=item.optional,
            compact=True,
            id=field_id(item),
        )
        field.tooltip = tooltip
        return field

    def on_mount(self) -> None:
        self.border_title = "New run"
        self.update_applicable()
        self.validate_now()

    def refresh_corpus_names(self) -> None:
        """A corpus was registered: complete its name too."""
        self.query_one("#field-corpus", Input).suggester = corpus_names()

    def focus_first(self) -> None:
        self.query_one("#field-corpus", Input).focus()

    # ----- reading and writing values -----
    def widget_for(self, dest: str) -> Widget:
        """A field by its flag's name as argparse stores it (`lr`, `batch_size`)."""
        return self.query_one(f"#field-{dest}")

    def set_value(self, dest: str, value: Any) -> None:
        widget = self.widget_for(dest)
        if isinstance(widget, Select):
            widget.value = value
        elif isinstance(widget, Input):
            widget.value = format_value(value)

    def load_config(self, config: RunConfig) -> None:
        """Show a config's settings (a preset applied, or the settings of the run being watched)."""
        for item in self.fields:
            self.set_value(item.dest, self.shown_value(config, item))
        self.corpus = config.corpus

    def shown_value(self, config: RunConfig, item: Option) -> Any:
        """A setting as its field shows it: "auto" for a batch size to be probed."""
        if item.auto_setting and config.setting(self.auto_option(item)):
            return "auto"
        return config.setting(item)

    def auto_option(self, item: Option) -> Option:
        return self.by_key[f"{item.section}.{item.auto_setting}"]

    @property
    def corpus(self) -> str:
        return self.query_one("#field-corpus", Input).value.strip()

    @corpus.setter
    def corpus(self, name: str) -> None:
        self.query_one("#field-corpus", Input).value = name

    def parse(self, item: Option) -> Any:
        widget = self.widget_for(item.dest)
        if isinstance(widget, Select):
            return widget.value
        assert isinstance(widget, Input)
        widget.remove_class("-invalid")
        try:
            return item.parse_text(widget.value)
        except ValueError as error:
            widget.add_class("-invalid")
            name = capitalized(item.form_name)
            text = widget.value.strip()
            if not text:
                raise PoetError(f"{name} needs a value.") from None
            shown = text if len(text) <= 20 else text[:17] + "..."
            raise PoetError(f"{name} must be {error}, not '{shown}'.") from None

    def config(self) -> RunConfig:
        """The run the form describes, checked as `poet train` checks its flags but in the form's words."""
        config = RunConfig(corpus=self.corpus)
        errors = []
        for item in self.fields:
            try:
                value = self.parse(item)
            except PoetError as error:
                errors.append(str(error))
                continue
            if item.auto_setting:
                config.set_setting(self.auto_option(item), value == "auto")
                if value == "auto":
                    continue
            config.set_setting(item, value)
        if errors:
            raise PoetError(errors[0])
        if not config.corpus:
            raise PoetError("Pick a corpus in the Corpus pane (F2), or type a corpus name or path.")
        if find_corpus(config.corpus) is None and not path_exists(config.corpus):
            suggestion = did_you_mean(config.corpus, [entry.name for entry in all_corpora()])
            raise PoetError(f"There is no corpus named '{config.corpus}' and no such file or folder.{suggestion}")
        try:
            config.validate(memory_for_device(config.training.device), options=self.options, names=form_names)
        except PoetError as error:
            raise PoetError(capitalized(str(error))) from None
        return config

    def validate_now(self) -> str | None:
        try:
            self.config()
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

    def update_applicable(self) -> None:
        """Grey out settings that the chosen tokenizer (or any other setting they depend on) ignores."""
        for item in self.fields:
            if item.applies_when is None:
                continue
            key, values = item.applies_when
            decider = self.widget_for(self.by_key[key].dest)
            self.widget_for(item.dest).disabled = getattr(decider, "value", None) not in values

    # ----- events -----
    @on(Select.Changed, "#field-preset")
    def preset_changed(self, event: Select.Changed) -> None:
        """A preset is a starting point: the defaults with the preset's values, the corpus kept."""
        config = apply_run_defaults(RunConfig(corpus=self.corpus))
        if event.value == AUTO:
            self.auto_shown = self.auto_values(config)
            config.apply_settings(self.auto_shown)
        elif event.value != DEFAULTS:
            config.apply_preset(str(event.value))
        self.load_config(config)

    def auto_values(self, config: RunConfig) -> dict[str, Any]:
        """What `auto` sets for this budget, corpus and device, less what the config file sets: auto is the form's
        default, and a value the user wrote down in their config file is theirs (an explicit preset still wins)."""
        device = training_device(config.training.device, ask_torch=False)  # no torch in the UI thread
        choice = auto_settings(config.training.max_minutes, corpus_characters_estimate(config.corpus), device)
        return {key: value for key, value in choice.settings.items() if not self.set_by_config_file(key)}

    def set_by_config_file(self, key: str) -> bool:
        """The config file sets this setting (a batch size of "auto" sets its `auto_batch_size` instead)."""
        item = self.by_key[key]
        return key in self.user_defaults or bool(item.auto_setting and self.auto_option(item).key in self.user_defaults)

    def follow_auto(self, changed: Widget) -> None:
        """With `auto` chosen, a new corpus, budget or device re-sizes the run; a field the user edited keeps its
        value (only fields still showing what auto put there follow the new choice)."""
        watched = [self.widget_for(self.by_key[key].dest) for key in ("training.max_minutes", "training.device")]
        if self.query_one("#field-preset", Select).value != AUTO:
            return
        if changed not in (*watched, self.query_one("#field-corpus", Input)):
            return
        config = RunConfig(corpus=self.corpus)
        minutes = self.parse_quietly(self.by_key["training.max_minutes"])
        if minutes is not None and not isinstance(minutes, float | int):
            return
        config.training.max_minutes = minutes
        config.training.device = self.parse_quietly(self.by_key["training.device"]) or "auto"
        chosen = self.auto_values(config)
        for key, value in chosen.items():
            item = self.by_key[key]
            if format_value(self.parse_quietly(item)) == format_value(self.auto_shown.get(key)):
                self.set_value(item.dest, value)
        self.auto_shown = chosen

    def parse_quietly(self, item: Option) -> Any:
        try:
            return self.parse(item)
        except PoetError:
            return None

    @on(Input.Changed)
    @on(Select.Changed)
    def value_changed(self, event: Message) -> None:
        event.stop()
        if isinstance(event, Input.Changed | Select.Changed):
            self.follow_auto(event.control)
        self.update_applicable()
        self.post_message(self.Changed(self.validate_now()))

    def set_locked(self, locked: bool) -> None:
        """While a run trains the form shows its settings but cannot be edited."""
        for widget in self.query("Input, Select"):
            widget.disabled = locked
        if not locked:
            self.update_applicable()
            self.validate_now()
