"""The REPL's form row (shown with F6 under the sampling settings): the form, N for couplets:N, an acrostic, rhyme
and metre. The row never holds a combination that cannot be written: picking another form turns off the options
that do not fit it (and says why); a typed N or acrostic, or a box, that does not fit is refused in one sentence
and the form stays as it was, as the sampling settings do."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Checkbox, Input, Label, Select, Static

from poet_tui.errors import PoetError
from poet_tui.form_choice import FormChoice, in_words_of, parse_couplets
from poet_tui.forms.definitions import FORM_NAMES

COUPLETS = "couplets"
SELECT_NAMES = tuple(COUPLETS if name == "couplets:N" else name for name in FORM_NAMES)
# The flags' names as this row's fields, for refusals worded by the form definitions.
FIELD_NAMES = {"form": "form", "acrostic": "acrostic", "rhyme": "rhyme", "metre": "metre"}


def app_sentence(error: PoetError, stays: str | None = None) -> str:
    """A form refusal in the row's words, capitalised like the settings form's, with what stays in use."""
    text = in_words_of(str(error), FIELD_NAMES)
    text = text[:1].upper() + text[1:]
    return text if stays is None else f"{text.removesuffix('.')}; it stays {stays}."


class FormPicker(Horizontal):
    """Edits a `FormChoice` and posts each accepted one (`Changed`); the REPL pane holds it and streams with it."""

    class Changed(Message):
        """A new form choice; `dropped` says, one sentence each, which options it turned off and why."""

        def __init__(self, choice: FormChoice, dropped: list[str]) -> None:
            super().__init__()
            self.choice = choice
            self.dropped = dropped

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.choice = FormChoice()
        self.refused: set[str] = set()  # fields showing text the choice did not take

    def compose(self) -> ComposeResult:
        yield Label("form")
        yield Select(
            [(name, name) for name in SELECT_NAMES],
            value="free",
            allow_blank=False,
            compact=True,
            tooltip="A poem in a form ends when the form is complete: the length setting does not apply",
            id="form-name",
        )
        yield Label("N")
        yield Input(compact=True, type="integer", tooltip="couplets:N writes N couplets (1 to 500)", id="form-couplets")
        yield Label("acrostic")
        yield Input(compact=True, placeholder="off", tooltip="Each line starts with a letter of it", id="form-acrostic")
        yield Checkbox("rhyme", compact=True, id="form-rhyme")
        yield Checkbox("metre", compact=True, id="form-metre")
        yield Static(id="form-picker-error", classes="row-error")

    def on_mount(self) -> None:
        self.show(self.choice)

    def show(self, choice: FormChoice) -> None:
        """Show this choice (changed by a key or a newly loaded model) without echoing the row's own events."""
        self.choice = choice
        select = self.query_one("#form-name", Select)
        name = COUPLETS if choice.name.startswith("couplets:") else choice.name
        if select.value != name:
            with select.prevent(Select.Changed):
                select.value = name
        for key, text in (("couplets", str(choice.couplets)), ("acrostic", choice.acrostic)):
            widget = self.query_one(f"#form-{key}", Input)
            if widget.value != text and not (widget.has_focus and key in self.refused):
                with widget.prevent(Input.Changed):
                    widget.value = text
        for key in ("rhyme", "metre"):
            box = self.query_one(f"#form-{key}", Checkbox)
            if box.value != getattr(choice, key):
                with box.prevent(Checkbox.Changed):
                    box.value = getattr(choice, key)

    @property
    def error(self) -> str | None:
        """The refusal on show, if any (tests read it)."""
        label = self.query_one("#form-picker-error", Static)
        return str(label.content) if label.display else None

    def show_error(self, message: str | None) -> None:
        label = self.query_one("#form-picker-error", Static)
        label.update(message or "")
        label.display = message is not None

    def accept(self, choice: FormChoice, dropped: list[str] | None = None) -> None:
        self.choice = choice
        self.show_error(None)
        self.post_message(self.Changed(choice, dropped or []))

    @on(Select.Changed, "#form-name")
    def form_picked(self, event: Select.Changed) -> None:
        """Another form: the options that do not fit it are turned off, never the pick refused."""
        event.stop()
        name = str(event.value)
        choice, dropped = self.choice.with_form(f"couplets:{self.choice.couplets}" if name == COUPLETS else name)
        self.show(choice)
        self.accept(choice, [app_sentence(PoetError(note)) for note in dropped])

    @on(Input.Changed, "#form-couplets, #form-acrostic")
    def typed(self, event: Input.Changed) -> None:
        event.stop()
        assert event.input.id is not None
        key = event.input.id.removeprefix("form-")
        try:
            changes: dict[str, Any]
            if key == "couplets":
                count = parse_couplets(event.value)
                couplets = self.choice.name.startswith("couplets:")
                changes = {"couplets": count, **({"name": f"couplets:{count}"} if couplets else {})}
            else:
                changes = {"acrostic": event.value.strip()}
            choice = self.choice.changed(**changes)
        except PoetError as error:
            self.refused.add(key)
            event.input.add_class("-invalid")
            stays = str(self.choice.couplets) if key == "couplets" else self.choice.acrostic or "off"
            self.show_error(app_sentence(error, stays))
            return
        self.refused.discard(key)
        event.input.remove_class("-invalid")
        self.accept(choice)

    @on(Input.Blurred, "#form-couplets, #form-acrostic")
    def left(self, event: Input.Blurred) -> None:
        """Leaving a refused value puts back the one in use, so the row shows what completions are written in."""
        assert event.input.id is not None
        key = event.input.id.removeprefix("form-")
        if key in self.refused:
            self.refused.discard(key)
            event.input.remove_class("-invalid")
            self.show(self.choice)
            self.show_error(None)

    @on(Checkbox.Changed, "#form-rhyme, #form-metre")
    def toggled(self, event: Checkbox.Changed) -> None:
        """A box that cannot go with the form flips back, and the sentence says why."""
        event.stop()
        assert event.checkbox.id is not None
        key = event.checkbox.id.removeprefix("form-")
        try:
            choice = self.choice.changed(**{key: event.value})
        except PoetError as error:
            with event.checkbox.prevent(Checkbox.Changed):
                event.checkbox.value = not event.value
            self.show_error(app_sentence(error, "off"))
            return
        self.accept(choice)
