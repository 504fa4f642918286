"""The REPL pane's lens half (issue #18), mixed into ReplPane: see what the model thought of its own text.

f7 cycles the lens: off → probability → surprisal (bits) → a hidden unit's activation (once f9 chose one) → off.
The latest completion (and each one after it while the lens is on) is scored in a worker from the exact ids it
drew, in one pass; the transcript colours its tokens and a legend names the scale. f8 puts a cursor on its
tokens with the alternatives the model weighed at each (lens_panel.py); Enter on one branches: the completion
is regenerated from that position with that token, streaming as usual, and the earlier one stays above.
ctrl+s scores a given text (score_dialog.py), f9 finds the hidden units that track features of the text
(cells_dialog.py) and colours the text by the one chosen. Nothing here runs a model in the UI thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import work
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList, Static

from poet_tui.app.lens_panel import AlternativeList, AlternativesPanel, CursorClosed, TokenStep
from poet_tui.app.lens_view import MODES, LensMode, legend, shown_token
from poet_tui.app.transcript import SEGMENT_CHARS, Exchange, TokenClicked, Transcript
from poet_tui.errors import PoetError

if TYPE_CHECKING:
    from poet_tui.forms import Form
    from poet_tui.lens.cells import CellFinding
    from poet_tui.lens.scoring import Alternative, TokenScore

TOP_K = 8  # alternatives kept per token: what the side panel lists
SCORED_MODES = ("confidence", "surprisal")

LENS_BINDINGS = [
    Binding("f7", "lens", "Lens", tooltip="Colour tokens: off, probability, surprisal, cell", id="repl.lens"),
    Binding("f8", "tokens", "Tokens", tooltip="Walk the tokens and the alternatives weighed", id="repl.tokens"),
    Binding("f9", "cells", "Cells", tooltip="Hidden units that track features of the text", id="repl.cells"),
    Binding("ctrl+s", "score_text", "Score text", tooltip="Paste or load a text: where is the model surprised?",
            id="repl.score"),
]  # fmt: skip


class LensScored(Message):
    """An exchange's tokens scored (`scores`, with the ids they were read after), or why they could not be."""

    def __init__(
        self,
        exchange_id: int,
        scores: list[Any] | None,
        context_ids: list[int] | None = None,
        characters: int = 0,
        problem: str = "",
    ) -> None:
        super().__init__()
        self.exchange_id = exchange_id
        self.scores = scores
        self.context_ids = context_ids
        self.characters = characters  # what bits/char divides by: an <eod> counts one, as val_bpc counts it
        self.problem = problem


class LensTraced(Message):
    """One unit's activation over an exchange's text, per token: (start, end, activation)."""

    def __init__(self, exchange_id: int, unit: tuple[int, int], trace: list[Any] | None, problem: str = "") -> None:
        super().__init__()
        self.exchange_id = exchange_id
        self.unit = unit
        self.trace = trace
        self.problem = problem


