"""F1: every key of every pane, read from the bindings themselves so the list cannot drift from them."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

ABOUT = (
    "poet-tui trains small LSTM/GRU language models on poetry. Pick a corpus (F2), train on it (F3), "
    "find its checkpoints (F4) and let it write (F5). Training runs in its own process: quitting can leave it "
    "running, and the next start finds it again."
)


def key_text(key: str) -> str:
    return " / ".join(part.replace("ctrl+", "^") for part in key.split(","))


def binding_lines(title: str, bindings: list[BindingType]) -> list[str | tuple[str, str]]:
    parts: list[str | tuple[str, str]] = [(f"\n{title}\n", "bold $accent")]
    for binding in bindings:
        if isinstance(binding, Binding) and binding.description:
            parts += [(f"  {key_text(binding.key):<16}", "bold"), f"{binding.tooltip or binding.description}\n"]
    return parts


def help_content() -> Content:
    from poet_tui.app.app import PoetApp
    from poet_tui.app.cells_dialog import CellsScreen
    from poet_tui.app.checkpoints_pane import CheckpointsPane, CheckpointTable
    from poet_tui.app.corpus_pane import CorpusPane, CorpusTable
    from poet_tui.app.gutenberg_dialog import BookTable, GutenbergScreen, SearchInput
    from poet_tui.app.lens_panel import AlternativeList
    from poet_tui.app.live_widgets import LossPlot
    from poet_tui.app.repl_pane import PromptInput, ReplPane
    from poet_tui.app.score_dialog import ScoreTextScreen
    from poet_tui.app.train_pane import TrainPane

    parts: list[str | tuple[str, str]] = [(ABOUT + "\n", "$text-muted")]
    parts += binding_lines("Everywhere", [*PoetApp.BINDINGS, Binding("tab,shift+tab", "", "Move between fields")])
    parts += binding_lines("Corpus (F2)", [*CorpusTable.BINDINGS, *CorpusPane.BINDINGS])
    gutenberg = [*SearchInput.BINDINGS, *BookTable.BINDINGS, *GutenbergScreen.BINDINGS]
    parts += binding_lines("Add from Gutenberg (^g in Corpus)", gutenberg)
    parts += binding_lines("Train (F3)", [*TrainPane.BINDINGS, *LossPlot.BINDINGS])
    parts += binding_lines("Checkpoints (F4)", [*CheckpointTable.BINDINGS, *CheckpointsPane.BINDINGS])
    parts += binding_lines("REPL (F5)", [*PromptInput.BINDINGS, *ReplPane.BINDINGS])
    parts += binding_lines("Tokens and alternatives (f8 in REPL)", AlternativeList.BINDINGS)
    parts += binding_lines("Score a text (^s in REPL)", ScoreTextScreen.BINDINGS)
    parts += binding_lines("Cells (f9 in REPL)", CellsScreen.BINDINGS)
    return Content.assemble(*parts).rstrip()


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,f1,q", "dismiss", "Close help", id="help.close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog help"):
            yield Static(help_content())

    def on_mount(self) -> None:
        self.query_one(".help").border_title = "poet-tui keys"
        self.query_one(".help").border_subtitle = "escape closes"
