"""ctrl+s in the REPL: paste a poem, or load one from a file, to see where the model is surprised by it.

The dialog only gathers the text: a file is read in a worker (the path completes with →), into the text area,
where it can still be edited; ctrl+s hands the text to the pane, which shows it coloured by surprisal with its
bits/char once a worker has scored it. A file that cannot be read, is not UTF-8 or is too long is one sentence
under the text."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, TextArea

from poet_tui.app.path_suggester import PathSuggester
from poet_tui.errors import PoetError

MAX_CHARACTERS = 100_000  # a long poem or a small collection; the transcript colours every token of it


class TextLoaded(Message):
    def __init__(self, text: str | None, problem: str = "") -> None:
        super().__init__()
        self.text = text
        self.problem = problem


def read_poem(path_text: str) -> str:
    """The text of the file at `path_text` as every corpus file is read (UTF-8 checked, binary refused, CRLF and
    Unicode forms normalised, a FIFO never opened), or one sentence saying why not."""
    from poet_tui.corpus_reading import expand_user_path, read_text_file, shown

    path = expand_user_path(path_text.strip())
    if not path.is_file():
        raise PoetError(f"{shown(path)} is not a file; give the path of a text file with the poem.")
    if path.suffix != ".gz" and path.stat().st_size > MAX_CHARACTERS * 4:
        raise PoetError(
            f"{shown(path)} is too long to score here (over {MAX_CHARACTERS:,} characters); take a part of it."
        )
    return read_text_file(path)


def plain_newlines(text: str) -> str:
    """A pasted text's CR LF or CR line ends as the model read its corpus's (TextArea keeps the ones pasted)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def refusal(text: str) -> str | None:
    """Why `text` cannot be scored, or None."""
    if not text.strip():
        return "Paste a poem above, or give a file and press Enter to load it."
    if len(text) > MAX_CHARACTERS:
        return f"The text has {len(text):,} characters; score at most {MAX_CHARACTERS:,} at a time."
    return None


class ScoreTextScreen(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "score", "Score", tooltip="Score the text: where is the model surprised?", id="score.run"),
        Binding("escape", "dismiss(None)", "Cancel", id="score.cancel"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="score-dialog"):
            yield Label("Score a text", classes="dialog-title")
            yield Label("Paste a poem below, or load a file: the model reads it and shows where it is surprised.")
            yield TextArea(id="score-text", soft_wrap=True, show_line_numbers=False)
            with Horizontal(id="score-file"):
                yield Label("file", classes="score-label")
                yield Input(placeholder="a text file: Enter loads it", suggester=PathSuggester(), id="score-path")
            yield Static(id="score-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="score-cancel")
                yield Button("Score ^s", id="score-run", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#score-error").display = False
        self.query_one(TextArea).focus()

    def show_error(self, text: str | None) -> None:
        error = self.query_one("#score-error", Static)
        error.display = text is not None
        error.update(text or "")

    @on(Input.Submitted, "#score-path")
    def load(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.read_file(event.value)

    @work(thread=True, exclusive=True, group="score-file", exit_on_error=False)
    def read_file(self, path_text: str) -> None:
        try:
            self.post_message(TextLoaded(read_poem(path_text)))
        except PoetError as error:
            self.post_message(TextLoaded(None, str(error)[:1].upper() + str(error)[1:]))

    def on_text_loaded(self, message: TextLoaded) -> None:
        if message.text is None:
            self.show_error(message.problem)
            return
        area = self.query_one(TextArea)
        area.text = message.text
        area.focus()
        self.show_error(refusal(message.text))

    @on(Button.Pressed, "#score-run")
    def score_pressed(self) -> None:
        self.action_score()

    def action_score(self) -> None:
        text = plain_newlines(self.query_one(TextArea).text)
        problem = refusal(text)
        if problem is not None:
            self.show_error(problem)
            return
        self.dismiss(text)

    @on(Button.Pressed, "#score-cancel")
    def cancelled(self) -> None:
        self.dismiss(None)
