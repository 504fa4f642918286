"""F5 REPL: type a prompt, the loaded model completes it token by token into the transcript.

Sampling settings live in one `SamplingSettings` object that the generating thread re-reads before every
token, so a key pressed mid-stream (temperature, length, top-k, top-p, seed, poem) steers the rest of it. The
form (ctrl+f, or the F6 row) is fixed per completion: it is handed to the worker when the completion starts.
Copied-span highlighting and novelty live in repl_overlap.py; the lens (probability, surprisal, alternatives
and branches, cells) in repl_lens.py."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Input, LoadingIndicator, Static
from textual.worker import get_current_worker

from poet_tui.app.form_picker import FormPicker, app_sentence
from poet_tui.app.lens_panel import AlternativesPanel
from poet_tui.app.messages import CompletionFinished, ForwardWorkerFailures, TokensGenerated
from poet_tui.app.overlap_panel import OverlapPanel
from poet_tui.app.repl_lens import LENS_BINDINGS, ReplLens
from poet_tui.app.repl_loading import NO_MODEL, ModelLoading
from poet_tui.app.repl_overlap import ReplOverlap, status_part
from poet_tui.app.sampling_form import SamplingForm, describe
from poet_tui.app.transcript import Exchange, Transcript
from poet_tui.errors import PoetError
from poet_tui.form_choice import FormChoice, default_form_name, default_note
from poet_tui.sampling_settings import SamplingSettings

if TYPE_CHECKING:
    from poet_tui.forms import Form
    from poet_tui.overlap import Matcher

BATCH_SECONDS = 1 / 30  # the generating thread posts what it has about 30 times a second
TEMPERATURE_STEP = 0.05
LENGTH_STEP = 16
WELCOME = f"Type a prompt and press Enter; the model continues it. An empty prompt starts a new poem.\n{NO_MODEL}"


class PromptInput(Input):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit", "Generate", id="repl.generate"),
        Binding("up", "history(-1)", "History", key_display="↑↓", tooltip="Older prompt", id="repl.history_back"),
        Binding("down", "history(1)", "Newer prompt", show=False, id="repl.history_forward"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder="a prompt, or nothing for a new poem", id=id)
        self.history: list[str] = []
        self.position = 0

    def remember(self, prompt: str) -> None:
        if prompt and (not self.history or self.history[-1] != prompt):
            self.history.append(prompt)
        self.position = len(self.history)

    def action_history(self, direction: int) -> None:
        if not self.history:
            return
        self.position = max(0, min(len(self.history), self.position + direction))
        self.value = self.history[self.position] if self.position < len(self.history) else ""
        self.cursor_position = len(self.value)


class ReplPane(ModelLoading, ReplOverlap, ReplLens, ForwardWorkerFailures, Vertical):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "stop", "Stop", id="repl.stop"),
        Binding("ctrl+r", "regenerate", "Regenerate", id="repl.regenerate"),
        Binding(
            "ctrl+up",
            "temperature(1)",
            "Temp ±",
            key_display="^↑↓",
            tooltip="Temperature +0.05",
            id="repl.temperature_up",
        ),
        Binding("ctrl+down", "temperature(-1)", "Temperature −0.05", show=False, id="repl.temperature_down"),
        Binding(
            "alt+up", "length(1)", "Length ±", key_display="alt+↑↓", tooltip="Length +16 tokens", id="repl.length_up"
        ),
        Binding("alt+down", "length(-1)", "Length −16 tokens", show=False, id="repl.length_down"),
        Binding("ctrl+t", "toggle_poem", "Poem stop", tooltip="Stop at the end of a poem: on/off", id="repl.poem"),
        Binding(
            "ctrl+f", "next_form", "Form", tooltip="Next form: free, wulv, qilv, … couplets:N, free", id="repl.form"
        ),
        Binding("f6", "toggle_settings", "Settings", tooltip="Show/hide top-k, top-p, seed, form…", id="repl.settings"),
        Binding("ctrl+o", "open_model", "Open model", id="repl.open"),
        Binding("ctrl+l", "clear", "Clear", id="repl.clear"),
        Binding(
            "ctrl+n", "min_copy", "Min copy", tooltip="Shortest copy highlighted: 8, 12, 20, 40", id="repl.min_copy"
        ),
        # priority: a real terminal sends alt+n as ESC n, which the focused prompt would otherwise type as "n"
        Binding(
            "alt+n",
            "copy(1)",
            "Copies",
            key_display="alt+n/p",
            tooltip="Next copied span",
            id="repl.copy_next",
            priority=True,
        ),
        Binding("alt+p", "copy(-1)", "Previous copied span", show=False, id="repl.copy_previous", priority=True),
        *LENS_BINDINGS,
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.settings = SamplingSettings()
        self.form_choice = FormChoice()
        self.exchanges: dict[int, Exchange] = {}
        self.next_exchange = 0
        self.streaming: int | None = None
        self.last_prompt: str | None = None
        self.last_speed: float | None = None
        self.lens_pending: set[int] = set()
        self.cell_cache: dict[object, object] = {}

    def compose(self) -> ComposeResult:
        with Horizontal(id="repl-header"):
            yield Static(id="repl-model")
            yield LoadingIndicator(id="repl-loading")
        yield OverlapPanel(id="overlap-panel")
        yield AlternativesPanel(id="lens-panel")
        yield Transcript(id="transcript", classes="panel")
        yield Static(id="lens-legend")
        yield Static(id="repl-status")
        yield SamplingForm(id="repl-settings")
        yield FormPicker(id="repl-form")
        yield PromptInput(id="prompt")

    def on_mount(self) -> None:
        self.query_one(Transcript).add_note(WELCOME, welcome=True)
        self.query_one(Transcript).border_title = "Transcript"
        self.query_one("#repl-settings").display = False
        self.query_one("#repl-form").display = False
        self.query_one(OverlapPanel).display = False
        self.query_one(AlternativesPanel).display = False
        self.query_one("#lens-legend").display = False
        self.show_loading()
        self.settings_changed()

    def focus_default(self) -> None:
        self.query_one(PromptInput).focus()

    # ----- the model (loading it: repl_loading.py) -----
    def model_ready(self) -> None:
        """A model was loaded: say so, and start in its form and on its overlap index."""
        transcript = self.query_one(Transcript)
        transcript.query(".welcome").remove()
        transcript.add_note(f"Loaded {self.loaded.label}. Type a prompt and press Enter (empty: a new poem).")
        self.set_form(FormChoice.of(default_form_name(self.loaded.metadata)))
        self.lens_unit = None  # a unit of the model before
        self.set_lens_mode("off" if self.lens_mode == "cells" else self.lens_mode)
        note = default_note(self.loaded.metadata)
        if note is not None:
            transcript.add_note(f"{note[:1].upper()}{note[1:]}, so poems start in that form; ctrl+f changes it.")
        if self.loaded.run is None:  # an export folder: no run, so no training text to index
            self.without_index("an exported model carries no training text to compare with")
        else:
            self.start_indexing(self.loaded.run)

    # ----- generating -----
    @on(Input.Submitted, "#prompt")
    def submitted(self, event: Input.Submitted) -> None:
        prompt = event.value
        event.input.value = ""
        self.query_one(PromptInput).remember(prompt)
        self.generate_from(prompt)

    def action_regenerate(self) -> None:
        if self.last_prompt is None:
            self.notify("Nothing to regenerate yet: type a prompt first.", severity="warning")
            return
        self.generate_from(self.last_prompt)

    def generate_from(self, prompt: str) -> None:
        if self.model_loading is not None:
            self.queue(prompt)
            return
        if self.loaded is None:
            self.notify("Load a model first: ctrl+o, or Enter on a checkpoint in the Checkpoints pane (F4).")
            return
        from poet_tui.sample import prompt_token_ids

        try:
            context_ids = prompt_token_ids(self.loaded.tokenizer, prompt)
            form = self.current_form()
        except PoetError as error:
            self.notify(str(error), title="Prompt refused", severity="error")
            return
        self.last_prompt = prompt
        exchange = self.new_exchange(prompt)
        exchange.context_ids = context_ids
        self.start_exchange(exchange, form)

    def current_form(self) -> Form | None:
        return self.form_choice.form()

    def new_exchange(self, prompt: str) -> Exchange:
        """A numbered exchange of the model loaded now (not shown yet)."""
        exchange = Exchange(self.next_exchange, prompt)
        exchange.min_copy, exchange.model_serial = self.min_copy, self.load_serial
        self.next_exchange += 1
        return exchange

    def start_exchange(self, exchange: Exchange, form: Form | None, prefix_ids: list[int] | None = None) -> None:
        """Show `exchange` and stream its completion: of its prompt, or (a branch) after exactly `prefix_ids`."""
        self.exchanges[exchange.exchange_id] = exchange
        self.query_one(Transcript).add_exchange(exchange)
        self.streaming = exchange.exchange_id
        self.show_selection(None)
        self.close_cursor()
        self.refresh_status()
        self.generate(exchange.exchange_id, exchange.prompt, form, self.completion_matcher(), prefix_ids)

    @work(thread=True, exclusive=True, group="generate", exit_on_error=False)
    def generate(
        self,
        exchange_id: int,
        prompt: str,
        form: Form | None,
        matcher: Matcher | None = None,
        prefix_ids: list[int] | None = None,
    ) -> None:
        """Stream into the exchange; a PoetError (a form the model cannot write, a prompt that breaks it) ends
        the completion with its sentence rather than failing the worker. Each batch is matched here, with this
        completion's own matcher, so the UI thread only colours what it is told. With `prefix_ids` it is a
        branch, drawn after exactly those tokens."""
        from poet_tui.lens.branching import stream_branch
        from poet_tui.sample import CompletionStats, stream_completion

        worker = get_current_worker()
        stats = CompletionStats()
        model, tokenizer = self.loaded.model, self.loaded.tokenizer
        if prefix_ids is not None:
            stream = stream_branch(model, tokenizer, prefix_ids, self.settings, stats, form)
        else:
            stream = stream_completion(model, tokenizer, prompt, self.settings, stats, form)
        pending: list[str] = []
        last_post = time.perf_counter()
        reason, refusal = "stopped", None
        try:
            for piece in stream:
                pending.append(piece)
                if time.perf_counter() - last_post >= BATCH_SECONDS:
                    self.post_message(batch(exchange_id, "".join(pending), matcher))
                    pending.clear()
                    last_post = time.perf_counter()
                if worker.is_cancelled:
                    break
            else:
                ended = "end of poem" if stats.stopped_at_end_of_poem else "length reached"
                if stats.ended_at_once:  # an empty exchange must say why it is empty
                    ended = "ended at the first token (ctrl+t: poem stop off)"
                reason = "form complete" if form is not None else ended
        except PoetError as error:
            refusal = str(error)
        finally:
            stream.close()
            if pending:
                self.post_message(batch(exchange_id, "".join(pending), matcher))
            self.post_message(
                CompletionFinished(
                    exchange_id,
                    stats.tokens,
                    stats.tokens_per_second,
                    reason,
                    stats.forced_steps,
                    refusal,
                    list(stats.token_ids),
                )
            )

    def on_tokens_generated(self, message: TokensGenerated) -> None:
        exchange = self.exchanges.get(message.exchange_id)
        if exchange is not None:
            transcript = self.query_one(Transcript)
            was_at_end = transcript.at_end
            exchange.append(message.text, message.matches)
            transcript.follow(was_at_end)
            if message.matches is not None and message.exchange_id == self.streaming:
                self.refresh_status()

    def on_completion_finished(self, message: CompletionFinished) -> None:
        exchange = self.exchanges.get(message.exchange_id)
        if message.error is not None:
            self.notify(message.error, title="Not written", severity="error", timeout=8)
        if exchange is not None and message.error is not None and not exchange.completion:
            del self.exchanges[message.exchange_id]  # refused before a word: as if it had not been asked
            exchange.remove()
        elif exchange is not None:
            transcript = self.query_one(Transcript)
            was_at_end = transcript.at_end
            exchange.finish(message.tokens, message.tokens_per_second, message.reason, message.forced_steps)
            exchange.token_ids = message.token_ids
            transcript.follow(was_at_end)
            self.lens_after_completion(exchange)
        if self.streaming == message.exchange_id:
            self.streaming = None
            if message.error is None:
                self.last_speed = message.tokens_per_second
        self.refresh_status()

    def action_stop(self) -> None:
        """Escape: stop the completion that streams, and drop a prompt waiting for a model to load."""
        self.stop_streaming()
        self.drop_queued("Stopped")

    def stop_streaming(self) -> None:
        if self.streaming is not None:
            self.workers.cancel_group(self, "generate")

    def action_clear(self) -> None:
        self.stop_streaming()
        self.show_selection(None)
        self.close_cursor()
        self.exchanges.clear()
        self.query_one(Transcript).clear()
        self.refresh_legend()

    # ----- settings -----
    def action_temperature(self, direction: int) -> None:
        self.settings.temperature = round(max(0.0, self.settings.temperature + direction * TEMPERATURE_STEP), 2)
        self.settings_changed()

    def action_length(self, direction: int) -> None:
        self.settings.max_tokens = max(1, self.settings.max_tokens + direction * LENGTH_STEP)
        self.settings_changed()

    def action_toggle_poem(self) -> None:
        self.settings.stop_at_end_of_poem = not self.settings.stop_at_end_of_poem
        self.settings_changed()

    def action_next_form(self) -> None:
        """The next form; options that do not fit it are turned off, and a toast says why."""
        choice, dropped = self.form_choice.with_form(self.form_choice.next_name())
        self.set_form(choice)
        for note in dropped:
            self.notify(app_sentence(PoetError(note)), title="Form", timeout=6)

    def set_form(self, choice: FormChoice) -> None:
        self.form_choice = choice
        self.query_one(FormPicker).show(choice)
        self.refresh_status()

    def on_form_picker_changed(self, message: FormPicker.Changed) -> None:
        self.form_choice = message.choice
        for note in message.dropped:
            self.notify(note, title="Form", timeout=6)
        self.refresh_status()

    def action_toggle_settings(self) -> None:
        panel = self.query_one("#repl-settings")
        panel.display = not panel.display
        self.query_one("#repl-form").display = panel.display
        if panel.display:
            self.query_one("#setting-top_k", Input).focus()
        else:
            self.focus_default()

    def settings_changed(self) -> None:
        self.query_one(SamplingForm).show(self.settings)
        self.refresh_status()

    def on_sampling_form_changed(self) -> None:
        self.refresh_status()

    def refresh_status(self) -> None:
        loading = self.loading_status()
        if loading is not None:
            state = loading
        elif self.streaming is not None:
            state = ("streaming… escape stops", "$text-warning")
        elif self.last_speed is not None:
            state = (f"last {self.last_speed:,.0f} tokens/s", "$text-muted")
        else:
            state = ("idle", "$text-muted")
        free = self.form_choice.form() is None
        form = "form free · " if free else f"form {self.form_choice.describe()}, ends when complete · "
        sampling = describe(self.settings, length=free)
        overlap = status_part(self.overlap_status())
        self.query_one("#repl-status", Static).update(Content.assemble(form, sampling, " · ", state, *overlap))


def batch(exchange_id: int, text: str, matcher: Matcher | None) -> TokensGenerated:
    """A batch of text and, with an index, its matches (found here, in the generating thread)."""
    return TokensGenerated(exchange_id, text, matcher.feed(text) if matcher is not None else None)
