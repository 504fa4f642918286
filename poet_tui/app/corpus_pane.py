"""F2 Corpus: the bundled and registered corpora, a preview and the statistics of one, and adding a new one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, ScrollableContainer, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Label, Static

from poet_tui.app.messages import CorpusChosen, ForwardWorkerFailures
from poet_tui.app.modals import ReplaceChoice, ReplaceCorpusScreen
from poet_tui.app.path_suggester import PathSuggester
from poet_tui.combined_corpus import CombinedCorpus
from poet_tui.corpus import CorpusStats, Document, shown
from poet_tui.corpus_registration import CorpusNameTaken, register_corpus
from poet_tui.corpus_registry import CorpusEntry, bundled_corpora, read_registry
from poet_tui.errors import PoetError
from poet_tui.formatting import human_bytes, human_count

if TYPE_CHECKING:
    from poet_tui.app.gutenberg_work import GutenbergSession
    from poet_tui.gutenberg import AddedCorpus

PREVIEW_POEMS = 3
PREVIEW_LINES = 14
LONGEST_NAME_SHOWN = 24  # a registered name may have 64 characters; the table keeps to what it needs


def known_corpora(warn: Callable[..., object] | None = None) -> list[CorpusEntry]:
    """Every usable corpus. A damaged registry file gives the bundled ones and a warning rather than no app at
    all; a damaged entry is named in a warning, the others stay usable."""
    try:
        registry = read_registry()
    except PoetError as error:
        if warn is not None:
            warn(str(error), severity="error", timeout=10)
        return bundled_corpora()
    if warn is not None:
        for damaged in registry.damaged:
            warn(
                f"Registered corpus '{damaged.name}' is damaged ({damaged.reason}); fix it in registry.toml or "
                f"forget it with `poet corpora rm {damaged.name}`.",
                severity="warning",
                timeout=10,
            )
    return bundled_corpora() + registry.entries


class CorpusPreview(Message):
    """A corpus read: its statistics and first poems (a combined corpus's: each part's in turn, `parts` naming
    whose each one is; empty for a corpus that is not combined)."""

    def __init__(
        self, name: str, stats: CorpusStats, documents: list[Document], parts: list[str] | None = None
    ) -> None:
        super().__init__()
        self.name = name
        self.stats = stats
        self.documents = documents
        self.parts = parts or []


class CorpusUnusable(Message):
    """A corpus that cannot be read now (a combined corpus whose part was forgotten): the sentence says why."""

    def __init__(self, name: str, sentence: str) -> None:
        super().__init__()
        self.name = name
        self.sentence = sentence


class CorpusAdded(Message):
    def __init__(self, entry: CorpusEntry, replaced: bool = False) -> None:
        super().__init__()
        self.entry = entry
        self.replaced = replaced


class CorpusNameIsTaken(Message):
    """An add found its name registered already: the pane asks before replacing."""

    def __init__(self, path: str, name: str | None, registered: CorpusEntry) -> None:
        super().__init__()
        self.path = path
        self.name = name
        self.registered = registered


class CorpusTable(DataTable[str | Text]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select_cursor", "Train on it", id="corpus.train")]


class CorpusStatsView(Static, can_focus=True):
    """The highlighted corpus's statistics: focusable, so that in a short terminal Tab scrolls it into view."""


