"""Modal questions: delete what, quit how, replace a corpus or not, open which model."""

from __future__ import annotations

from typing import ClassVar, Generic, Literal, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList
from textual.widgets.option_list import Option

from poet_tui.app.path_suggester import PathSuggester

DeleteChoice = Literal["checkpoint", "run", "cancel"]
QuitChoice = Literal["stop", "leave", "cancel"]
ReplaceChoice = Literal["replace", "cancel"]
ChoiceT = TypeVar("ChoiceT", bound=str)


class ChoiceScreen(ModalScreen[ChoiceT], Generic[ChoiceT]):
    """A question with a few buttons; each button's id is the answer, escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "choose('cancel')", "Cancel", id="modal.cancel"),
        Binding("left", "app.focus_previous", "Previous", show=False),
        Binding("right", "app.focus_next", "Next", show=False),
    ]

    def __init__(self, title: str, question: str, choices: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.question = question
        self.choices = choices  # (answer, label, button variant)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Label(self.question, classes="dialog-question")
            with Horizontal(classes="dialog-buttons"):
                for answer, label, variant in self.choices:
                    yield Button(label, id=f"choice-{answer}", variant=variant)  # type: ignore[arg-type]

    def on_mount(self) -> None:
        self.query(Button).last().focus()

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        assert event.button.id is not None
        self.action_choose(event.button.id.removeprefix("choice-"))

    def action_choose(self, answer: str) -> None:
        self.dismiss(answer)  # type: ignore[arg-type]


class DeleteScreen(ChoiceScreen[DeleteChoice]):
    def __init__(self, run_id: str, stem: str) -> None:
        super().__init__(
            "Delete",
            f"Delete checkpoint '{stem}' of run {run_id}, or the whole run with all its checkpoints and "
            "metrics? This cannot be undone.",
            [
                ("checkpoint", f"Delete '{stem}'", "warning"),
                ("run", "Delete the whole run", "error"),
                ("cancel", "Keep everything", "primary"),
            ],
        )


class QuitScreen(ChoiceScreen[QuitChoice]):
    def __init__(self, run_label: str) -> None:
        super().__init__(
            "A run is training",
            f"{run_label} is still training. Stop it (a checkpoint is saved, resume it later) or leave it "
            "running? The next time you start poet, it shows up in the Train pane.",
            [
                ("stop", "Stop and quit", "error"),
                ("leave", "Leave it running", "warning"),
                ("cancel", "Don't quit", "primary"),
            ],
        )


class ReplaceCorpusScreen(ChoiceScreen[ReplaceChoice]):
    """Adding a corpus under a name already registered: replace that one, or keep it (the default button)."""

    def __init__(self, name: str, registered_path: str, new_path: str) -> None:
        super().__init__(
            "Replace a corpus?",
            f"A corpus named '{name}' is already registered ({registered_path}). Replace it with {new_path}? "
            "No file is touched either way; a stopped run trained on it resumes only if the new text is the same.",
            [
                ("replace", "Replace it", "warning"),
                ("cancel", "Keep the registered one", "primary"),
            ],
        )


class ModelPicker(ModalScreen[str | None]):
    """Pick a checkpoint to load into the REPL: (label, path) pairs."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel", id="picker.cancel")]

    def __init__(self, choices: list[tuple[str, str]]) -> None:
        super().__init__()
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker"):
            yield Label("Open a model in the REPL", classes="dialog-title")
            if self.choices:
                yield OptionList(*(Option(label, id=path) for label, path in self.choices), id="picker-list")
            else:
                yield Label("No checkpoints yet: train a model in the Train pane (F3) first.")
            # A model from elsewhere: an export folder someone shared (`poet export`), or any run or checkpoint.
            yield Input(
                placeholder="or a path: an export folder, a run or a checkpoint file (→ completes), then Enter",
                suggester=PathSuggester(),
                id="picker-path",
            )

    @on(OptionList.OptionSelected)
    def picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    @on(Input.Submitted, "#picker-path")
    def typed(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())
