"""A footer that shows every active key: one row when they fit, two rows (a grid) when they do not."""

from __future__ import annotations

import math

from textual import events
from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

PADDING = 4  # a space either side of the key, one after the description, one between keys


class KeyFooter(Footer):
    DEFAULT_CSS = """
    KeyFooter {
        layout: grid;
        grid-columns: auto;
        grid-gutter: 0 0;
        height: auto;
        max-height: 2;
        FooterKey {
            margin: 0 1 0 0;
        }
    }
    """

    def __init__(self) -> None:
        super().__init__(compact=False, show_command_palette=False)
        self.last_width = 0

    def compose(self) -> ComposeResult:
        keys = list(super().compose())
        width = sum(len(key.key_display) + len(key.description) + PADDING for key in keys if isinstance(key, FooterKey))
        rows = 1 if width <= max(self.app.size.width, 1) else 2
        self.styles.grid_size_columns = max(1, math.ceil(len(keys) / rows))
        yield from keys

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self.last_width:
            self.last_width = event.size.width
            self.call_after_refresh(self.recompose)
