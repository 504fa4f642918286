"""The REPL's scrolling transcript: one block per prompt, the prompt and its completion told apart by style.

The transcript follows a streaming completion while the user is at its end, and stays put once they scroll up
to read (until they scroll back down to the end). A long completion is kept as a column of segments of about
SEGMENT_CHARS characters, cut at line ends: a batch of tokens redraws only the last segment, so the cost of
an update does not grow with the length of the completion."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Static

from poet_tui.form_choice import forced_note

NEW_POEM = "(a new poem)"
SEGMENT_CHARS = 2000


class Exchange(Vertical):
    """A prompt and its completion, updated in place as batches of tokens arrive."""

    def __init__(self, exchange_id: int, prompt: str) -> None:
        super().__init__(classes="exchange")
        self.exchange_id = exchange_id
        self.prompt = prompt
        self.pieces: list[str] = []
        self.segment_text = ""  # the text of the last segment (the first one also shows the prompt)
        self.segments = 1
        self.footer = "generating…"
        self.finished = False

    def compose(self) -> ComposeResult:
        yield Static(self.render_segment(""), classes="segment")
        yield Static(Content.styled(self.footer, "$text-warning"), classes="exchange-footer")

    @property
    def completion(self) -> str:
        return "".join(self.pieces)

    def render_segment(self, text: str) -> Content:
        if self.segments > 1:
            return Content(text)
        prompt = (self.prompt, "bold $accent") if self.prompt else (NEW_POEM + "\n", "italic $text-muted")
        return Content.assemble(prompt, text)

    def append(self, text: str) -> None:
        self.pieces.append(text)
        self.segment_text += text
        segment = self.query(".segment").last(Static)
        cut = self.segment_text.rfind("\n")
        if len(self.segment_text) > SEGMENT_CHARS and cut > 0:
            head, self.segment_text = self.segment_text[:cut], self.segment_text[cut + 1 :]
            segment.update(self.render_segment(head))
            self.segments += 1
            following = Static(self.render_segment(self.segment_text), classes="segment")
            self.mount(following, before=self.query_one(".exchange-footer"))
        else:
            segment.update(self.render_segment(self.segment_text))

    def finish(self, tokens: int, tokens_per_second: float, reason: str, forced_steps: int = 0) -> None:
        self.finished = True
        self.footer = f"{tokens:,} tokens · {tokens_per_second:,.0f} tokens/s · {reason}"
        if forced_steps:
            self.footer += f" · {forced_note(forced_steps)}"
        self.query_one(".exchange-footer", Static).update(Content.styled(self.footer, "$text-muted"))


class Transcript(VerticalScroll):
    @property
    def at_end(self) -> bool:
        return self.max_scroll_y - self.scroll_y <= 1

    def follow(self, was_at_end: bool) -> None:
        """Keep showing the end of a growing completion, unless the user has scrolled up to read."""
        if was_at_end:
            self.scroll_end(animate=False)

    def add_exchange(self, exchange: Exchange) -> None:
        self.mount(exchange)
        self.scroll_end(animate=False)

    def add_note(self, text: str, welcome: bool = False) -> None:
        self.mount(Static(Content.styled(text, "$text-muted"), classes="note welcome" if welcome else "note"))

    def clear(self) -> None:
        self.remove_children()
