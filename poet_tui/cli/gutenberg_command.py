"""`poet corpora gutenberg search | add | update`: Project Gutenberg's catalogue and books as corpora.

The parser is built on every `poet` start, so this module imports only argparse at the top; the engine
(`poet_tui.gutenberg`) and Rich load when a Gutenberg command runs.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from poet_tui.gutenberg import AddedCorpus, Catalogue, GutenbergLibrary

SEARCH_LIMIT = 25


def add_gutenberg_parser(corpora_commands: Any) -> None:
    """`poet corpora gutenberg …`, under `poet corpora` (main.py calls this with the corpora sub-parsers)."""
    gutenberg = corpora_commands.add_parser(
        "gutenberg",
        help="search Project Gutenberg and add its books as corpora (POET_GUTENBERG_MIRROR picks the mirror)",
    )
    actions = gutenberg.add_subparsers(dest="gutenberg_action", metavar="ACTION", parser_class=type(gutenberg))
    search = actions.add_parser("search", help="search the catalogue (downloaded once, then searched offline)")
    search.add_argument("words", nargs="*", help="words that must all appear in title, author, subjects or shelves")
    search.add_argument("--language", help="a language code, e.g. en, fr, de")
    search.add_argument("--author", help="only books whose author contains this")
    search.add_argument("--title", help="only books whose title contains this")
    search.add_argument("--subject", help="only books whose subjects or bookshelves contain this")
    search.add_argument("--limit", type=int, default=SEARCH_LIMIT, help=f"most books to show (default {SEARCH_LIMIT})")
    search.add_argument("--refresh", action="store_true", help="download the catalogue again first")
    search.add_argument("--json", action="store_true", help="one JSON document on stdout instead of a table")
    add = actions.add_parser("add", help="download books and register them as one corpus")
    add.add_argument("ids", nargs="+", metavar="ID", help="Gutenberg book numbers (`search` shows them)")
    add.add_argument("--name", help="the corpus name (default: gutenberg-ID[-ID…])")
    add.add_argument("--replace", action="store_true", help="replace the corpus already registered under that name")
    add.add_argument("--as-prose", action="store_true", help="keep the whole text instead of splitting it into poems")
    actions.add_parser("update", help="download the catalogue again")


def gutenberg_command(arguments: argparse.Namespace) -> int:
    from poet_tui.cli.main import EXIT_OK
    from poet_tui.cli.output import cli_console
    from poet_tui.errors import PoetError
    from poet_tui.gutenberg import GutenbergLibrary

    action = arguments.gutenberg_action
    if action is None:
        raise PoetError("name an action: `poet corpora gutenberg search WORDS`, `add ID` or `update`.")
    library = GutenbergLibrary()
    console = cli_console()
    if action == "update":
        catalogue = load_catalogue(library, refresh=True)
        console.print(
            f"the Gutenberg catalogue of {catalogue.date}: {len(catalogue):,} books (from {library.mirror})",
            markup=False,
            highlight=False,
        )
    elif action == "search":
        search(arguments, library, console)
    elif action == "add":
        add(arguments, library, console)
    return EXIT_OK


def load_catalogue(library: GutenbergLibrary, refresh: bool) -> Catalogue:
    from poet_tui.cli.gutenberg_progress import DownloadDisplay

    with DownloadDisplay() as display:
        return library.catalogue(
            refresh=refresh, progress=display.callback("the Gutenberg catalogue"), notice=display.notice
        )


def search(arguments: argparse.Namespace, library: GutenbergLibrary, console: Console) -> None:
    from rich.markup import escape
    from rich.text import Text

    from poet_tui.cli.output import is_narrow, make_table
    from poet_tui.errors import PoetError

    text = " ".join(arguments.words)
    filters = {"language": arguments.language, "author": arguments.author, "title": arguments.title,
               "subject": arguments.subject}  # fmt: skip
    if not text.strip() and not any(filters.values()):
        raise PoetError("give some words to search for, e.g. `poet corpora gutenberg search dickinson`.")
    if arguments.limit < 1:
        raise PoetError(f"--limit must be 1 or more, not {arguments.limit}.")
    catalogue = load_catalogue(library, refresh=arguments.refresh)
    found = catalogue.search(text, limit=None, **filters)
    shown = found[: arguments.limit]
    if arguments.json:
        from poet_tui.cli.json_output import print_json

        print_json({"catalogue_date": catalogue.date, "mirror": library.mirror, "matches": len(found),
                    "books": [book.to_json() for book in shown]})  # fmt: skip
        return
    asked = " ".join(part for part in [text, *(f"{key}:{value}" for key, value in filters.items() if value)] if part)
    if not found:
        console.print(
            f"no books in the Gutenberg catalogue of {catalogue.date} match '{asked}'.", markup=False, highlight=False
        )
        return
    narrow = is_narrow(console)
    columns: list[Any] = [("id", "name"), ("title", "text"), ("author", "text"), ("lang", "muted")]
    if not narrow:
        columns.append(("issued", "muted"))
    matches = f"{len(found):,} book{'' if len(found) == 1 else 's'}"
    # escaped and Text: a search word or a catalogue field like "[/b]" is shown as written, never read as markup
    table = make_table(escape(f"Gutenberg catalogue of {catalogue.date}: {matches} matching '{asked}'"), columns)
    for book in shown:
        cells = [Text(str(book.id)), Text(book.title), Text(book.author), Text(book.language)]
        if not narrow:
            cells.append(Text(book.issued))
        table.add_row(*cells)
    console.print(table)
    more = (
        f"showing {len(shown)} of {len(found):,}; narrow the search or raise --limit. "
        if len(found) > len(shown)
        else ""
    )
    console.print(f"{more}Add a book with `poet corpora gutenberg add ID`.", markup=False, highlight=False)


def add(arguments: argparse.Namespace, library: GutenbergLibrary, console: Console) -> None:
    from poet_tui.cli.gutenberg_progress import DownloadDisplay
    from poet_tui.cli.name_refusals import name_refusals_with_flags

    with DownloadDisplay() as display, name_refusals_with_flags():
        try:
            added = library.add_books(
                arguments.ids,
                arguments.name,
                as_prose=arguments.as_prose,
                replace=arguments.replace,
                progress=lambda book_id, done, total: display.callback(f"book {book_id}")(done, total),
                notice=display.notice,
            )
        except KeyboardInterrupt:
            display.stop()
            print("poet: the download stopped; what arrived is kept, and the same command resumes it.", file=sys.stderr)
            raise
    report_added(added, console)


def report_added(added: AddedCorpus, console: Console) -> None:
    from rich.text import Text

    entry = added.entry
    for book in added.books:
        console.print(book.summary(), markup=False, highlight=False)
    console.print(
        Text.assemble(
            "registered " if added.replaced is None else "replaced ",
            (entry.name, "bold"),
            f": {entry.documents or 0:,} documents, {entry.characters or 0:,} characters ({entry.language}); "
            f"check it with `poet corpora show {entry.name}`, train with `poet train --corpus {entry.name}`",
        ),
        highlight=False,
    )
