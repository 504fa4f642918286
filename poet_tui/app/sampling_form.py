"""The REPL's sampling settings: their one-line description, and the small form (F6) that edits top-k, top-p,
seed, temperature, length and the poem stop by typing; and the shortest copied span the REPL highlights (min
copy), which is no sampling setting but belongs with the knobs a user types."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, HorizontalGroup
from textual.message import Message
from textual.widgets import Checkbox, Input, Label, Static

from poet_tui.overlap import DEFAULT_MIN_COPY, MAX_MIN_COPY
from poet_tui.sampling_settings import SamplingSettings

FIELDS = (("temperature", "temp"), ("max_tokens", "length"), ("top_k", "top-k"), ("top_p", "top-p"), ("seed", "seed"))
# How a refusal names each setting: by the form's own labels.
FORM_NAMES = {**dict(FIELDS), "stop_at_end_of_poem": "stop at end of poem"}


def describe(settings: SamplingSettings, length: bool = True) -> str:
    """The status line's settings; `length=False` (a poem in a form) leaves out the length and the poem stop,
    which a form's own end replaces."""
    shown = settings.shown
    if not length:
        return f"temp {shown('temperature')} · top-k {shown('top_k')} · top-p {shown('top_p')} · seed {shown('seed')}"
    return (
        f"temp {shown('temperature')} · length {shown('max_tokens')} · top-k {shown('top_k')} · "
        f"top-p {shown('top_p')} · seed {shown('seed')} · poem stop {shown('stop_at_end_of_poem')}"
    )


def min_copy_problem(text: str, current: int) -> tuple[int | None, str | None]:
    """The typed shortest copy, or why it cannot be, in the form's words."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if 1 <= value <= MAX_MIN_COPY:
        return value, None
    return None, f"Min copy is a whole number of characters from 1 to {MAX_MIN_COPY:,}; it stays {current}."


def parse_setting(key: str, text: str) -> Any:
    if key == "seed":
        return int(text) if text else None
    if key in ("max_tokens", "top_k"):
        return int(text)
    return float(text)


def setting_problem(settings: SamplingSettings, key: str, text: str) -> tuple[Any, str | None]:
    """The typed text as the setting's new value, or why it cannot be, in the form's words."""
    label = FORM_NAMES[key]
    try:
        value = parse_setting(key, text)
    except ValueError:
        kind = "a number" if key in ("temperature", "top_p") else "a whole number"
        return None, f"{label.capitalize()} needs {kind}; it stays {settings.shown(key)}."
    found = replace(settings, **{key: value}).problem(FORM_NAMES)
    if found is None:
        return value, None
    return None, f"{found[1][:1].upper()}{found[1][1:].removesuffix('.')}; it stays {settings.shown(key)}."


class SamplingForm(Horizontal):
    """Edits the settings object in place (the generating thread reads it before every token).

    A typed value is checked on a copy first and only then stored, so the settings never hold an invalid value,
    not even for one token; the refusal shows at the right of the row until the value is fixed or left."""

    class Changed(Message):
        """A setting was typed; the REPL refreshes its status line."""

    class MinCopyChanged(Message):
        """A new shortest copied span was typed; the REPL highlights again with it."""

        def __init__(self, min_copy: int) -> None:
            super().__init__()
            self.min_copy = min_copy

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.settings: SamplingSettings = SamplingSettings()
        self.refused: set[str] = set()  # fields showing text the settings did not take
        self.min_copy = DEFAULT_MIN_COPY

    def compose(self) -> ComposeResult:
        """Two groups side by side, which a narrow terminal puts one under the other (poet.tcss)."""
        with HorizontalGroup(classes="settings-group"):
            for key, label in FIELDS:
                yield Label(label)
                kind: Literal["integer", "number"] = "integer" if key in ("max_tokens", "top_k", "seed") else "number"
                yield Input(compact=True, type=kind, placeholder="random" if key == "seed" else "", id=f"setting-{key}")
        with HorizontalGroup(classes="settings-group"):
            yield Checkbox("stop at end of poem", compact=True, id="setting-poem")
            yield Label("min copy")
            yield Input(str(self.min_copy), compact=True, type="integer", id="setting-min_copy")
        yield Static(id="setting-error", classes="row-error")

    def show(self, settings: SamplingSettings) -> None:
        """Show these settings (changed by keys, or a new object), without echoing the form's own events."""
        self.settings = settings
        for key, _ in FIELDS:
            widget = self.query_one(f"#setting-{key}", Input)
            if not widget.has_focus:
                self.show_value(widget, key)
        poem = self.query_one("#setting-poem", Checkbox)
        if poem.value != settings.stop_at_end_of_poem:
            with poem.prevent(Checkbox.Changed):
                poem.value = settings.stop_at_end_of_poem

    def show_min_copy(self, min_copy: int) -> None:
        self.min_copy = min_copy
        widget = self.query_one("#setting-min_copy", Input)
        if not widget.has_focus:
            self.show_value(widget, "min_copy")

    def show_value(self, widget: Input, key: str) -> None:
        value = self.min_copy if key == "min_copy" else getattr(self.settings, key)
        text = "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
        if widget.value != text:
            with widget.prevent(Input.Changed):
                widget.value = text

    @property
    def error(self) -> str | None:
        """The refusal on show, if any (tests read it)."""
        label = self.query_one("#setting-error", Static)
        return str(label.content) if label.display else None

    def show_error(self, message: str | None) -> None:
        label = self.query_one("#setting-error", Static)
        label.update(message or "")
        label.display = message is not None

    @on(Input.Changed)
    def typed(self, event: Input.Changed) -> None:
        event.stop()
        assert event.input.id is not None
        key = event.input.id.removeprefix("setting-")
        if key == "min_copy":
            value, problem = min_copy_problem(event.value.strip(), self.min_copy)
        else:
            value, problem = setting_problem(self.settings, key, event.value.strip())
        if problem is not None:
            self.refused.add(key)
            event.input.add_class("-invalid")
            self.show_error(problem)
            return
        self.refused.discard(key)
        event.input.remove_class("-invalid")
        self.show_error(None)
        if key == "min_copy":
            assert isinstance(value, int)
            self.min_copy = value
            self.post_message(self.MinCopyChanged(value))
            return
        setattr(self.settings, key, value)
        self.post_message(self.Changed())

    @on(Input.Blurred)
    def left(self, event: Input.Blurred) -> None:
        """Leaving a refused value puts back the one the settings kept, so the form shows what is used."""
        assert event.input.id is not None
        key = event.input.id.removeprefix("setting-")
        if key in self.refused:
            self.refused.discard(key)
            event.input.remove_class("-invalid")
            self.show_value(event.input, key)
            self.show_error(None)

    @on(Checkbox.Changed, "#setting-poem")
    def poem_toggled(self, event: Checkbox.Changed) -> None:
        event.stop()
        self.settings.stop_at_end_of_poem = event.value
        self.post_message(self.Changed())
