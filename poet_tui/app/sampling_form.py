"""The REPL's sampling settings: their one-line description, and the small form (F6) that edits top-k, top-p,
seed, temperature, length and the poem stop by typing."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Checkbox, Input, Label

from poet_tui.errors import PoetError

FIELDS = (("temperature", "temp"), ("max_tokens", "length"), ("top_k", "top-k"), ("top_p", "top-p"), ("seed", "seed"))


def describe(settings: Any) -> str:
    return (
        f"temp {settings.temperature:.2f} · length {settings.max_tokens} · "
        f"top-k {settings.top_k or 'off'} · top-p {settings.top_p:.2f} · "
        f"seed {settings.seed if settings.seed is not None else 'random'} · "
        f"poem stop {'on' if settings.stop_at_end_of_poem else 'off'}"
    )


def parse_setting(key: str, text: str) -> Any:
    if key == "seed":
        return int(text) if text else None
    if key in ("max_tokens", "top_k"):
        return int(text)
    return float(text)


class SamplingForm(Horizontal):
    """Edits the settings object in place (the generating thread reads it before every token)."""

    class Changed(Message):
        """A setting was typed; the REPL refreshes its status line."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.settings: Any = None

    def compose(self) -> ComposeResult:
        for key, label in FIELDS:
            yield Label(label)
            kind = "integer" if key in ("max_tokens", "top_k", "seed") else "number"
            yield Input(compact=True, type=kind, placeholder="random" if key == "seed" else "", id=f"setting-{key}")
        yield Checkbox("stop at end of poem", compact=True, id="setting-poem")

    def show(self, settings: Any) -> None:
        """Show these settings (changed by keys, or a new object), without echoing the form's own events."""
        self.settings = settings
        for key, _ in FIELDS:
            value = getattr(settings, key)
            text = "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
            widget = self.query_one(f"#setting-{key}", Input)
            if widget.value != text and not widget.has_focus:
                with widget.prevent(Input.Changed):
                    widget.value = text
        poem = self.query_one("#setting-poem", Checkbox)
        if poem.value != settings.stop_at_end_of_poem:
            with poem.prevent(Checkbox.Changed):
                poem.value = settings.stop_at_end_of_poem

    @on(Input.Changed)
    def typed(self, event: Input.Changed) -> None:
        event.stop()
        assert event.input.id is not None
        key = event.input.id.removeprefix("setting-")
        previous = getattr(self.settings, key)
        try:
            setattr(self.settings, key, parse_setting(key, event.value.strip()))
            if hasattr(self.settings, "validate"):
                self.settings.validate()
        except (ValueError, PoetError):
            setattr(self.settings, key, previous)
            event.input.add_class("-invalid")
            return
        event.input.remove_class("-invalid")
        self.post_message(self.Changed())

    @on(Checkbox.Changed, "#setting-poem")
    def poem_toggled(self, event: Checkbox.Changed) -> None:
        event.stop()
        self.settings.stop_at_end_of_poem = event.value
        self.post_message(self.Changed())
