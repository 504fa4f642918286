"""F2 Corpus: the bundled and registered corpora, a preview and the statistics of one, and adding a new one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Label, Static

from poet_tui.app.messages import CorpusChosen, ForwardWorkerFailures
from poet_tui.app.path_suggester import PathSuggester
from poet_tui.corpus import CorpusStats, Document
from poet_tui.corpus_registry import CorpusEntry, add_corpus, bundled_corpora, read_registry
from poet_tui.errors import PoetError
from poet_tui.formatting import human_bytes

PREVIEW_POEMS = 3
PREVIEW_LINES = 14


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
    def __init__(self, name: str, stats: CorpusStats, documents: list[Document]) -> None:
        super().__init__()
        self.name = name
        self.stats = stats
        self.documents = documents


class CorpusAdded(Message):
    def __init__(self, entry: CorpusEntry) -> None:
        super().__init__()
        self.entry = entry


class CorpusTable(DataTable[str | int]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select_cursor", "Train on it", id="corpus.train")]


def preview_content(entry: CorpusEntry, stats: CorpusStats, documents: list[Document]) -> Content:
    parts: list[str | tuple[str, str]] = []
    for document in documents[:PREVIEW_POEMS]:
        parts.append((document.title or "(untitled)", "bold $accent"))
        if document.author:
            parts.append((f" — {document.author}", "italic $text-muted"))
        lines = document.text.split("\n")
        body = "\n".join(lines[:PREVIEW_LINES]) + ("\n…" if len(lines) > PREVIEW_LINES else "")
        parts.append("\n" + body + "\n\n")
    return Content.assemble(*parts).rstrip()


def stats_content(entry: CorpusEntry, stats: CorpusStats) -> Content:
    origin = "bundled with poet-tui" if entry.bundled else "registered by you"
    lines: list[str | tuple[str, str]] = [
        (entry.title or entry.name, "bold"),
        f"\n{stats.documents:,} poems · {stats.characters:,} characters · {stats.lines:,} lines",
        f"\n{stats.distinct_characters:,} distinct characters · language {stats.language}",
        f"\n{human_bytes(stats.size_bytes)} on disk, {origin}",
    ]
    if entry.description:
        lines.append((f"\n{entry.description}", "$text-muted"))
    return Content.assemble(*lines)


class CorpusPane(ForwardWorkerFailures, Vertical):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "add", "Add corpus", id="corpus.add"),
        Binding("ctrl+l", "focus_table", "Corpus list", id="corpus.list"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.entries: dict[str, CorpusEntry] = {}
        self.previews: dict[str, CorpusPreview] = {}

    def compose(self) -> ComposeResult:
        with Horizontal():
            with Vertical(id="corpus-left"):
                yield CorpusTable(id="corpus-table", cursor_type="row", zebra_stripes=True, classes="panel")
                with Vertical(id="corpus-add-panel", classes="panel"):
                    yield Label("A poem file (.txt .jsonl .json fortune) or a folder", id="corpus-add-label")
                    with Horizontal(id="corpus-add"):
                        yield Input(
                            placeholder="path (→ completes)", suggester=PathSuggester(), compact=True, id="corpus-path"
                        )
                        yield Input(placeholder="name (optional)", compact=True, id="corpus-name")
                        yield Button("Add", id="corpus-add-button", compact=True)
            with Vertical(id="corpus-right"):
                yield Static(id="corpus-stats", classes="panel")
                with VerticalScroll(id="corpus-preview-scroll", classes="panel"):
                    yield Static(id="corpus-preview")

    def on_mount(self) -> None:
        table = self.query_one(CorpusTable)
        table.border_title = "Corpora"
        self.query_one("#corpus-stats").border_title = "Statistics"
        self.query_one("#corpus-preview-scroll").border_title = "First poems"
        self.query_one("#corpus-add-panel").border_title = "Add a corpus (^n)"
        table.add_column("name", key="name")
        table.add_column("lang", key="language")
        table.add_column("size", key="size")
        table.add_column("poems", key="poems")
        table.add_column("characters", key="characters")
        self.reload()

    def reload(self, select: str | None = None) -> None:
        table = self.query_one(CorpusTable)
        table.clear()
        self.entries = {entry.name: entry for entry in known_corpora(self.notify)}
        for entry in self.entries.values():
            table.add_row(
                entry.name,
                entry.language or "?",
                human_bytes(entry.size_bytes) if entry.path.exists() else "missing",
                f"{entry.documents:,}" if entry.documents is not None else "?",
                f"{entry.characters:,}" if entry.characters is not None else "?",
                key=entry.name,
            )
        if select is not None and select in self.entries:
            table.move_cursor(row=table.get_row_index(select))

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
        corpus = self.entries[name].load()
        self.post_message(CorpusPreview(name, corpus.stats(), corpus.documents[:PREVIEW_POEMS]))

    def on_corpus_preview(self, message: CorpusPreview) -> None:
        self.previews[message.name] = message
        if message.name == self.highlighted:
            self.show_preview(message)

    def show_preview(self, preview: CorpusPreview) -> None:
        entry = self.entries[preview.name]
        self.query_one("#corpus-stats", Static).update(stats_content(entry, preview.stats))
        self.query_one("#corpus-preview", Static).update(preview_content(entry, preview.stats, preview.documents))
        self.query_one("#corpus-preview-scroll", VerticalScroll).scroll_home(animate=False)

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
    def add(self, path: str, name: str | None) -> None:
        self.post_message(CorpusAdded(add_corpus(Path(path), name)))

    def on_corpus_added(self, message: CorpusAdded) -> None:
        entry = message.entry
        self.previews.pop(entry.name, None)
        self.reload(select=entry.name)
        self.query_one("#corpus-path", Input).value = ""
        self.query_one("#corpus-name", Input).value = ""
        self.notify(f"Added corpus '{entry.name}': {entry.documents:,} poems, {entry.characters:,} characters.")
        self.focus_default()
