"""The Rich console the CLI prints tables with."""

from __future__ import annotations

from rich.console import Console


def cli_console() -> Console:
    """A terminal's own width; piped output gets room for a whole table row instead of Rich's 80 columns."""
    console = Console()
    if not console.is_terminal:
        console = Console(width=140)
    return console
