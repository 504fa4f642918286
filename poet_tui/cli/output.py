"""How the CLI prints: the Rich console, and every table from one helper, so that all of them share a box
style, a left-aligned bold title, and the same column styles (names bold cyan, numbers right-aligned, secondary
columns muted)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from rich import box
from rich.console import Console
from rich.table import Table

from poet_tui.formatting import format_float

ColumnKind = Literal["name", "text", "muted", "number", "problem"]

TABLE_BOX = box.SIMPLE_HEAD
NAME_STYLE = "bold cyan"
MUTED_STYLE = "dim"
FIELD_STYLE = "cyan"  # the labels of a fields table (`poet corpora show`, `poet checkpoints show`)
NARROW_WIDTH = 100
FLATTERED_MARK = "*"
FLATTERED_NOTE = (
    "* a word model's bits/char is flattered by <unk>: every word rarer than its min count is scored as one "
    "cheap <unk> token, so it does not compare with char or spm runs."
)


def cli_console() -> Console:
    """A terminal's own width; piped output gets room for a whole table row instead of Rich's 80 columns."""
    console = Console()
    if not console.is_terminal:
        console = Console(width=140)
    return console


def make_table(title: str, columns: Sequence[tuple[str, ColumnKind]]) -> Table:
    """A titled table whose columns are styled by what they hold. Names and numbers never wrap (a name is what a
    user types next); text columns wrap instead, so on a narrow terminal they give up the room."""
    table = Table(
        title=title,
        title_justify="left",
        title_style="bold",
        box=TABLE_BOX,
        header_style="bold",
        show_edge=False,
        padding=(0, 1, 0, 0),  # with the box's space between columns: two spaces apart, none wasted at the edges
        pad_edge=False,
    )
    for header, kind in columns:
        if kind == "name":
            table.add_column(header, style=NAME_STYLE, no_wrap=True)
        elif kind == "number":
            table.add_column(header, justify="right", no_wrap=True)
        elif kind == "muted":
            table.add_column(header, style=MUTED_STYLE, overflow="fold")
        elif kind == "problem":
            table.add_column(header, style="red", overflow="fold", ratio=1)
        else:
            table.add_column(header, overflow="fold")
    return table


def is_narrow(console: Console) -> bool:
    """Under 100 columns a wide table leaves out its secondary columns rather than cutting its names."""
    return console.width < NARROW_WIDTH


def make_fields_table(title: str) -> Table:
    """A titled two-column table of labelled values (one thing described), in the same box and title style."""
    table = Table(title=title, title_justify="left", title_style="bold", box=None, show_header=False, pad_edge=False)
    table.add_column(style=FIELD_STYLE, no_wrap=True)
    table.add_column(overflow="fold")
    return table


def bits_per_char(value: float | None, tokenizer_kind: str, digits: int = 3) -> str:
    """bits/char as the CLI shows it: a word model's marked, as FLATTERED_NOTE explains under the table; the
    others end in a space, so that right-aligned figures keep their decimal points in one column."""
    shown = format_float(value, digits)
    if value is None:
        return shown
    return shown + (FLATTERED_MARK if tokenizer_kind == "word" else " ")


def flattered_note(tokenizer_kinds: Sequence[str]) -> str | None:
    """The footnote a table needs when it shows a word model's bits/char, else None."""
    return FLATTERED_NOTE if "word" in tokenizer_kinds else None


def print_table(console: Console, table: Table, note: str | None = None) -> None:
    """A table, then its footnote (if any) as one line under it that wraps at the terminal, not the table."""
    console.print(table)
    if note is not None:
        console.print(note, style=MUTED_STYLE, markup=False, highlight=False)
