"""The side panel that names where the selected copied span comes from: the source poem's title and author, the
line number, and that line with the copied part marked. Docked right over the transcript's edge and hidden while
no span is selected, so an 80-column REPL loses no room until the user asks where a line came from."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content
from textual.widgets import Static

from poet_tui.app.overlap_view import colour_of

if TYPE_CHECKING:
    from poet_tui.overlap import SourceLine, Span


class OverlapPanel(Static):
    def show_span(self, span: Span | None, line: SourceLine | None, number: int = 0, count: int = 0) -> None:
        """Show `span` (the `number`th of `count` copied spans) and its source line; None hides the panel."""
        if span is None:
            self.display = False
            return
        source = span.source
        title = source.title or f"poem {source.document + 1}"
        parts: list[Content | tuple[str, str] | str] = [
            (f"copy {number} of {count}", "$text-muted"),
            f" · {span.length} characters\n",
            (title, "bold"),
            "\n",
            (f"by {source.author}\n" if source.author else "author unknown\n", "italic"),
            (f"line {source.line if line is None else line.number}\n", "$text-muted"),
        ]
        if line is None:
            parts.append(("(the source text is not at hand)", "$text-muted"))
        else:
            marked = Content(line.text).stylize(f"{colour_of(span)} bold", line.start, line.end)
            parts.append(marked)
            if line.more_lines:
                more = "line" if line.more_lines == 1 else "lines"
                parts.append((f"\n… and {line.more_lines} more {more}", "$text-muted"))
        self.update(Content.assemble(*parts))
        self.display = True
