"""The REPL's scrolling transcript: one block per prompt, the prompt and its completion told apart by style.

The transcript follows a streaming completion while the user is at its end, and stays put once they scroll up
to read (until they scroll back down to the end). A long completion is kept as a column of segments of about
SEGMENT_CHARS characters, cut at line ends: a batch of tokens redraws only the last segment, so the cost of
an update does not grow with the length of the completion.

With an overlap index, each exchange also keeps its completion's matches (found in the generating thread) and
colours the spans copied verbatim from the training text as they stream, by source poem. With the lens on
(issue #18, repl_lens.py) a scored exchange colours its tokens instead, by probability, surprisal or one hidden
unit's activation, and marks the token under the cursor; a branch shows the text it shares with the completion
it branched from, and the alternative chosen there, before its own completion."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widget import AwaitMount
from textual.widgets import Static

from poet_tui.app.lens_view import ACTIVATION_RANGE, TOKEN_META, LensMode, scored_content, traced_content
from poet_tui.app.overlap_view import highlighted, novelty_text
from poet_tui.form_choice import forced_note
from poet_tui.formatting import plural
from poet_tui.overlap import DEFAULT_MIN_COPY, Match, Span, copied_spans, highlight_regions, novelty

if TYPE_CHECKING:
    from poet_tui.lens.scoring import TokenScore

NEW_POEM = "(a new poem)"
SEGMENT_CHARS = 2000


class TokenClicked(Message):
    """The mouse put the token cursor on token `index` of exchange `exchange_id`."""

    def __init__(self, exchange_id: int, index: int) -> None:
        super().__init__()
        self.exchange_id = exchange_id
        self.index = index


class Segment(Static):
    """A stretch of an exchange's text; a click on a scored token (its index in the style's meta) moves the
    token cursor."""

    def on_click(self, event: events.Click) -> None:
        index = event.style.meta.get(TOKEN_META)
        exchange = self.parent
        if isinstance(index, int) and isinstance(exchange, Exchange):
            self.post_message(TokenClicked(exchange.exchange_id, index))


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
        self.segment_starts = [0]  # where each segment starts in the completion (the newline between is cut)
        # Matches of the completion alone: the prompt is the user's, so a quotation typed there is not the
        # model copying; a copy the model continues from the prompt still counts once N of its characters are new.
        self.matches: list[Match] | None = None
        self.min_copy = DEFAULT_MIN_COPY
        self.spans: list[Span] = []
        self.regions: list[Span] = []
        self.selected: int | None = None  # index into spans of the one the side panel shows
        # The lens: the ids the completion was drawn after and drew, their scores or one unit's trace, the mode
        # drawn in, and the token under the cursor.
        self.context_ids: list[int] | None = None
        self.token_ids: list[int] | None = None
        self.scores: list[TokenScore] | None = None
        self.scored_characters = 0
        self.trace: list[tuple[int, int, float]] | None = None
        self.trace_unit: tuple[int, int] | None = None  # (layer, unit) the trace is of
        self.lens: LensMode = "off"
        self.cursor: int | None = None
        self.shared = ""  # a branch: the earlier completion's text before the branching token
        self.choice = ""  # a branch: the alternative chosen there
        self.scored_text = False  # a text the user gave to be scored, not a completion
        self.preset_text: list[str] = []  # a scored text's chunks, shown once the exchange is mounted
        self.model_serial = 0  # which load of the REPL's model wrote (or scored) it

    def compose(self) -> ComposeResult:
        yield Segment(self.render_segment(""), classes="segment")
        yield Static(Content.styled(self.footer, "$text-warning"), classes="exchange-footer")

    def on_mount(self) -> None:
        for chunk in self.preset_text:
            self.append(chunk)
        if self.preset_text:
            self.preset_text = []
            self.finish_scored()

    @property
    def completion(self) -> str:
        return "".join(self.pieces)

    @property
    def novelty(self) -> float | None:
        """The share of the completion's characters in no copied span of ≥ min_copy; None without an index."""
        if self.matches is None:
            return None
        return novelty(len(self.matches), self.spans)

    @property
    def selected_span(self) -> Span | None:
        return self.spans[self.selected] if self.selected is not None and self.selected < len(self.spans) else None

    def render_segment(self, text: str) -> Content:
        offset = self.segment_starts[-1]
        return self.render_text(text, offset, first=len(self.segment_starts) == 1)

    def render_text(self, text: str, offset: int, first: bool) -> Content:
        if self.lens in ("confidence", "surprisal") and self.scores is not None:
            body = scored_content(text, offset, self.scores, self.lens, self.cursor)
        elif self.lens == "cells" and self.trace is not None:
            body = traced_content(text, offset, self.trace, ACTIVATION_RANGE)
        elif self.lens != "off":
            body = Content(text)  # the lens is on but has nothing for this text: no other colours to mislead
        else:
            body = highlighted(text, offset, self.regions, self.selected_span)
        if not first:
            return body
        if self.scored_text:
            return body
        prompt = (self.prompt, "bold $accent") if self.prompt else (NEW_POEM + "\n", "italic $text-muted")
        if not self.shared and not self.choice:
            return Content.assemble(prompt, body)
        return Content.assemble(prompt, (self.shared, "$text-muted"), (self.choice, "bold reverse $accent"), body)

    # ----- the lens -----
    @property
    def bits_per_char(self) -> float | None:
        """The scored tokens' surprisal over the completion's characters (a scored text's bits/char)."""
        if self.scores is None or not self.scored_characters:
            return None
        return sum(token.surprisal_bits for token in self.scores) / self.scored_characters

    def set_lens(self, mode: LensMode) -> None:
        if mode != self.lens:
            self.lens = mode
            self.restyle()

    def set_scores(self, scores: list[TokenScore], characters: int) -> None:
        self.scores, self.scored_characters = scores, characters
        self.cursor = None
        self.restyle()
        if self.scored_text:
            self.finish_scored()
        else:
            self.show_footer()

    def set_trace(self, unit: tuple[int, int], trace: list[tuple[int, int, float]]) -> None:
        self.trace_unit, self.trace = unit, trace
        if self.lens == "cells":
            self.restyle()

    def set_cursor(self, cursor: int | None) -> None:
        """Move the token cursor, redrawing only the segments the old and the new token are in."""
        touched = [self.cursor, cursor]
        self.cursor = cursor
        if self.scores is None:
            return
        for index in touched:
            if index is not None and 0 <= index < len(self.scores):
                token = self.scores[index]
                self.restyle(token.start, token.end)

    def cursor_segment(self) -> Static | None:
        """The segment that shows the cursor's token (to scroll it into view)."""
        if self.scores is None or self.cursor is None:
            return None
        start = self.scores[self.cursor].start
        number = max(i for i, first in enumerate(self.segment_starts) if first <= start)
        segments = list(self.query(".segment").results(Static))
        return segments[number] if number < len(segments) else None

    def append(self, text: str, matches: list[Any] | None = None) -> None:
        self.pieces.append(text)
        self.segment_text += text
        reached_back = False
        if matches is not None:
            if self.matches is None:
                self.matches = []
            self.matches.extend(matches)
            reached_back = self.cut_spans()
        if reached_back and len(self.segment_starts) > 1:
            self.restyle(self.spans[-1].start)  # a copy that began in an earlier segment: colour it there too
        segment = self.query(".segment").last(Static)
        cut = self.segment_text.rfind("\n")
        if len(self.segment_text) > SEGMENT_CHARS and cut > 0:
            head, self.segment_text = self.segment_text[:cut], self.segment_text[cut + 1 :]
            segment.update(self.render_segment(head))
            self.segments += 1
            self.segment_starts.append(self.segment_starts[-1] + cut + 1)
            following = Segment(self.render_segment(self.segment_text), classes="segment")
            self.mount(following, before=self.query_one(".exchange-footer"))
        else:
            segment.update(self.render_segment(self.segment_text))

    def cut_spans(self) -> bool:
        """Spans and regions from the matches at the current N; True if the last span starts before the last segment."""
        self.spans = copied_spans(self.matches or [], self.min_copy)
        self.regions = highlight_regions(self.spans)
        return bool(self.spans) and self.spans[-1].start < self.segment_starts[-1]

    def set_min_copy(self, min_copy: int) -> None:
        self.min_copy = min_copy
        if self.matches is not None:
            self.cut_spans()
            self.selected = None
            self.restyle()
            self.show_footer()

    def select(self, selected: int | None) -> None:
        self.selected = selected
        self.restyle()

    def restyle(self, since: int = 0, until: int | None = None) -> None:
        """Draw the segments again that end after character `since` and start before `until` (all of them: a
        new N, another selection, another lens)."""
        completion = self.completion
        starts = self.segment_starts
        for number, segment in enumerate(self.query(".segment").results(Static)):
            if number >= len(starts):
                break
            end = starts[number + 1] - 1 if number + 1 < len(starts) else len(completion)
            if end < since or (until is not None and starts[number] > until):
                continue
            segment.update(self.render_text(completion[starts[number] : end], starts[number], first=number == 0))

    def finish(self, tokens: int, tokens_per_second: float, reason: str, forced_steps: int = 0) -> None:
        self.finished = True
        self.footer = f"{plural(tokens, 'token')} · {tokens_per_second:,.0f} tokens/s · {reason}"
        if forced_steps:
            self.footer += f" · {forced_note(forced_steps)}"
        self.show_footer()

    def finish_scored(self, problem: str | None = None) -> None:
        """A scored text's footer: scoring…, its figures, or why it could not be scored."""
        self.finished = True
        self.footer = f"scored text · {len(self.completion):,} characters"
        if problem is None and self.scores is None:
            self.footer += " · scoring…"
        if problem is not None:
            self.footer += f" · not scored: {problem}"
        self.show_footer()

    def show_footer(self) -> None:
        """The footer as finished, with the novelty at the current N once the completion has been matched, and
        the lens's figures once scored."""
        if not self.finished:
            return
        share = self.novelty
        shown = self.footer if share is None else f"{self.footer} · {novelty_text(share)}"
        bits = self.bits_per_char
        if bits is not None and self.scores:
            mean = sum(token.surprisal_bits for token in self.scores) / len(self.scores)
            shown += f" · {bits:.2f} bits/char · {mean:.2f} bits/token"
        self.query_one(".exchange-footer", Static).update(Content.styled(shown, "$text-muted"))


