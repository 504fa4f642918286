"""f9 in the REPL: find the hidden units whose activation best tracks simple, named features of the text
(position in the line, inside quotes, line of the poem…), by correlation over the model's validation text, and
pick one to colour the text red/blue by (Karpathy's view; the pane draws it).

The search runs in a worker of this screen: a busy line says what it reads and how far it is, escape cancels it
(and closes the dialog once nothing runs), and results are kept per model, layer and text, so opening the
dialog again costs nothing. An exported model carries no training text: the dialog says so and offers the
current text (the latest completion or scored text) instead."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, LoadingIndicator, Select, Static
from textual.worker import get_current_worker

from poet_tui.errors import PoetError

if TYPE_CHECKING:
    from poet_tui.lens.cells import CellFinding

ALL_LAYERS = -1
TOP_PER_FEATURE = 3
PROGRESS_STEP = 0.02  # report progress to the screen only when it moved this much: no flood of messages


class CellsProgress(Message):
    def __init__(self, serial: int, done: float) -> None:
        super().__init__()
        self.serial = serial
        self.done = done


class CellsFound(Message):
    """The findings of search `serial`, or the sentence that says why there are none."""

    def __init__(self, serial: int, findings: list[Any] | None, problem: str = "", characters: int = 0) -> None:
        super().__init__()
        self.serial = serial
        self.findings = findings
        self.problem = problem
        self.characters = characters


def feature_descriptions() -> dict[str, str]:
    from poet_tui.lens.features import FEATURES

    return {feature.name: feature.description for feature in FEATURES}


class CellsScreen(ModalScreen["CellFinding | None"]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel / close", tooltip="Stop the search; close if none runs", id="cells.cancel"),
        Binding("ctrl+t", "current_text", "Current text", tooltip="Search the current text", id="cells.current"),
        Binding("ctrl+l", "next_layer", "Layer", tooltip="Next layer (or all layers)", id="cells.layer"),
    ]

    def __init__(self, loaded: Any, serial: int, cache: dict[Any, Any], current_text: str) -> None:
        super().__init__()
        self.loaded = loaded
        self.serial_of_model = serial
        self.cache = cache
        self.current_text = current_text
        self.source = "validation" if loaded.run is not None else "current"
        self.chosen_layer = ALL_LAYERS
        self.search_serial = 0
        self.searching = False
        self.findings: list[CellFinding] = []
        self.reported = 0.0

    def compose(self) -> ComposeResult:
        layers = self.loaded.model.config.num_layers
        options = [("all layers", ALL_LAYERS), *[(f"layer {layer}", layer) for layer in range(layers)]]
        with Vertical(id="cells-dialog"):
            yield Label("Cells: hidden units that track features of the text", classes="dialog-title")
            with Horizontal(id="cells-controls"):
                yield Label("layer", classes="cells-label")
                yield Select(options, value=ALL_LAYERS, allow_blank=False, id="cells-layer")
                yield LoadingIndicator(id="cells-busy")
            yield Static(id="cells-status")
            yield DataTable(id="cells-table", cursor_type="row", zebra_stripes=True)
            yield Static(id="cells-feature")
            yield Static(
                Content.styled("enter colours the text by the unit · ^l layer · ^t current text · esc", "$text-muted"),
                id="cells-hint",
            )

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("feature", "layer", "unit", "r")
        self.search()

    # ----- searching -----
    def text_label(self) -> str:
        if self.source == "validation":
            return "the validation text"
        if self.loaded.run is None:
            return "the current text (an exported model carries no training text to search)"
        return "the current text"

    def search(self) -> None:
        """Show the findings for the chosen layer and text: from the cache, or from a new search."""
        self.search_serial += 1
        self.workers.cancel_group(self, "cells")
        key = (
            self.serial_of_model,
            self.source,
            self.chosen_layer,
            self.current_text if self.source == "current" else "",
        )
        if key in self.cache:
            self.show_findings(self.cache[key])
            self.say(f"{len(self.cache[key])} findings over {self.text_label()} (kept from before).")
            return
        if self.source == "current" and not self.current_text.strip():
            why = "This exported model carries no training text" if self.loaded.run is None else "There is no text"
            self.say(f"{why}, and there is no current text yet: let the model write, or score a text (^s).")
            self.show_findings([])
            return
        self.searching = True
        self.reported = 0.0
        self.show_busy()
        self.say(f"Searching {self.text_label()}… escape cancels.")
        layers = None if self.chosen_layer == ALL_LAYERS else [self.chosen_layer]
        self.find(self.search_serial, key, layers)

    @work(thread=True, exclusive=True, group="cells", exit_on_error=False)
    def find(self, serial: int, key: Any, layers: list[int] | None) -> None:
        from poet_tui.lens.activations import LensCancelled
        from poet_tui.lens.cells import find_cells
        from poet_tui.lens.lens_text import MAX_LENS_CHARACTERS, NoValidationText, lens_text_for

        worker = get_current_worker()
        last = [0.0]

        def progress(done: float) -> None:
            if done - last[0] >= PROGRESS_STEP or done >= 1.0:
                last[0] = done
                self.post_message(CellsProgress(serial, done))

        try:
            validation = self.source == "validation"
            text = lens_text_for(self.loaded, MAX_LENS_CHARACTERS) if validation else self.current_text
            findings = find_cells(
                self.loaded.model,
                self.loaded.tokenizer,
                text,
                layers=layers,
                top=TOP_PER_FEATURE,
                should_stop=lambda: worker.is_cancelled,
                progress=progress,
            )
        except LensCancelled:
            return
        except NoValidationText as error:  # the engine's reason, and this dialog's way out
            reason = error.reason[:1].upper() + error.reason[1:]
            self.post_message(CellsFound(serial, None, f"{reason}; ^t searches the current text instead."))
            return
        except PoetError as error:
            sentence = str(error)
            self.post_message(CellsFound(serial, None, sentence[:1].upper() + sentence[1:]))
            return
        except Exception:
            self.post_message(CellsFound(serial, None, "The search failed (see the error)."))
            raise
        self.cache[key] = findings
        self.post_message(CellsFound(serial, findings, characters=len(text)))

    def on_cells_progress(self, message: CellsProgress) -> None:
        if message.serial == self.search_serial and self.searching:
            self.say(f"Searching {self.text_label()}… {message.done:.0%} · escape cancels.")

    def on_cells_found(self, message: CellsFound) -> None:
        if message.serial != self.search_serial:
            return
        self.searching = False
        self.show_busy()
        if message.findings is None:
            self.say(message.problem, error=True)
            self.show_findings([])
            return
        self.show_findings(message.findings)
        count = len(message.findings)
        self.say(f"{count} findings over {self.text_label()} ({message.characters:,} characters).")

    # ----- showing -----
    def say(self, text: str, error: bool = False) -> None:
        self.query_one("#cells-status", Static).update(Content.styled(text, "$text-error" if error else ""))

    def show_busy(self) -> None:
        self.query_one("#cells-busy").display = self.searching

    def show_findings(self, findings: list[CellFinding]) -> None:
        self.findings = findings
        table = self.query_one(DataTable)
        table.clear()
        for finding in findings:
            table.add_row(finding.feature, str(finding.layer), str(finding.unit), f"{finding.correlation:+.2f}")
        if findings:
            table.focus()
            self.describe(0)
        else:
            self.query_one("#cells-feature", Static).update("")

    def describe(self, row: int) -> None:
        if not 0 <= row < len(self.findings):
            return
        finding = self.findings[row]
        description = feature_descriptions().get(finding.feature, "")
        self.query_one("#cells-feature", Static).update(
            Content.assemble((finding.feature, "bold"), f": {description} · {finding.kind} state")
        )

    @on(DataTable.RowHighlighted)
    def highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.describe(event.cursor_row)

    @on(DataTable.RowSelected)
    def selected(self, event: DataTable.RowSelected) -> None:
        if 0 <= event.cursor_row < len(self.findings):
            self.dismiss(self.findings[event.cursor_row])

    # ----- choices -----
    @on(Select.Changed, "#cells-layer")
    def layer_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, int) and event.value != self.chosen_layer:
            self.chosen_layer = event.value
            self.search()

    def action_next_layer(self) -> None:
        layers = self.loaded.model.config.num_layers
        following = self.chosen_layer + 1 if self.chosen_layer + 1 < layers else ALL_LAYERS
        self.query_one("#cells-layer", Select).value = following

    def action_current_text(self) -> None:
        if self.source != "current":
            self.source = "current"
            self.search()

    def action_cancel(self) -> None:
        if self.searching:
            self.search_serial += 1
            self.workers.cancel_group(self, "cells")
            self.searching = False
            self.show_busy()
            self.say("Search cancelled. Change the layer, ^t for the current text, or escape to close.")
            return
        self.dismiss(None)
