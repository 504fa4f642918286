"""F3 Train: the form on the left; on the right the live run: losses, speed, ETA, memory and the latest sample.

Training always runs in a child process (`poet train ... --jsonl`), so the app stays responsive and a crash
of the run is shown, not shared. A run the app left training is found again and followed through its
metrics.jsonl. A notice (a NaN rollback, an out-of-memory halving, the batch size chosen) raises a toast
and, for a recovery, marks its step on the loss plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, ProgressBar, Select, Static
from textual.worker import get_current_worker

from poet_tui.app.form_plot import LossAndFormPlot
from poet_tui.app.live_widgets import MemoryPanel
from poet_tui.app.messages import (
    CheckpointWritten,
    ForwardWorkerFailures,
    GpuStatusChanged,
    TrainingEnded,
    TrainingEvents,
)
from poet_tui.app.notice_toasts import NoticeToasts
from poet_tui.app.run_stats import stats_content, time_text
from poet_tui.app.train_form import TrainForm
from poet_tui.app.train_runs import EarlierRuns, HistoryLoaded, RunViewed, read_history, scan_runs
from poet_tui.app.training_process import ChildTraining, FollowedRun, TrainingSource
from poet_tui.errors import PoetError
from poet_tui.event_types import CheckpointEvent, NoticeEvent, StartEvent, typed_events
from poet_tui.run_progress import RunProgress
from poet_tui.training_child import resume_flags

REFRESH_INTERVAL_S = 0.25
GPU_POLL_S = 2.0
# ctrl+p is the command palette's. ctrl+y is bound by no pane or widget here, means nothing to a terminal in raw
# mode, and no multiplexer takes it (tmux's ctrl+b and screen's ctrl+a are avoided on purpose).
PAUSE_KEY = "ctrl+y"
PAUSE_HINT = PAUSE_KEY.replace("ctrl+", "^")


class TrainPane(ForwardWorkerFailures, Horizontal):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "start", "Start", id="train.start"),
        Binding(PAUSE_KEY, "pause", "Pause/Continue", id="train.pause"),
        Binding("ctrl+t", "stop", "Stop", id="train.stop"),
        Binding("ctrl+r", "resume", "Resume run", id="train.resume"),
        # On a small terminal the pane scrolls: these page it from wherever the focus is (buttons, panels).
        Binding("pagedown", "page_pane(1)", "Page down", show=False, id="train.page_down"),
        Binding("pageup", "page_pane(-1)", "Page up", show=False, id="train.page_up"),
        Binding("end", "pane_end", "To the end", show=False, id="train.end"),
        Binding("home", "pane_home", "To the top", show=False, id="train.home"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.source: TrainingSource | None = None
        self.progress = RunProgress()
        self.dirty = True
        self.notice_toasts = NoticeToasts()
        self.engine_loaded = False
        self.quit_when_stopped = False
        self.loading_history: str | None = None  # the run whose history is read before it resumes
        self.stderr_shown_for: RunProgress | None = None  # the ended run whose stderr the sample panel shows

    def compose(self) -> ComposeResult:
        with Vertical(id="train-left"):
            yield TrainForm(id="train-form", classes="panel")
            with Horizontal(id="train-buttons"):
                yield Button("Start ^s", id="train-start", variant="success", compact=True)
                yield Button(f"Pause {PAUSE_HINT}", id="train-pause", compact=True, disabled=True)
                yield Button("Stop ^t", id="train-stop", variant="error", compact=True, disabled=True)
            with Horizontal(id="train-earlier"):
                yield Select([], prompt="earlier runs: loading…", compact=True, id="earlier-runs")
                yield Button("Resume ^r", id="train-resume", compact=True)
            yield MemoryPanel(id="memory", classes="panel")
        with Vertical(id="train-live"):
            yield Static(id="run-stats", classes="panel")
            with Horizontal(id="run-progress-row"):
                yield ProgressBar(total=1.0, show_eta=False, show_percentage=False, id="run-progress")
                yield Static(id="run-time")
            yield LossAndFormPlot(id="train-plot", classes="panel", caption="Loss")
            with VerticalScroll(id="sample-scroll", classes="panel"):
                yield Static(id="sample")

    def on_mount(self) -> None:
        self.query_one("#sample-scroll").border_title = "sample"
        self.query_one("#run-stats").border_title = "Run"
        self.set_interval(REFRESH_INTERVAL_S, self.refresh_live)
        self.refresh_live()

    @property
    def form(self) -> TrainForm:
        return self.query_one(TrainForm)

    @property
    def is_training(self) -> bool:
        return self.source is not None

    def focus_default(self) -> None:
        """The form, or while a run trains (the form is locked) the Pause button, so the pane's keys work."""
        if self.source is None:
            self.form.focus_first()
        else:
            self.query_one("#train-pause", Button).focus()

    def set_corpus(self, name: str) -> None:
        self.form.corpus = name

    # ----- the engine is loaded: earlier runs, the GPU -----
    def engine_ready(self) -> None:
        self.engine_loaded = True
        self.find_earlier_runs()
        self.probe_gpu()

    @work(thread=True, exclusive=True, group="earlier-runs", exit_on_error=False)
    def find_earlier_runs(self) -> None:
        self.post_message(EarlierRuns(scan_runs()))

    def on_earlier_runs(self, message: EarlierRuns) -> None:
        select: Select[str] = self.query_one("#earlier-runs", Select)
        options = [(f"{run_id} · {status} · step {step:,}", run_id) for run_id, status, step in message.runs]
        chosen = select.value
        with select.prevent(Select.Changed):
            select.set_options(options)
            if any(run_id == chosen for _, run_id in options):
                select.value = chosen
        select.prompt = f"earlier runs ({len(options)})" if options else "no run to resume"
        running = [run_id for run_id, status, _ in message.runs if status == "running"]
        if running and self.source is None:
            self.notify(f"Run {running[0]} is still training; following it here.", title="Re-attached")
            self.attach(running[0])

    @work(thread=True, exclusive=True, group="gpu-probe", exit_on_error=False)
    def probe_gpu(self) -> None:
        from poet_tui.device import gpu_status

        worker = get_current_worker()
        last: Any = object()
        while not worker.is_cancelled:
            status = gpu_status()
            if status != last:
                self.post_message(GpuStatusChanged(status))
                last = status
            if status is None:
                return
            worker.cancelled_event.wait(GPU_POLL_S)

    def on_gpu_status_changed(self, message: GpuStatusChanged) -> None:
        self.query_one(MemoryPanel).set_gpu(message.status)

    # ----- starting, pausing, stopping -----
    def action_start(self) -> None:
        if self.source is not None or self.loading_history is not None:
            self.notify("A run is already training; stop it first (ctrl+t).", severity="warning")
            return
        try:
            config = self.form.config()
        except PoetError as error:
            self.notify(str(error), title="Cannot start", severity="error")
            return
        self.run_child(ChildTraining(config.to_argv()))

    def run_child(self, child: ChildTraining, progress: RunProgress | None = None) -> None:
        child.start()
        self.begin(child, progress or RunProgress())

    def begin(self, source: TrainingSource, progress: RunProgress) -> None:
        self.source = source
        self.progress = progress
        self.notice_toasts.clear()
        self.dirty = True
        self.form.set_locked(True)
        self.update_buttons()
        focused = self.app.focused
        if focused is None or self in focused.ancestors:  # never take the focus from another pane (an attach at start)
            self.query_one("#train-pause", Button).focus()  # the form is locked; keep the pane's keys in reach
        self.follow(source)

    def attach(self, run_id: str) -> None:
        from poet_tui.runs import RunStore

        run = RunStore().get(run_id)
        self.begin(FollowedRun(run), RunProgress())

    def action_pause(self) -> None:
        if self.source is None:
            self.notify("No run is training.", severity="warning")
            return
        if self.source.paused:
            self.source.resume()
        else:
            self.source.pause()
        self.dirty = True
        self.update_buttons()

    def action_stop(self) -> None:
        if self.source is None:
            self.notify("No run is training.", severity="warning")
            return
        self.source.stop()
        self.dirty = True
        self.update_buttons()

    def action_page_pane(self, pages: int) -> None:
        self.scroll_to(y=self.scroll_y + pages * max(1, self.scrollable_content_region.height - 2), animate=False)

    def action_pane_end(self) -> None:
        self.scroll_end(animate=False)

    def action_pane_home(self) -> None:
        self.scroll_home(animate=False)

    def action_resume(self) -> None:
        if self.source is not None:
            self.notify("A run is already training; stop it first (ctrl+t).", severity="warning")
            return
        run_id = self.query_one("#earlier-runs", Select).value
        if not isinstance(run_id, str):
            self.notify("Pick a run to resume in the list under the form.", severity="warning")
            self.query_one("#earlier-runs").focus()
            return
        self.resume_run(run_id)

    def resume_run(self, run_id: str) -> None:
        if self.source is not None:
            self.notify("A run is already training; stop it first (ctrl+t).", severity="warning")
            return
        from poet_tui.runs import RunStore

        if RunStore().get(run_id).is_training():
            self.attach(run_id)  # following its metrics.jsonl from the start reads its whole history
            return
        if self.loading_history is not None:
            self.notify(f"Run {self.loading_history} is about to resume.", severity="warning")
            return
        self.loading_history = run_id
        self.progress = RunProgress(run=run_id, resumed_from_step=0)
        self.dirty = True
        self.form.set_locked(True)
        self.update_buttons()
        self.load_history(run_id)

    @work(thread=True, exclusive=True, group="history", exit_on_error=False)
    def load_history(self, run_id: str) -> None:
        self.post_message(read_history(run_id))

    def on_history_loaded(self, message: HistoryLoaded) -> None:
        """The run's history is folded: resume it on top, so the plot starts at step 0 and the best is known."""
        self.loading_history = None
        if message.progress is None:
            self.form.set_locked(False)
            self.update_buttons()
            self.notify(message.error or "the run's history could not be read", title="Cannot resume", severity="error")
            return
        progress = message.progress
        progress.status = "starting"  # until this session's start event
        progress.resumed_from_step = progress.step
        progress.tokens_per_s = None
        progress.done_reason = progress.error = None
        self.run_child(ChildTraining(resume_flags(message.run_id)), progress)

    def detach(self) -> None:
        """The app quits and leaves the run training."""
        if self.source is not None:
            self.source.detach()

    def on_unmount(self) -> None:
        """The app is closing with a run still training here without having asked (a browser tab closed under
        `poet serve`, a terminal signal): leave it training, as the quit dialog's "leave" does; a paused run
        would otherwise stay stopped with nobody left to continue it."""
        self.detach()

    @on(Button.Pressed, "#train-start")
    def start_pressed(self) -> None:
        self.action_start()

    @on(Button.Pressed, "#train-pause")
    def pause_pressed(self) -> None:
        self.action_pause()

    @on(Button.Pressed, "#train-stop")
    def stop_pressed(self) -> None:
        self.action_stop()

    @on(Button.Pressed, "#train-resume")
    def resume_pressed(self) -> None:
        self.action_resume()

    @on(Select.Changed, "#earlier-runs")
    def earlier_run_picked(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and self.source is None and self.loading_history is None:
            self.view_run(event.value)

    @work(thread=True, exclusive=True, group="view-run", exit_on_error=False)
    def view_run(self, run_id: str) -> None:
        from poet_tui.runs import RunStore

        self.post_message(RunViewed(RunProgress.from_run(RunStore().get(run_id))))

    def on_run_viewed(self, message: RunViewed) -> None:
        if self.source is None and self.loading_history is None:
            self.progress = message.progress
            self.dirty = True

    def update_buttons(self) -> None:
        training = self.source is not None or self.loading_history is not None
        self.set_class(training, "-training")  # on a small terminal the locked form gives way to the run
        self.query_one("#train-start", Button).disabled = training
        self.query_one("#train-resume", Button).disabled = training
        pause = self.query_one("#train-pause", Button)
        pause.disabled = not training
        pause.label = f"{'Continue' if self.source is not None and self.source.paused else 'Pause'} {PAUSE_HINT}"
        self.query_one("#train-stop", Button).disabled = not training

    # ----- the event stream -----
    @work(exclusive=True, group="training", exit_on_error=False)
    async def follow(self, source: TrainingSource) -> None:
        try:
            async for events in source.events():
                self.post_message(TrainingEvents(typed_events(events)))
        finally:
            if not get_current_worker().is_cancelled:
                self.post_message(TrainingEnded(source.exit_code, list(source.stderr_tail), source.log_path))

    def on_training_events(self, message: TrainingEvents) -> None:
        for event in message.events:
            self.progress.apply(event)
            match event:
                case CheckpointEvent():
                    self.post_message(CheckpointWritten())
                case StartEvent(run_config=config) if config is not None:
                    self.form.load_config(config)  # the settings of the run shown
                case NoticeEvent():
                    self.notice_toasts.add(event)
                case _:
                    pass
        self.dirty = True
        self.notice_toasts.flush(self.notify)

    def on_training_ended(self, message: TrainingEnded) -> None:
        progress, code = self.progress, message.exit_code
        said_goodbye = progress.status in ("failed", "done", "stopped")
        if code is None and not said_goodbye:
            progress.status = "interrupted"
            progress.error = "the training process ended without finishing its run"
        elif code is not None and progress.status != "failed" and (not said_goodbye or code not in (0, 130)):
            progress.status = "failed"
            progress.error = f"the training process exited with code {code}"
        if progress.status in ("failed", "interrupted") and message.stderr_tail:
            self.show_stderr(message.stderr_tail, message.log_path)
            self.stderr_shown_for = progress
        if progress.status == "failed":
            kept = f"; its stderr is kept in {message.log_path}" if message.log_path is not None else ""
            self.notify(f"{progress.error or 'training failed'}{kept}", title="Training failed", severity="error")
        self.source = None
        self.dirty = True
        self.form.set_locked(False)
        self.update_buttons()
        if self.app.focused is None or not self.app.focused.focusable:
            self.query_one("#train-start", Button).focus()
        self.post_message(CheckpointWritten())
        if self.engine_loaded:
            self.find_earlier_runs()
        if self.quit_when_stopped:
            self.app.exit()

    def show_stderr(self, lines: list[str], log_path: Path | None = None) -> None:
        scroll = self.query_one("#sample-scroll")
        scroll.border_title = "stderr of the training process (last lines)"
        scroll.add_class("-failed")
        kept = [] if log_path is None else ["", f"(all of it is kept in {log_path})"]
        self.query_one("#sample", Static).update(Content("\n".join([*lines, *kept])))

    def refresh_live(self) -> None:
        self.notice_toasts.flush(self.notify)
        if not self.dirty:
            return
        self.dirty = False
        progress = self.progress
        self.query_one("#run-stats", Static).update(stats_content(progress, self.source))
        self.query_one(ProgressBar).update(progress=progress.fraction or 0.0)
        self.query_one("#run-time", Static).update(time_text(progress, self.source))
        plot = self.query_one(LossAndFormPlot)
        plot.show(
            progress.train_points, progress.val_points, progress.recovery_steps, bits_per_nat=progress.bits_per_nat
        )
        plot.show_adherence(progress.adherence_points)
        plot.show_novelty(progress.novelty_points)
        self.query_one(MemoryPanel).set_run(progress.memory, progress.device, progress.memory_history)
        scroll = self.query_one("#sample-scroll")
        if progress.status != "failed" and self.stderr_shown_for is not progress:
            scroll.remove_class("-failed")
            sampled = progress.sample and progress.sample_step is not None
            at_step = f" at step {progress.sample_step:,}" if sampled else ""
            scroll.border_title = "sample" + at_step
            self.query_one("#sample", Static).update(Content(progress.sample or "A sample appears at each evaluation."))
