"""Loading a model into the REPL, mixed into ReplPane.

`poet --checkpoint RUN` takes seconds to a loaded model on a small machine (importing PyTorch is most of it), so
the header shows each stage with an activity indicator, the transcript says the model is on its way rather than
that none is loaded, and a prompt submitted meanwhile is queued: it runs when the model is ready (a later one
replaces it, escape drops it). If the load fails, the queued prompt is dropped and the transcript says so.

The load runs in a daemon thread (background.py): quitting never waits for it. Each load has a serial number,
so what an older, superseded load reports is ignored. The header naming the model, and ctrl+o's picker, are
here too."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App
from textual.content import Content
from textual.message import Message
from textual.widgets import LoadingIndicator, Static

from poet_tui.app import torch_threads
from poet_tui.app.background import ThreadFailed, post_from_thread, start_daemon
from poet_tui.app.modals import ModelPicker
from poet_tui.app.transcript import Transcript
from poet_tui.formatting import format_float, human_count
from poet_tui.sampling_settings import SamplingSettings

STAGES = ("importing PyTorch", "reading the checkpoint", "warming up")
NO_MODEL = "No model is loaded: pick one with ctrl+o, or press Enter on a checkpoint in the Checkpoints pane (F4)."


class ModelChoices(Message):
    """(label, checkpoint path) of every checkpoint, newest first, for the model picker."""

    def __init__(self, choices: list[tuple[str, str]]) -> None:
        super().__init__()
        self.choices = choices


class LoadProgress(Message):
    """Load number `serial` has reached STAGES[stage]."""

    def __init__(self, serial: int, stage: int) -> None:
        super().__init__()
        self.serial = serial
        self.stage = stage


class LoadFinished(Message):
    """Load number `serial` ended: `loaded` (a `poet_tui.generation.LoadedModel`), or the error that stopped it."""

    def __init__(self, serial: int, loaded: Any, error: BaseException | None = None) -> None:
        super().__init__()
        self.serial = serial
        self.loaded = loaded
        self.error = error


def load_in_thread(pane: Any, app: App[Any], serial: int, name_or_path: str) -> None:
    """The load itself, in a daemon thread: it only posts messages, and they go nowhere once the app has closed."""
    try:
        import torch  # noqa: F401 - the slow part of the first load: its own stage

        post_from_thread(pane, LoadProgress(serial, 1))
        from poet_tui.generation import load_for_generation
        from poet_tui.sample import complete

        if app.is_running:  # once the app has closed, it has restored torch's threads for good
            torch_threads.use_one_thread()
        loaded = load_for_generation(name_or_path, "auto")
        post_from_thread(pane, LoadProgress(serial, 2))
        complete(loaded.model, loaded.tokenizer, "", SamplingSettings(max_tokens=2, seed=0))  # warm up kernels
    except Exception as error:
        post_from_thread(pane, LoadFinished(serial, None, error))
        return
    post_from_thread(pane, LoadFinished(serial, loaded))


class ModelLoading:
    """The pane's model, the load in progress, and the prompt waiting for it."""

    loaded: Any = None
    model_loading: str | None = None  # what is being loaded (not Widget.loading, its overlay)
    load_stage = 0  # index into STAGES
    load_serial = 0
    queued: str | None = None  # the prompt that runs when the load is done

    if TYPE_CHECKING:
        app: App[Any]

        def query_one(self, selector: Any, expect_type: Any = None) -> Any: ...
        def post_message(self, message: Any) -> bool: ...
        def refresh_status(self) -> None: ...
        def generate_from(self, prompt: str) -> None: ...
        def model_ready(self) -> None: ...
        def stop_streaming(self) -> None: ...
        def call_after_refresh(self, callback: Any, *args: Any) -> bool: ...

    def open_model(self, name_or_path: str) -> None:
        self.stop_streaming()
        self.load_serial += 1
        self.model_loading, self.load_stage = name_or_path, 0
        self.query_one(Transcript).welcome_or_note(
            f"Loading {name_or_path}… a prompt submitted now runs when the model is ready."
        )
        self.show_loading()
        app, serial = self.app, self.load_serial

        def load() -> None:
            load_in_thread(self, app, serial, name_or_path)

        # After the next frame: at start (`poet --checkpoint`) the torch import would hold up the first frame.
        self.call_after_refresh(start_daemon, load, "poet-load-model")

    def show_loading(self) -> None:
        self.query_one(LoadingIndicator).display = self.model_loading is not None
        self.show_model()
        self.refresh_status()

    def loading_header(self) -> str:
        stage = f"step {self.load_stage + 1} of {len(STAGES)}: {STAGES[self.load_stage]}"
        return f"loading {self.model_loading}… {stage}"

    def loading_status(self) -> tuple[str, str] | None:
        """The status line's state while a model loads: what Enter does now, or what waits."""
        if self.model_loading is None:
            return None
        if self.queued is None:
            return ("loading — Enter will run when ready", "$text-warning")
        return (f"queued: {shown_prompt(self.queued)}", "$text-warning")

    def queue(self, prompt: str) -> None:
        note = f"queued: {shown_prompt(prompt)} — runs when {self.model_loading} is loaded"
        if self.queued is not None:
            note += f" (instead of {shown_prompt(self.queued)})"
        self.queued = prompt
        self.query_one(Transcript).add_note(note)
        self.refresh_status()

    def drop_queued(self, why: str) -> None:
        if self.queued is not None:
            self.query_one(Transcript).add_note(f"{why}: the queued prompt {shown_prompt(self.queued)} was dropped.")
            self.queued = None
            self.refresh_status()

    def on_load_progress(self, message: LoadProgress) -> None:
        if message.serial == self.load_serial and self.model_loading is not None:
            self.load_stage = message.stage
            self.show_model()

    def on_load_finished(self, message: LoadFinished) -> None:
        if message.serial != self.load_serial:
            return  # a load that another one replaced
        name, self.model_loading = self.model_loading, None
        transcript = self.query_one(Transcript)
        if message.error is None:
            self.loaded = message.loaded
            self.model_ready()
            self.show_loading()
            if self.queued is not None:
                prompt, self.queued = self.queued, None
                transcript.add_note(f"Running the queued prompt {shown_prompt(prompt)}.")
                self.generate_from(prompt)
            return
        self.drop_queued(f"{name} could not be loaded")
        if self.loaded is None:
            transcript.add_note(NO_MODEL)
        else:
            transcript.add_note(f"Still using {self.loaded.label}.")
        self.show_loading()
        self.post_message(ThreadFailed("loading a model", message.error))

    # ----- the header, and picking a model -----
    def show_model(self) -> None:
        widget = self.query_one("#repl-model", Static)
        loaded = self.loaded
        if self.model_loading is not None:
            widget.update(Content.styled(self.loading_header(), "$text-warning"))
            return
        if loaded is None:
            widget.update(Content.styled("no model loaded · ctrl+o opens one", "$text-muted"))
            return
        metadata = loaded.metadata
        widget.update(
            Content.assemble(
                ("model ", "$text-muted"),
                (loaded.label, "bold"),
                f" · {loaded.tokenizer.kind} · {human_count(metadata.get('parameters'))} params",
                f" · step {metadata.get('step', 0):,} · {format_float(metadata.get('val_bpc'))} bits/char",
            )
        )

    def action_open_model(self) -> None:
        self.list_models()

    @work(thread=True, exclusive=True, group="list-models", exit_on_error=False)
    def list_models(self) -> None:
        from poet_tui.run_catalog import checkpoint_summaries
        from poet_tui.runs import RunStore

        usable = (summary for summary in checkpoint_summaries(RunStore().list()) if summary.problem is None)
        summaries = sorted(usable, key=lambda s: s.created, reverse=True)
        choices = [
            (f"{s.run_id}/{s.stem} · step {s.step:,} · {format_float(s.val_bpc)} bits/char", s.path) for s in summaries
        ]
        self.post_message(ModelChoices(choices))

    def on_model_choices(self, message: ModelChoices) -> None:
        self.app.push_screen(ModelPicker(message.choices), self.model_picked)

    def model_picked(self, path: str | None) -> None:
        if path:
            self.open_model(path)


def shown_prompt(prompt: str) -> str:
    """A prompt as the transcript quotes it: short, on one line, and an empty one named."""
    if not prompt:
        return "(a new poem)"
    flat = " ".join(prompt.split())
    return f"“{flat if len(flat) <= 40 else flat[:39] + '…'}”"
