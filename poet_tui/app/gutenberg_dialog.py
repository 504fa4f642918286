"""Add from Gutenberg (ctrl+g in the Corpus pane): search the cached catalogue as you type, preview what
splitting makes of a book, choose books and add them as one corpus with a progress bar; escape cancels a
download, and the `.part` it leaves is resumed by the next try. The work runs in gutenberg_work.py's threads,
which only post messages; this screen alone touches its widgets."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Button, DataTable, Input, Label, ProgressBar, Static, Switch

from poet_tui.app.gutenberg_work import (
    AddNameTaken,
    BookPreview,
    BooksAdded,
    CatalogueReady,
    GutenbergFailed,
    GutenbergNotice,
    GutenbergSession,
    PreviewReady,
    SearchFound,
    TransferProgress,
)
from poet_tui.app.key_footer import KeyFooter
from poet_tui.app.messages import ForwardWorkerFailures
from poet_tui.app.modals import ReplaceChoice, ReplaceCorpusScreen
from poet_tui.formatting import human_bytes

if TYPE_CHECKING:
    from poet_tui.gutenberg import AddedCorpus, BookEntry  # noqa: F401  (AddedCorpus: the screen's result type)

SEARCH_DELAY_S = 0.15
CHOSEN_MARK = "✓"


class BookTable(DataTable[str | Text]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,space", "select_cursor", "Choose", tooltip="Choose or unchoose the book", id="gutenberg.choose")
    ]


class SearchInput(Input):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter,down",
            "app.focus_next",
            "Results",
            key_display="↓",
            tooltip="From the search to the results",
            id="gutenberg.results",
        )
    ]


class CorpusNameInput(Input):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "screen.add", "Add", id="gutenberg.name.add")]


class GutenbergScreen(ForwardWorkerFailures, ModalScreen["AddedCorpus | None"]):
    """Dismissed with the added corpus, or None when closed without adding."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "escape", "Close", tooltip="Cancel the download, or close", id="gutenberg.close"),
        Binding(
            "ctrl+o",
            "preview",
            "Preview",
            tooltip="Fetch the highlighted book and show its first poems",
            id="gutenberg.preview",
        ),
        Binding("ctrl+s", "add", "Add", tooltip="Add the chosen books as one corpus", id="gutenberg.add"),
        Binding(
            "ctrl+r",
            "download_catalogue",
            "Get catalogue",
            tooltip="Download the catalogue (again)",
            id="gutenberg.catalogue",
        ),
    ]

    def __init__(self, session: GutenbergSession) -> None:
        super().__init__()
        self.session = session
        self.books: dict[int, BookEntry] = {}
        self.chosen: list[int] = []
        self.generation = 0
        self.search_timer: Timer | None = None
        self.cancel: threading.Event | None = None  # set while something downloads
        self.busy = ""  # "catalogue", "preview" or "add" while it runs

    def compose(self) -> ComposeResult:
        with Vertical(id="gutenberg-dialog"):
            with Horizontal(id="gutenberg-search-row"):
                yield Label("Search", classes="gutenberg-label")
                yield SearchInput(placeholder="title, author, subject words (all must match)", compact=True,
                                  id="gutenberg-search")  # fmt: skip
            yield Label("", id="gutenberg-status")
            with Horizontal(id="gutenberg-main"):
                yield BookTable(id="gutenberg-books", cursor_type="row", zebra_stripes=True, classes="panel")
                with VerticalScroll(id="gutenberg-preview-scroll", classes="panel"):
                    yield Static(id="gutenberg-preview")
            with Horizontal(id="gutenberg-form"):
                yield Label("Name", classes="gutenberg-label")
                yield CorpusNameInput(placeholder="gutenberg-ID", compact=True, id="gutenberg-name")
                yield Label("as prose", id="gutenberg-prose-label")
                yield Switch(id="gutenberg-prose")
                yield Button("Add", id="gutenberg-add-button", compact=True)
            yield ProgressBar(id="gutenberg-progress", show_eta=False)
            yield Label("", id="gutenberg-message")
        yield KeyFooter()

    def on_mount(self) -> None:
        dialog = self.query_one("#gutenberg-dialog")
        dialog.border_title = "Add from Project Gutenberg"
        table = self.query_one(BookTable)
        table.border_title = "Books"
        table.add_column(" ", key="chosen")
        table.add_column("id", key="id")
        table.add_column("title", key="title")
        table.add_column("author", key="author")
        table.add_column("lang", key="language")
        self.query_one("#gutenberg-preview-scroll").border_title = "Preview"
        self.query_one("#gutenberg-progress").display = False
        self.show_preview_hint()
        self.query_one(SearchInput).focus()
        if self.session.catalogue is not None:
            self.catalogue_ready(CatalogueReady(self.session.catalogue))
        else:
            self.say_status("Reading the cached catalogue…")
            self.run_worker(self.catalogue_work(download=False), thread=True, group="gutenberg-catalogue",
                            exclusive=True, exit_on_error=False)  # fmt: skip

    # ----- small helpers that touch widgets (the main thread only)
    def say_status(self, text: str, style: str = "$text-muted") -> None:
        self.query_one("#gutenberg-status", Label).update(Content.styled(text, style))

    def say(self, text: str, style: str = "") -> None:
        # Content, never markup: a sentence may quote a name or URL with brackets in it
        self.query_one("#gutenberg-message", Label).update(Content.styled(text, style) if style else Content(text))

    def set_preview(self, content: Content | str) -> None:
        self.query_one("#gutenberg-preview", Static).update(content)
        self.query_one("#gutenberg-preview-scroll", VerticalScroll).scroll_home(animate=False)

    @property
    def highlighted(self) -> int | None:
        table = self.query_one(BookTable)
        if not table.row_count:
            return None
        return int(str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value))

    def start(self, busy: str) -> threading.Event | None:
        """Begin a download; None (and a line saying so) while another runs."""
        if self.busy:
            self.say(f"Wait for the {self.busy} to finish, or press escape to cancel it.", "$warning")
            return None
        self.busy = busy
        self.cancel = threading.Event()
        bar = self.query_one("#gutenberg-progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        self.say("")
        return self.cancel

    def finish(self) -> None:
        self.busy = ""
        self.cancel = None
        self.query_one("#gutenberg-progress", ProgressBar).display = False

    # ----- worker bodies: bound to the session, posting to this screen
    def catalogue_work(self, download: bool) -> Callable[[], None]:
        cancel = self.cancel or threading.Event()
        return lambda: self.session.load_catalogue(self.post_message, download, cancel)

    # ----- the catalogue
    def action_download_catalogue(self) -> None:
        if self.start("catalogue download") is None:
            return
        self.say_status("Downloading the catalogue (about 15 MB)…")
        self.run_worker(self.catalogue_work(download=True), thread=True, group="gutenberg-catalogue",
                        exclusive=True, exit_on_error=False)  # fmt: skip

    @on(CatalogueReady)
    def catalogue_ready(self, message: CatalogueReady) -> None:
        if message.downloaded:
            self.finish()
        catalogue = message.catalogue
        if catalogue is None:
            self.say_status("No Gutenberg catalogue is cached yet: ctrl+r downloads it (about 15 MB).", "$warning")
            return
        self.say_status(f"Catalogue of {catalogue.date}: {len(catalogue):,} books. Type words to search.")
        self.schedule_search()

    # ----- searching as the user types
    @on(Input.Changed, "#gutenberg-search")
    def schedule_search(self) -> None:
        if self.search_timer is not None:
            self.search_timer.stop()
        self.search_timer = self.set_timer(SEARCH_DELAY_S, self.search_now)

    def search_now(self) -> None:
        if self.session.catalogue is None:
            return
        self.generation += 1
        generation, words = self.generation, self.query_one(SearchInput).value
        self.run_worker(lambda: self.session.search(self.post_message, generation, words), thread=True,
                        group="gutenberg-search", exclusive=True, exit_on_error=False)  # fmt: skip

    @on(SearchFound)
    def show_found(self, message: SearchFound) -> None:
        if message.generation != self.generation or self.session.catalogue is None:
            return  # a newer search is on its way
        date = self.session.catalogue.date
        table = self.query_one(BookTable)
        table.clear()
        self.books = {book.id: book for book in message.books}
        for book in message.books:
            table.add_row(*self.row_cells(book), key=str(book.id))
        if not message.words.strip():
            self.say_status(f"Catalogue of {date}: {len(self.session.catalogue):,} books. Type words to search.")
        elif not message.matches:
            self.say_status(f"No books in the catalogue of {date} match '{message.words.strip()}'.", "$warning")
        else:
            shown = f"the first {len(message.books)} of " if message.matches > len(message.books) else ""
            plural = "" if message.matches == 1 else "s"
            self.say_status(f"Catalogue of {date}: {shown}{message.matches:,} book{plural}. Enter chooses.")
        if not message.books:
            self.show_preview_hint()

    def row_cells(self, book: BookEntry) -> list[str | Text]:
        mark = Text(CHOSEN_MARK if book.id in self.chosen else "", style="bold green")
        return [mark, Text(str(book.id), style="dim"), Text(book.title), Text(book.author), Text(book.language)]

    # ----- choosing and previewing
    @on(DataTable.RowSelected, "#gutenberg-books")
    def toggle_chosen(self, event: DataTable.RowSelected) -> None:
        book_id = int(str(event.row_key.value))
        if book_id in self.chosen:
            self.chosen.remove(book_id)
        else:
            self.chosen.append(book_id)
        mark = Text(CHOSEN_MARK if book_id in self.chosen else "", style="bold green")
        self.query_one(BookTable).update_cell(str(book_id), "chosen", mark)
        self.update_name_placeholder()

    def update_name_placeholder(self) -> None:
        from poet_tui.gutenberg.adding import default_name

        books = self.chosen or ([self.highlighted] if self.highlighted is not None else [])
        name = self.query_one(CorpusNameInput)
        name.placeholder = default_name([book for book in books if book is not None]) if books else "gutenberg-ID"
        chosen = ", ".join(f"#{book}" for book in self.chosen)
        if not self.busy:
            self.say(f"Chosen: {chosen}" if chosen else "")

    @on(DataTable.RowHighlighted, "#gutenberg-books")
    def show_highlighted(self) -> None:
        self.update_name_placeholder()
        book_id = self.highlighted
        if book_id is not None and book_id in self.session.previews:
            self.show_preview(self.session.previews[book_id])
        else:
            self.show_preview_hint()

    def show_preview_hint(self) -> None:
        book_id = self.highlighted
        if book_id is None:
            self.set_preview(Content.styled("Search, then ctrl+o previews the highlighted book.", "$text-muted"))
        else:
            hint = f"ctrl+o downloads book {book_id} and shows the first poems that splitting finds in it."
            self.set_preview(Content.styled(hint, "$text-muted"))

    def action_preview(self) -> None:
        book_id = self.highlighted
        if book_id is None:
            self.say("Search and highlight a book first.", "$warning")
            return
        cancel = self.start("preview")
        if cancel is None:
            return
        self.set_preview(Content.styled(f"Fetching book {book_id}…", "$text-muted"))
        self.run_worker(lambda: self.session.preview(self.post_message, book_id, cancel), thread=True,
                        group="gutenberg-preview", exclusive=True, exit_on_error=False)  # fmt: skip

    @on(PreviewReady)
    def preview_ready(self, message: PreviewReady) -> None:
        self.finish()
        if message.preview.book_id == self.highlighted:
            self.show_preview(message.preview)

    def show_preview(self, preview: BookPreview) -> None:
        parts: list[str | tuple[str, str]] = [(f"#{preview.book_id}: {preview.summary}", "bold")]
        if preview.problem:
            parts += ["\n", (preview.problem, "$warning")]
        for title, text in preview.poems:
            parts += ["\n\n", (title or "(untitled)", "bold $accent"), "\n", text]
        self.set_preview(Content.assemble(*parts))

    # ----- adding
    @on(Button.Pressed, "#gutenberg-add-button")
    def add_pressed(self) -> None:
        self.action_add()

    def action_add(self, replace: bool = False) -> None:
        books = list(self.chosen) or ([self.highlighted] if self.highlighted is not None else [])
        if not books:
            self.say("Search and choose a book (Enter) first.", "$warning")
            return
        cancel = self.start("download")
        if cancel is None:
            return
        name = self.query_one(CorpusNameInput).value.strip() or None
        as_prose = self.query_one(Switch).value
        ids = [book for book in books if book is not None]
        self.say(f"Adding {', '.join(f'#{book}' for book in ids)}… (escape cancels)")
        self.run_worker(lambda: self.session.add(self.post_message, ids, name, as_prose, replace, cancel),
                        thread=True, group="gutenberg-add", exclusive=True, exit_on_error=False)  # fmt: skip

    @on(TransferProgress)
    def show_progress(self, message: TransferProgress) -> None:
        if not self.busy:
            return
        bar = self.query_one("#gutenberg-progress", ProgressBar)
        bar.update(total=message.total, progress=message.done)
        total = f" of {human_bytes(message.total)}" if message.total else ""
        self.say(f"Downloading {message.what}: {human_bytes(message.done)}{total} (escape cancels)")

    @on(AddNameTaken)
    def ask_replace(self, message: AddNameTaken) -> None:
        self.finish()
        registered = message.registered

        def answered(choice: ReplaceChoice | None) -> None:
            if choice == "replace":
                self.action_add(replace=True)
            else:
                self.say(f"Kept the registered corpus '{registered.name}'; pick another name to add these books.")
                self.query_one(CorpusNameInput).focus()

        self.app.push_screen(ReplaceCorpusScreen(registered.name, registered.where, "these Gutenberg books"), answered)

    @on(BooksAdded)
    def added(self, message: BooksAdded) -> None:
        self.finish()
        self.dismiss(message.added)

    @on(GutenbergFailed)
    def failed(self, message: GutenbergFailed) -> None:
        was = self.busy
        self.finish()
        if self.session.catalogue is None:
            self.say_status("No Gutenberg catalogue is cached yet: ctrl+r downloads it (about 15 MB).", "$warning")
        if was == "preview":
            self.show_preview_hint()
        if message.cancelled:
            self.say(message.sentence, "$warning")
            self.notify(message.sentence, severity="warning", timeout=4, markup=False)
        else:
            self.say(message.sentence, "$error")
            self.notify(message.sentence, severity="error", timeout=8, markup=False)

    @on(GutenbergNotice)
    def noticed(self, message: GutenbergNotice) -> None:
        self.notify(message.sentence, severity="warning", timeout=6, markup=False)

    def on_unmount(self) -> None:
        """Closed or quit while something downloads: stop it (the `.part` stays), so no thread outlives the app."""
        if self.cancel is not None:
            self.cancel.set()

    def action_escape(self) -> None:
        """Escape cancels a download first (what arrived is kept); with nothing running it closes the dialog."""
        if self.cancel is not None:
            self.cancel.set()
            self.say("Cancelling…", "$warning")
            return
        self.dismiss(None)