class Transcript(VerticalScroll):
    @property
    def at_end(self) -> bool:
        return self.max_scroll_y - self.scroll_y <= 1

    def follow(self, was_at_end: bool) -> None:
        """Keep showing the end of a growing completion, unless the user has scrolled up to read."""
        if was_at_end:
            self.scroll_end(animate=False)

    def add_exchange(self, exchange: Exchange) -> AwaitMount:
        """Mount `exchange` at the end; awaiting the result waits until it is mounted (a scored text is, before its
        scores may come)."""
        mounted = self.mount(exchange)
        self.scroll_end(animate=False)
        return mounted

    def add_note(self, text: str, welcome: bool = False) -> None:
        self.mount(Static(Content.styled(text, "$text-muted"), classes="note welcome" if welcome else "note"))

    def welcome_or_note(self, text: str) -> None:
        """`text` in place of the welcome's last line if it is still shown (a model loading at start), else a
        note. Updated, not removed: removing a widget while the app mounts moves the focus off the prompt."""
        welcome = self.query(".welcome")
        if not welcome:
            self.add_note(text)
            return
        note = welcome.first(Static)
        first_line = note.content.plain.split("\n", 1)[0] if isinstance(note.content, Content) else ""
        note.update(Content.styled(f"{first_line}\n{text}".strip(), "$text-muted"))

    def clear(self) -> None:
        self.remove_children()