class PathInput(Input):
    """The path box; its keys are in the footer while it has focus."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit", "Add", id="corpus.path.add"),
        Binding("right", "cursor_right", "Complete path", key_display="→", id="corpus.path.complete"),
    ]


class NameInput(Input):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "submit", "Add", id="corpus.name.add")]


def preview_content(
    entry: CorpusEntry, stats: CorpusStats, documents: list[Document], labels: list[str] | None = None
) -> Content:
    parts: list[str | tuple[str, str]] = []
    for index, document in enumerate(documents[:PREVIEW_POEMS]):
        if labels:
            parts.append((f"[{labels[index]}] ", "$text-muted"))
        parts.append((document.title or "(untitled)", "bold $accent"))
        if document.author:
            parts.append((f" — {document.author}", "italic $text-muted"))
        lines = document.text.split("\n")
        body = "\n".join(lines[:PREVIEW_LINES]) + ("\n…" if len(lines) > PREVIEW_LINES else "")
        parts.append("\n" + body + "\n\n")
    return Content.assemble(*parts).rstrip()


def stats_content(entry: CorpusEntry, stats: CorpusStats) -> Content:
    """A short aligned list (the column is narrow): figures first, then where it comes from, then the notes."""
    origin = "bundled with poet-tui" if entry.bundled else entry.where if entry.parts else f"registered: {entry.where}"
    rows = [
        ("poems", f"{stats.documents:,}"),
        ("characters", f"{stats.characters:,} ({stats.distinct_characters:,} distinct)"),
        ("lines", f"{stats.lines:,}"),
        ("language", stats.language),
        ("on disk", human_bytes(stats.size_bytes)),
    ]
    parts: list[str | tuple[str, str]] = [(entry.title or entry.name, "bold")]
    for label, value in rows:
        parts += ["\n", (f"{label:<11}", "$text-muted"), value]
    parts.append((f"\n{origin}", "$text-muted"))
    if entry.description:
        parts.append(f"\n{entry.description}")
    return Content.assemble(*parts)


class CorpusPane(ForwardWorkerFailures, Vertical):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "add", "Add corpus", id="corpus.add"),
        Binding("ctrl+g", "gutenberg", "Gutenberg", tooltip="Add from Project Gutenberg", id="corpus.gutenberg"),
        Binding("ctrl+l", "focus_table", "Corpus list", id="corpus.list"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.entries: dict[str, CorpusEntry] = {}
        self.previews: dict[str, CorpusPreview] = {}
        self.gutenberg: GutenbergSession | None = None  # made on first use: the catalogue is parsed once per app

    def compose(self) -> ComposeResult:
        with Horizontal(id="corpus-main"):
            with Vertical(id="corpus-left"):
                yield CorpusTable(id="corpus-table", cursor_type="row", zebra_stripes=True, classes="panel")
                yield CorpusStatsView(id="corpus-stats", classes="panel")
            with ScrollableContainer(id="corpus-preview-scroll", classes="panel"):
                yield Static(id="corpus-preview")
        with Vertical(id="corpus-add-panel", classes="panel"):
            yield Label("A poem file (.txt .jsonl .json fortune) or a folder of them", id="corpus-add-label")
            with Horizontal(id="corpus-add"):
                yield PathInput(
                    placeholder="file or folder of poems (→ completes)",
                    suggester=PathSuggester(),
                    compact=True,
                    id="corpus-path",
                )
                yield NameInput(placeholder="name (optional)", compact=True, id="corpus-name")
                yield Button("Add", id="corpus-add-button", compact=True)

    def on_mount(self) -> None:
        table = self.query_one(CorpusTable)
        table.border_title = "Corpora"
        self.query_one("#corpus-stats").border_title = "Statistics"
        self.query_one("#corpus-preview-scroll").border_title = "First poems"
        self.query_one("#corpus-add-panel").border_title = "Add a corpus (^n)"
        table.add_column("name", key="name")
        table.add_column("lang", key="language")
        table.add_column(Text("poems", justify="right"), key="poems")
        table.add_column(Text("chars", justify="right"), key="characters")
        self.reload()

    def reload(self, select: str | None = None) -> None:
        table = self.query_one(CorpusTable)
        table.clear()
        self.entries = {entry.name: entry for entry in known_corpora(self.notify)}
        accent = self.app.theme_variables.get("accent", "cyan")  # the user's own corpora stand out
        for entry in self.entries.values():
            name = entry.name if len(entry.name) <= LONGEST_NAME_SHOWN else entry.name[: LONGEST_NAME_SHOWN - 1] + "…"
            table.add_row(
                Text(name, style="bold" if entry.bundled else f"bold {accent}"),
                Text(entry.language or "?", style="dim"),
                Text(human_count(entry.documents) if entry.documents is not None else "?", justify="right"),
                Text(human_count(entry.characters) if entry.characters is not None else "?", justify="right"),
                key=entry.name,
            )
        if select is not None and select in self.entries:
            table.move_cursor(row=table.get_row_index(select))
        self.fit_left_column()

    def on_resize(self) -> None:
        self.fit_left_column()  # the narrow layout (a class on the app) stacks the columns at full width

    def fit_left_column(self) -> None:
        """Side by side, the table and statistics column is as wide as the table's cells need (plus its border,
        padding and scrollbar); the preview takes the rest. Stacked (narrow terminals), it is full width."""
        left = self.query_one("#corpus-left")
        if self.app.has_class("-narrow"):
            left.styles.width = "1fr"
            return
        table = self.query_one(CorpusTable)
        cells = [[column.label.cell_len for column in table.ordered_columns]]
        cells += [[cell_len(str(cell)) for cell in table.get_row_at(index)] for index in range(table.row_count)]
        content = sum(max(column) + 2 * table.cell_padding for column in zip(*cells, strict=True))
        left.styles.width = content + 4 + 1  # round border, padding 0 1, a one-column scrollbar

    @property
    def highlighted(self) -> str | None:
        table = self.query_one(CorpusTable)
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def focus_default(self) -> None:
        self.query_one(CorpusTable).focus()

    def action_focus_table(self) -> None:
        self.focus_default()

    def action_add(self) -> None:
        self.query_one("#corpus-path", Input).focus()

    def action_gutenberg(self) -> None:
        """The Gutenberg dialog; its modules load only when it opens, so the app starts as fast as before."""
        from poet_tui.app.gutenberg_dialog import GutenbergScreen
        from poet_tui.app.gutenberg_work import GutenbergSession

        if self.gutenberg is None:
            self.gutenberg = GutenbergSession()
        self.app.push_screen(GutenbergScreen(self.gutenberg), self.gutenberg_closed)

    def gutenberg_closed(self, added: AddedCorpus | None) -> None:
        if added is None:
            self.focus_default()
            return
        entry = added.entry
        self.previews.pop(entry.name, None)
        self.reload(select=entry.name)
        said = "Replaced" if added.replaced is not None else "Added"
        books = "; ".join(book.summary() for book in added.books)
        self.notify(f"{said} corpus '{entry.name}': {books}.", timeout=8, markup=False)  # titles may hold [ ]
        self.focus_default()

    @on(DataTable.RowHighlighted, "#corpus-table")
    def show_highlighted(self, event: DataTable.RowHighlighted) -> None:
        name = str(event.row_key.value)
        if name in self.previews:
            self.show_preview(self.previews[name])
        else:
            self.query_one("#corpus-stats", Static).update(Content.styled(f"{name}\nreading…", "$text-muted"))
            self.load_preview(name)

    @on(DataTable.RowSelected, "#corpus-table")
    def choose(self, event: DataTable.RowSelected) -> None:
        self.post_message(CorpusChosen(str(event.row_key.value)))

    @work(thread=True, exclusive=True, group="corpus-preview", exit_on_error=False)
    def load_preview(self, name: str) -> None:
        try:
            corpus = self.entries[name].load()
        except PoetError as error:
            if not self.entries[name].parts:
                raise
            self.post_message(CorpusUnusable(name, str(error)))
            return
        if isinstance(corpus, CombinedCorpus):
            chosen = corpus.preview(PREVIEW_POEMS)
            documents, parts = [document for _, document in chosen], [part for part, _ in chosen]
            self.post_message(CorpusPreview(name, corpus.stats(), documents, parts))
        else:
            self.post_message(CorpusPreview(name, corpus.stats(), corpus.documents[:PREVIEW_POEMS]))

    def on_corpus_unusable(self, message: CorpusUnusable) -> None:
        if message.name == self.highlighted:
            self.query_one("#corpus-stats", Static).update(Content.styled(message.sentence, "$error"))
            self.query_one("#corpus-preview", Static).update("")

    def on_corpus_preview(self, message: CorpusPreview) -> None:
        self.previews[message.name] = message
        if message.name == self.highlighted:
            self.show_preview(message)

    def show_preview(self, preview: CorpusPreview) -> None:
        entry = self.entries[preview.name]
        self.query_one("#corpus-stats", Static).update(stats_content(entry, preview.stats))
        content = preview_content(entry, preview.stats, preview.documents, preview.parts)
        self.query_one("#corpus-preview", Static).update(content)
        self.query_one("#corpus-preview-scroll", ScrollableContainer).scroll_home(animate=False)

    @on(Input.Submitted, "#corpus-path, #corpus-name")
    @on(Button.Pressed, "#corpus-add-button")
    def submit_add(self) -> None:
        path = self.query_one("#corpus-path", Input).value.strip()
        name = self.query_one("#corpus-name", Input).value.strip() or None
        if not path:
            self.notify("Type the path of a file or folder of poems first.", severity="warning")
            self.query_one("#corpus-path", Input).focus()
            return
        self.notify(f"Reading {Path(path).name or path}…", timeout=2)
        self.add(path, name)

    @work(thread=True, exclusive=True, group="corpus-add", exit_on_error=False)
    def add(self, path: str, name: str | None, replace: bool = False) -> None:
        try:
            entry, replaced = register_corpus(Path(path), name, replace=replace)
        except CorpusNameTaken as taken:
            self.post_message(CorpusNameIsTaken(path, name, taken.registered))
            return
        self.post_message(CorpusAdded(entry, replaced=replaced is not None))

    def on_corpus_name_is_taken(self, message: CorpusNameIsTaken) -> None:
        """Ask before replacing; Cancel (the default button, or Escape) keeps the registered corpus and the form."""

        def answered(choice: ReplaceChoice | None) -> None:
            if choice == "replace":
                self.add(message.path, message.name, replace=True)
            else:
                self.notify(f"Kept the registered corpus '{message.registered.name}'; nothing was added.", timeout=4)
                self.query_one("#corpus-name", Input).focus()

        screen = ReplaceCorpusScreen(message.registered.name, message.registered.where, shown(message.path))
        self.app.push_screen(screen, answered)

    def on_corpus_added(self, message: CorpusAdded) -> None:
        entry = message.entry
        self.previews.pop(entry.name, None)
        self.reload(select=entry.name)
        self.query_one("#corpus-path", Input).value = ""
        self.query_one("#corpus-name", Input).value = ""
        said = "Replaced" if message.replaced else "Added"
        self.notify(f"{said} corpus '{entry.name}': {entry.documents:,} poems, {entry.characters:,} characters.")
        self.focus_default()
