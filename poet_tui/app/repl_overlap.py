"""The REPL pane's overlap half (issue #12, "where did that line come from?"), mixed into ReplPane.

When a model is loaded, its run's overlap index is built or read back in a worker (the status line says
"indexing…" meanwhile; if it cannot be had, one sentence says why and the REPL goes on without highlighting).
Each completion then gets its own Matcher in the generating thread, and its copied spans of at least N
characters are coloured as it streams; ctrl+n changes N, alt+n / alt+p walk the last completion's spans, and
the side panel shows where the selected one comes from."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work
from textual.content import Content

from poet_tui.app.overlap_panel import OverlapPanel
from poet_tui.app.overlap_view import novelty_text
from poet_tui.app.overlap_worker import OverlapIndexReady, Overlaps, next_min_copy, overlaps_for_run
from poet_tui.errors import PoetError
from poet_tui.overlap import DEFAULT_MIN_COPY

if TYPE_CHECKING:
    from poet_tui.app.transcript import Exchange
    from poet_tui.overlap import Matcher
    from poet_tui.runs import Run


class ReplOverlap:
    """State and actions of the overlap highlighting; the pane provides exchanges, refresh_status and query."""

    overlaps: Overlaps | None = None
    overlap_problem: str | None = None  # why there is no index, in one sentence
    indexing = False
    min_copy = DEFAULT_MIN_COPY
    exchanges: dict[int, Exchange]

    if TYPE_CHECKING:

        def refresh_status(self) -> None: ...
        def query_one(self, selector: Any, expect_type: Any = None) -> Any: ...
        def post_message(self, message: Any) -> bool: ...

    def start_indexing(self, run: Run) -> None:
        self.overlaps, self.overlap_problem, self.indexing = None, None, True
        self.show_selection(None)
        self.refresh_status()
        self.index_overlaps(run)

    def without_index(self, reason: str) -> None:
        """No index for this model (an export carries no training text): the status line says why, once."""
        self.overlaps, self.indexing = None, False
        self.overlap_problem = reason[:1].upper() + reason[1:]
        self.show_selection(None)
        self.refresh_status()

    @work(thread=True, exclusive=True, group="overlap-index", exit_on_error=False)
    def index_overlaps(self, run: Run) -> None:
        """Build or read back the index of what `run` trained on; a failure is a sentence, not a crash."""
        try:
            self.post_message(OverlapIndexReady(run.id, overlaps_for_run(run)))
        except (PoetError, OSError) as error:
            sentence = str(error)
            sentence = sentence[:1].upper() + sentence[1:]
            self.post_message(OverlapIndexReady(run.id, None, sentence))
        except Exception:  # a bug: the app reports it as a failed worker; the status stops saying "indexing…"
            self.post_message(OverlapIndexReady(run.id, None, "The index could not be built (see the error)."))
            raise

    def on_overlap_index_ready(self, message: OverlapIndexReady) -> None:
        loaded: Any = getattr(self, "loaded", None)
        if loaded is None or loaded.run is None or loaded.run.id != message.run_id:
            return  # another model was loaded meanwhile; its own worker answers
        self.indexing = False
        self.overlaps, self.overlap_problem = message.overlaps, message.problem
        self.refresh_status()

    def completion_matcher(self) -> Matcher | None:
        """A fresh Matcher for one completion, to be used only by its generating thread."""
        return self.overlaps.index.matcher() if self.overlaps is not None else None

    def overlap_status(self) -> tuple[str, str] | None:
        """The status line's overlap part: indexing, the last completion's novelty, or why there is none."""
        if self.indexing:
            return ("indexing…", "$text-warning")
        if self.overlap_problem is not None:
            return (f"no highlighting: {self.overlap_problem}", "$text-muted")
        if self.overlaps is None:
            return None
        exchange = self.last_exchange()
        share = exchange.novelty if exchange is not None else None
        shown = f"copies ≥ {self.min_copy}" if share is None else f"{novelty_text(share)} (copies ≥ {self.min_copy})"
        return (shown, "$text-muted")

    def last_exchange(self) -> Exchange | None:
        return self.exchanges[max(self.exchanges)] if self.exchanges else None

    # ----- N -----
    def action_min_copy(self) -> None:
        self.set_min_copy(next_min_copy(self.min_copy))
        self.query_one("#repl-settings").show_min_copy(self.min_copy)

    def on_sampling_form_min_copy_changed(self, message: Any) -> None:
        self.set_min_copy(message.min_copy)

    def set_min_copy(self, min_copy: int) -> None:
        self.min_copy = min_copy
        for exchange in self.exchanges.values():
            exchange.set_min_copy(min_copy)
        self.show_selection(None)
        self.refresh_status()

    # ----- the copied spans of the last completion -----
    def action_copy(self, direction: int) -> None:
        exchange = self.last_exchange()
        if exchange is None or not exchange.spans:
            self.show_selection(None)
            return
        count = len(exchange.spans)
        if exchange.selected is None:
            selected = 0 if direction > 0 else count - 1
        else:
            selected = (exchange.selected + direction) % count
        self.show_selection(selected)

    def show_selection(self, selected: int | None) -> None:
        """Select a span of the last completion (None: none) and show its source in the side panel."""
        for exchange in self.exchanges.values():
            if exchange.selected is not None and exchange is not self.last_exchange():
                exchange.select(None)
        last = self.last_exchange()
        panel = self.query_one(OverlapPanel)
        if last is None or selected is None or self.overlaps is None:
            if last is not None and last.selected is not None:
                last.select(None)
            panel.show_span(None, None)
            return
        last.select(selected)
        span = last.spans[selected]
        line = self.overlaps.lines.line(span.source, span.length)
        panel.show_span(span, line, selected + 1, len(last.spans))

    @property
    def selected_span_text(self) -> str | None:
        """The completion's text of the selected span (tests compare it with the panel's source line)."""
        exchange = self.last_exchange()
        span = exchange.selected_span if exchange is not None else None
        return exchange.completion[span.start : span.end] if exchange is not None and span is not None else None


def status_part(overlap: tuple[str, str] | None) -> list[Any]:
    return [] if overlap is None else [" · ", Content.styled(*overlap)]
