"""The `poet generate -i` REPL's form commands: `:form NAME|free`, `:acrostic TEXT|off`, `:rhyme on|off`,
`:metre on|off`. Each replaces the REPL's `FormChoice` whole or not at all: a value that cannot be written is
refused in one sentence naming the REPL's own command, and the form stays as it was."""

from __future__ import annotations

from dataclasses import dataclass, field

from poet_tui.errors import PoetError
from poet_tui.form_choice import FormChoice, in_words_of
from poet_tui.forms.definitions import FORM_NAMES

FORM_COMMANDS = ("form", "acrostic", "rhyme", "metre")
# The flags' names as the REPL's commands, for refusals worded by the form definitions.
REPL_FORM_NAMES = {name: f":{name}" for name in FORM_COMMANDS}


@dataclass
class ReplForm:
    """The form the REPL's completions are written in (free verse when its choice has none)."""

    choice: FormChoice = field(default_factory=FormChoice)

    def describe(self) -> str:
        if self.choice.form() is None:
            return "form free"
        return f"form {self.choice.describe()} · a poem ends when its form is complete (length does not apply)"


def apply_form_command(command: str, value: str, form: ReplForm) -> str:
    """Change the form from `:command value`; returns what to tell the user, or raises PoetError (unchanged)."""
    choice = form.choice
    try:
        if command == "form":
            if not value:
                raise PoetError(f"':form' takes one of {', '.join(FORM_NAMES)}")
            choice, dropped = choice.with_form(value)
            form.choice = choice
            return "\n".join([form.describe(), *(in_words_of(note, REPL_FORM_NAMES) for note in dropped)])
        if command == "acrostic":
            if not value:
                raise PoetError("':acrostic' takes the letters (e.g. LOVE) or characters (春夏秋冬), or off")
            choice = choice.changed(acrostic="" if value.lower() == "off" else value)
        else:
            if value.lower() not in ("on", "off"):
                raise PoetError(f"':{command}' takes on or off")
            choice = choice.changed(**{command: value.lower() == "on"})
    except PoetError as error:
        shown = in_words_of(str(error), REPL_FORM_NAMES).removesuffix(".")
        raise PoetError(f"{shown}; it stays {current(form.choice, command)}.") from None
    form.choice = choice
    return form.describe()


def current(choice: FormChoice, command: str) -> str:
    """What a refused command leaves in place, as the user would type it."""
    if command == "form":
        return choice.name
    if command == "acrostic":
        return choice.acrostic or "off"
    return "on" if getattr(choice, command) else "off"
