"""A footer that shows every active key and never cuts a label: the keys flow into rows as words do, at most
MAX_ROWS of them. When they do not fit, the footer first drops the padding around keys (compact), then shows the
least important keys without their descriptions, one at a time until the rest fit: first the app's own keys
(help, panes, quit: the same on every pane, and listed by F1), then the pane's from its last one up, so the keys
of the focused widget keep their words longest. A key shown alone keeps its description as a tooltip.

Nothing here knows which keys a pane has: a pane that gains keys gets shorter labels, never cut ones."""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from textual import events
from textual.app import App, ComposeResult
from textual.containers import HorizontalGroup
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

MAX_ROWS = 2
# The cells around a key and its description: " key " + "description " + a margin (compact: "key description ").
PADDING, COMPACT_PADDING = 4, 2


@dataclass(frozen=True)
class Entry:
    key: str  # as shown
    description: str
    app_level: bool  # one of the app's own keys, the same on every pane


@dataclass(frozen=True)
class Layout:
    compact: bool
    key_only: frozenset[int]  # entries shown without their description
    rows: list[list[int]]  # the entries of each row, in order


def entry_width(entry: Entry, compact: bool, key_only: bool) -> int:
    if key_only or not entry.description:
        return cell_len(entry.key) + 1  # the key alone, unpadded, and its margin
    padding = COMPACT_PADDING if compact else PADDING
    return cell_len(entry.key) + cell_len(entry.description) + padding


def flow(widths: list[int], width: int) -> list[list[int]]:
    """Entries into rows as words into lines; an entry's last cell is its margin, which may touch the edge."""
    rows: list[list[int]] = [[]]
    used = 0
    for index, cells in enumerate(widths):
        if rows[-1] and used + cells - 1 > width:
            rows.append([])
            used = 0
        rows[-1].append(index)
        used += cells
    return rows


def collapse_order(entries: list[Entry]) -> list[int]:
    """Which entries lose their description first: the app's keys, then the pane's, each from the last one up."""
    app_keys = [index for index, entry in enumerate(entries) if entry.app_level]
    pane_keys = [index for index, entry in enumerate(entries) if not entry.app_level]
    return [*reversed(app_keys), *reversed(pane_keys)]


def layout(entries: list[Entry], width: int, max_rows: int = MAX_ROWS) -> Layout:
    """The fullest footer that fits `max_rows` rows of `width` cells; if even keys alone do not, more rows."""
    for compact in (False, True):
        rows = flow([entry_width(entry, compact, False) for entry in entries], width)
        if len(rows) <= max_rows:
            return Layout(compact, frozenset(), rows)
    key_only: set[int] = set()
    for index in collapse_order(entries):
        key_only.add(index)
        widths = [entry_width(entry, True, number in key_only) for number, entry in enumerate(entries)]
        rows = flow(widths, width)
        if len(rows) <= max_rows:
            break
    return Layout(True, frozenset(key_only), rows)


class KeyFooter(Footer):
    DEFAULT_CSS = """
    KeyFooter {
        layout: vertical;
        height: auto;
        .footer-row {
            width: 1fr;
            height: 1;
        }
        FooterKey {
            margin: 0 1 0 0;
        }
    }
    """

    def __init__(self) -> None:
        super().__init__(compact=False, show_command_palette=False)
        self.last_width = 0
        self.shown = Layout(False, frozenset(), [])  # what the last compose laid out (tests read it)

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        keys: list[FooterKey] = []
        entries: list[Entry] = []
        seen_actions: set[str] = set()
        for node, binding, enabled, tooltip in self.screen.active_bindings.values():
            if not binding.show or binding.action in seen_actions:
                continue
            seen_actions.add(binding.action)
            key_display = self.app.get_key_display(binding)
            entries.append(Entry(key_display, binding.description, isinstance(node, App)))
            keys.append(
                FooterKey(
                    binding.key,
                    key_display,
                    binding.description,
                    binding.action,
                    disabled=not enabled,
                    tooltip=tooltip or binding.description,
                )
            )
        self.shown = layout(entries, max(self.app.size.width, 1))
        self.set_reactive(Footer.compact, self.shown.compact)
        self.set_class(self.shown.compact, "-compact")
        for row in self.shown.rows:
            with HorizontalGroup(classes="footer-row"):
                for index in row:
                    key = keys[index]
                    if index in self.shown.key_only:
                        key.description = ""
                    key.set_reactive(FooterKey.compact, self.shown.compact)
                    key.set_class(self.shown.compact, "-compact")
                    yield key

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self.last_width:
            self.last_width = event.size.width
            self.call_after_refresh(self.recompose)