def text_chunks(text: str, size: int = SEGMENT_CHARS // 2) -> list[str]:
    """`text` in pieces of about `size` characters cut after line ends, so the transcript keeps short segments."""
    chunks: list[str] = []
    start = 0
    while start < len(text):
        cut = text.find("\n", start + size)
        end = len(text) if cut < 0 else cut + 1
        chunks.append(text[start:end])
        start = end
    return chunks


def sentence(error: BaseException) -> str:
    text = str(error)
    return text[:1].upper() + text[1:]


class ReplLens:
    """State and actions of the lens; the pane provides the model, the exchanges and the completion machinery."""

    lens_mode: LensMode = "off"
    lens_unit: CellFinding | None = None
    lens_pending: set[int]  # exchanges being scored or traced
    cursor_exchange: int | None = None  # the exchange the token cursor is on
    cursor_wanted: int | None = None  # f8 asked before this exchange was scored: open the cursor when it is
    cell_cache: dict[Any, Any]
    exchanges: dict[int, Exchange]
    loaded: Any
    load_serial: int
    streaming: int | None

    if TYPE_CHECKING:
        app: Any

        def query_one(self, selector: Any, expect_type: Any = None) -> Any: ...
        def post_message(self, message: Any) -> bool: ...
        def notify(self, message: str, **kwargs: Any) -> None: ...
        def focus_default(self) -> None: ...
        def new_exchange(self, prompt: str) -> Exchange: ...
        def start_exchange(
            self, exchange: Exchange, form: Form | None, prefix_ids: list[int] | None = None
        ) -> None: ...
        def current_form(self) -> Form | None: ...

    def lens_target(self) -> Exchange | None:
        """The exchange the lens works on: the latest one that has finished."""
        finished = [key for key, exchange in self.exchanges.items() if exchange.finished and exchange.completion]
        return self.exchanges[max(finished)] if finished else None

    # ----- the mode -----
    def action_lens(self) -> None:
        modes = [mode for mode in MODES if mode != "cells" or self.lens_unit is not None]
        following = modes[(modes.index(self.lens_mode) + 1) % len(modes)] if self.lens_mode in modes else "off"
        self.set_lens_mode(following)

    def set_lens_mode(self, mode: LensMode) -> None:
        self.lens_mode = mode
        if mode not in SCORED_MODES:
            self.close_cursor()
        for exchange in self.exchanges.values():
            exchange.set_lens(mode)
        target = self.lens_target()
        if target is not None:
            self.lens_needs(target)
        self.refresh_legend()

    def lens_needs(self, exchange: Exchange) -> None:
        """Ask a worker for what the current mode draws `exchange` with, unless it has it or is getting it."""
        if exchange.exchange_id in self.lens_pending or exchange.model_serial != self.load_serial:
            return
        if self.lens_mode in SCORED_MODES and exchange.scores is None and exchange.token_ids is not None:
            self.lens_pending.add(exchange.exchange_id)
            self.score_ids(self.loaded, exchange.exchange_id, exchange.context_ids or [], exchange.token_ids)
        elif self.lens_mode == "cells" and self.lens_unit is not None:
            unit = (self.lens_unit.layer, self.lens_unit.unit)
            if exchange.trace_unit != unit:
                self.lens_pending.add(exchange.exchange_id)
                self.trace_unit(self.loaded, exchange.exchange_id, exchange.completion, unit)
        self.refresh_legend()

    def lens_after_completion(self, exchange: Exchange) -> None:
        exchange.set_lens(self.lens_mode)
        if self.lens_mode != "off":
            self.lens_needs(exchange)

    def refresh_legend(self) -> None:
        widget = self.query_one("#lens-legend", Static)
        widget.display = self.lens_mode != "off"
        if not widget.display:
            return
        target = self.lens_target()
        bits = target.bits_per_char if target is not None else None
        unit = None
        if self.lens_unit is not None:
            finding = self.lens_unit
            unit = f"layer {finding.layer} unit {finding.unit}: {finding.feature} r {finding.correlation:+.2f}"
        content = legend(self.lens_mode, bits, unit)
        if self.lens_pending:
            content = Content.assemble(content, (" · working…", "$text-warning"))
        widget.update(content)

    # ----- the workers -----
    def score_ids(self, loaded: Any, exchange_id: int, context_ids: list[int], token_ids: list[int]) -> None:
        """One teacher-forced pass over the exact ids a completion drew, after the ids it was drawn from."""

        def scoring() -> LensScored:
            from poet_tui.lens.scoring import score_token_ids, scored_text

            scores = score_token_ids(loaded.model, loaded.tokenizer, context_ids, token_ids, top_k=TOP_K)
            scored = scored_text("", scores, loaded.tokenizer.end_of_document_id)
            return LensScored(exchange_id, scores, context_ids, scored.characters)

        self.run_scoring(exchange_id, scoring)

    def score_given_text(self, loaded: Any, exchange_id: int, text: str) -> None:
        def scoring() -> LensScored:
            from poet_tui.lens.scoring import score_text

            scored = score_text(loaded.model, loaded.tokenizer, text, top_k=TOP_K)
            context_ids = [loaded.tokenizer.end_of_document_id]  # score_text reads the text after <eod> alone
            return LensScored(exchange_id, scored.tokens, context_ids, scored.characters)

        self.run_scoring(exchange_id, scoring)

    @work(thread=True, group="lens", exit_on_error=False)
    def run_scoring(self, exchange_id: int, scoring: Callable[[], LensScored]) -> None:
        """Score in a thread and post what came of it: the scores, or one sentence saying why there are none."""
        try:
            message = scoring()
        except PoetError as error:
            message = LensScored(exchange_id, None, problem=sentence(error))
        except Exception:
            self.post_message(LensScored(exchange_id, None, problem="It could not be scored (see the error)."))
            raise
        self.post_message(message)

    @work(thread=True, group="lens", exit_on_error=False)
    def trace_unit(self, loaded: Any, exchange_id: int, text: str, unit: tuple[int, int]) -> None:
        from poet_tui.lens.cells import unit_trace

        try:
            trace = unit_trace(loaded.model, loaded.tokenizer, text, *unit)
        except PoetError as error:
            self.post_message(LensTraced(exchange_id, unit, None, sentence(error)))
            return
        except Exception:
            self.post_message(LensTraced(exchange_id, unit, None, "The unit could not be traced (see the error)."))
            raise
        self.post_message(LensTraced(exchange_id, unit, list(trace)))

    def on_lens_scored(self, message: LensScored) -> None:
        self.lens_pending.discard(message.exchange_id)
        exchange = self.exchanges.get(message.exchange_id)
        if exchange is not None and message.scores is not None:
            exchange.context_ids = message.context_ids
            exchange.token_ids = [token.token_id for token in message.scores]
            exchange.set_scores(message.scores, message.characters)
            if self.cursor_wanted == exchange.exchange_id:
                self.open_cursor(exchange, 0)
        elif exchange is not None:
            self.notify(message.problem, title="Lens", severity="error", timeout=8)
            if exchange.scored_text:
                exchange.finish_scored(message.problem)
        if self.cursor_wanted == message.exchange_id:
            self.cursor_wanted = None
        self.refresh_legend()

    def on_lens_traced(self, message: LensTraced) -> None:
        self.lens_pending.discard(message.exchange_id)
        exchange = self.exchanges.get(message.exchange_id)
        current = self.lens_unit is not None and (self.lens_unit.layer, self.lens_unit.unit) == message.unit
        if exchange is not None and message.trace is not None and current:
            exchange.set_trace(message.unit, message.trace)
        elif exchange is not None and message.trace is None:
            self.notify(message.problem, title="Cells", severity="error", timeout=8)
        self.refresh_legend()
        if exchange is not None and not current:
            self.lens_needs(exchange)  # another unit was chosen meanwhile

    # ----- the token cursor and the alternatives -----
    def action_tokens(self) -> None:
        target = self.lens_target()
        if target is None:
            self.notify("Nothing to walk yet: let the model write something, or score a text (ctrl+s).")
            return
        if self.lens_mode not in SCORED_MODES:
            self.set_lens_mode("confidence")
        if target.scores is None:
            self.cursor_wanted = target.exchange_id
            self.lens_needs(target)
            return
        self.open_cursor(target, target.cursor or 0)

    def open_cursor(self, exchange: Exchange, index: int) -> None:
        if not exchange.scores:
            return
        if self.cursor_exchange is not None and self.cursor_exchange != exchange.exchange_id:
            self.close_cursor()
        self.cursor_wanted = None
        self.cursor_exchange = exchange.exchange_id
        self.move_cursor(exchange, index)
        self.query_one(AlternativeList).focus()

    def move_cursor(self, exchange: Exchange, index: int) -> None:
        scores = exchange.scores or []
        index = max(0, min(len(scores) - 1, index))
        exchange.set_cursor(index)
        self.query_one(AlternativesPanel).show_token(scores[index], index + 1, len(scores))
        self.query_one(Transcript).add_class("-beside-lens")  # its text reflows left of the panel, never under it
        segment = exchange.cursor_segment()
        if segment is not None:
            segment.scroll_visible(animate=False)

    def close_cursor(self) -> None:
        exchange = self.exchanges.get(self.cursor_exchange) if self.cursor_exchange is not None else None
        if exchange is not None:
            exchange.set_cursor(None)
        self.cursor_exchange = None
        self.query_one(AlternativesPanel).show_token(None)
        self.query_one(Transcript).remove_class("-beside-lens")

    def on_token_step(self, message: TokenStep) -> None:
        exchange = self.exchanges.get(self.cursor_exchange) if self.cursor_exchange is not None else None
        if exchange is None or not exchange.scores:
            return
        current = exchange.cursor or 0
        if message.to_end:
            self.move_cursor(exchange, 0 if message.step < 0 else len(exchange.scores) - 1)
        else:
            self.move_cursor(exchange, current + message.step)

    def on_cursor_closed(self, message: CursorClosed) -> None:
        self.close_cursor()
        self.focus_default()

    def on_token_clicked(self, message: TokenClicked) -> None:
        exchange = self.exchanges.get(message.exchange_id)
        if exchange is not None and exchange.scores and self.lens_mode in SCORED_MODES:
            self.open_cursor(exchange, message.index)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter on an alternative (a mixin cannot use @on: Textual collects those from widget classes only)."""
        if event.option_list.id != "lens-alternatives":
            return
        event.stop()
        exchange = self.exchanges.get(self.cursor_exchange) if self.cursor_exchange is not None else None
        alternative = self.query_one(AlternativesPanel).chosen(event.option_index)
        if exchange is None or exchange.cursor is None or alternative is None:
            return
        self.branch(exchange, exchange.cursor, alternative)

    def branch(self, exchange: Exchange, position: int, alternative: Alternative) -> None:
        """Regenerate from token `position` of `exchange` with `alternative` there; the earlier one stays."""
        from poet_tui.lens.branching import branch_ids

        if self.loaded is None or exchange.model_serial != self.load_serial:
            self.notify("That text was written by another model: branch from a completion of this one.")
            return
        if self.streaming is not None:
            self.notify("A completion is streaming: escape stops it, then Enter branches.", severity="warning")
            return
        scores: list[TokenScore] = exchange.scores or []
        try:
            prefix = branch_ids(exchange.context_ids or [], exchange.token_ids or [], position, alternative.token_id)
            form = self.current_form()
        except PoetError as error:
            self.notify(sentence(error), title="Branch refused", severity="error")
            return
        drawn = scores[position]
        self.close_cursor()
        self.query_one(Transcript).add_note(
            f"A branch of the completion above at token {position + 1}: {shown_token(drawn.text)} → "
            f"{shown_token(alternative.text)} ({alternative.probability:.1%}); the earlier one stays."
        )
        new = self.new_exchange(exchange.prompt)
        new.shared = exchange.shared + exchange.choice + exchange.completion[: drawn.start]
        new.choice = alternative.text
        new.context_ids = prefix
        self.start_exchange(new, form, prefix_ids=prefix)
        self.focus_default()

    # ----- scoring a given text -----
    def action_score_text(self) -> None:
        from poet_tui.app.score_dialog import ScoreTextScreen

        if self.loaded is None:
            self.notify("Load a model first: ctrl+o, or Enter on a checkpoint in the Checkpoints pane (F4).")
            return
        self.app.push_screen(ScoreTextScreen(), self.text_given)

    async def text_given(self, text: str | None) -> None:
        if not text or self.loaded is None:
            return
        exchange = self.new_exchange("")
        exchange.scored_text = True
        exchange.preset_text = text_chunks(text)
        self.exchanges[exchange.exchange_id] = exchange
        transcript = self.query_one(Transcript)
        await transcript.add_exchange(exchange)  # shown before its scores can come
        transcript.call_after_refresh(transcript.scroll_end, animate=False)  # its text came in on mount
        self.set_lens_mode("surprisal")  # where the model is surprised: what a scored text is for
        self.lens_pending.add(exchange.exchange_id)
        self.score_given_text(self.loaded, exchange.exchange_id, text)
        self.refresh_legend()

    # ----- cells -----
    def action_cells(self) -> None:
        from poet_tui.app.cells_dialog import CellsScreen

        if self.loaded is None:
            self.notify("Load a model first: ctrl+o, or Enter on a checkpoint in the Checkpoints pane (F4).")
            return
        target = self.lens_target()
        current = target.completion if target is not None else ""
        self.app.push_screen(CellsScreen(self.loaded, self.load_serial, self.cell_cache, current), self.cell_chosen)

    def cell_chosen(self, finding: CellFinding | None) -> None:
        if finding is None:
            return
        self.lens_unit = finding
        for exchange in self.exchanges.values():
            if exchange.trace_unit != (finding.layer, finding.unit):
                exchange.trace, exchange.trace_unit = None, None
        self.set_lens_mode("cells")
        if self.lens_target() is None:
            self.notify("The next completion, or a scored text, is coloured by this unit.")
