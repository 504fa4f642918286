"""The Train pane's Run panel: which run, its state (each in its own colour), step, losses with their units,
the corpus's forms and the model's form adherence, and what it recovered from — one text, rebuilt from the
folded events a few times a second. Speed and ETA are live figures: shown only while the run trains."""

from __future__ import annotations

from textual.content import Content

from poet_tui.app.notice_toasts import notices_summary
from poet_tui.app.training_process import TrainingSource
from poet_tui.formatting import human_count, human_duration
from poet_tui.run_progress import RunProgress

IDLE_TEXT = (
    "No run yet. Fill in the form and press ctrl+s to start one, "
    "or pick an earlier run under the form to watch it or resume it (ctrl+r)."
)
# Each state a run shows: a mark and a theme colour of its own, so a glance tells them apart.
STATE_STYLES = {
    "starting": ("◌", "$text-muted"),
    "resuming": ("◌", "$text-muted"),
    "training": ("●", "$text-success"),
    "running": ("●", "$text-success"),
    "finishing": ("●", "$text-success"),
    "paused": ("‖", "$text-warning"),
    "stopping": ("■", "$text-warning"),
    "stopped": ("■", "$text-primary"),
    "done": ("✓", "$text-secondary"),
    "failed": ("✗", "$text-error"),
    "interrupted": ("✗", "$text-error"),
}
LOADING = "loading the corpus, building the tokenizer and the model…"
RESUME_LOADING = "reading its history, loading the corpus and the checkpoint…"


def run_state(progress: RunProgress, source: TrainingSource | None) -> str:
    """starting, resuming, training, paused, stopping, or how the run ended (its status)."""
    if source is not None and source.paused:
        return "paused"
    if source is not None and source.stop_requested and progress.status in ("starting", "training"):
        return "stopping"
    if progress.status == "starting" or (source is not None and progress.status == "training" and not progress.stepped):
        return "resuming" if progress.resumed_from_step is not None else "starting"
    if source is not None and progress.status == "training" and (progress.fraction or 0.0) >= 1:
        return "finishing"  # the budget is spent: the last evaluation and checkpoint, then goodbye
    return progress.status


def is_live(progress: RunProgress, source: TrainingSource | None) -> bool:
    """Whether speed and time left mean anything now: the run trains, and is neither paused nor stopping."""
    return run_state(progress, source) in ("training", "running")


def state_line(state: str, progress: RunProgress) -> list[str | tuple[str, str]]:
    mark, colour = STATE_STYLES.get(state, ("●", "$text-accent"))
    loading = progress.status == "starting"  # no start event from this session yet
    words = state
    if state == "stopping":
        words = "stopping: saving a checkpoint…"
    elif state == "finishing":
        words = "finishing: the last evaluation and checkpoint…"
    elif state == "resuming":
        words = f"resuming: {RESUME_LOADING}" if loading else f"resuming from step {progress.resumed_from_step or 0:,}"
    elif state == "starting" and loading:
        words = f"starting: {LOADING}"
    elif progress.done_reason not in (None, state):
        words = f"{state} ({progress.done_reason})"
    parts: list[str | tuple[str, str]] = [(f"{mark} {words}", f"bold {colour}")]
    if progress.device and not loading:
        parts.append(f" · {progress.device} · {human_count(progress.params or None)} parameters")
    return parts


def step_line(state: str, progress: RunProgress, live: bool) -> str:
    epoch = f"epoch {progress.epoch:.2f}"
    if state in ("starting", "resuming"):
        if progress.status == "starting" and state == "resuming" and not progress.train_points:
            return "\nreading the run's history…"
        if progress.status == "starting" and state == "resuming":
            return f"\nstep {progress.step:,} · {epoch} · the run goes on once loaded"
        if progress.status == "starting":
            return "\nits figures appear after the first steps"
        every = progress.training.log_every_steps if progress.training is not None else None
        first = f" (a figure every {every:,} steps)" if every else ""
        return f"\ntraining the first steps{first}…"
    if live:
        return f"\nstep {progress.step:,} · {epoch} · {progress.speed_text()}"
    trained = f" · {human_duration(progress.elapsed_s)} of training" if progress.elapsed_s > 0 else ""
    if state in ("paused", "stopping", "finishing"):
        return f"\nstep {progress.step:,} · {epoch}{trained}"
    return f"\n{state} at step {progress.step:,} · {epoch}{trained}"


def nats(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f} nats/token"


def loss_lines(progress: RunProgress) -> list[str | tuple[str, str]]:
    """Training loss and the last validation (nats/token and bits/char), then the best so far, with units."""
    parts: list[str | tuple[str, str]] = [("\ntrain ", "$text-muted"), nats(progress.train_loss)]
    parts += [(" · val ", "$text-muted"), nats(progress.val_loss)]
    if progress.val_bpc is not None:
        parts.append(f" = {progress.val_bpc:.3f} bits/char")
    best = progress.best_evaluation
    if best is not None:
        bpc = f" = {best.val_bpc:.3f} bits/char" if best.val_bpc is not None else ""
        parts += [("\nbest ", "$text-muted"), f"{nats(best.val_loss)}{bpc} at step {best.step:,}"]
    elif progress.best_val_loss is not None:
        parts += [("\nbest ", "$text-muted"), nats(progress.best_val_loss)]
    return parts


def form_lines(progress: RunProgress) -> list[str]:
    """The corpus's forms once the start event names them, and the last form adherence once one is measured
    (one line); nothing for a corpus in no known form."""
    lines = []
    shown = [f"forms {progress.forms_summary()}"] if progress.forms else []
    if progress.form_adherence is not None:
        shown.append(f"form adherence {progress.adherence_summary()}")
    if shown:
        lines.append("\n" + " · ".join(shown))
    if progress.novelty is not None:
        lines.append(f"\nnovelty {progress.novelty_summary()} (not copied from the training text)")
    return lines


def stats_content(progress: RunProgress, source: TrainingSource | None) -> Content:
    if not progress.run and source is None and progress.status == "starting":
        return Content.styled(IDLE_TEXT, "$text-muted")
    state = run_state(progress, source)
    live = is_live(progress, source)
    parts: list[str | tuple[str, str]] = [(progress.run or "a new run", "bold"), "\n"]
    parts += state_line(state, progress)
    parts.append(step_line(state, progress, live))
    if progress.train_points or progress.val_points:
        parts += loss_lines(progress)
    parts += form_lines(progress)
    if progress.notices:
        parts.append(("\n" + notices_summary(progress.notices), "$text-warning"))
    if progress.error:
        parts.append((f"\n{progress.error}", "$text-error"))
    return Content.assemble(*parts)


def time_text(progress: RunProgress, source: TrainingSource | None) -> str:
    """The line beside the progress bar: the share of the budget and time trained; the time left only live."""
    fraction = progress.fraction
    share = f"{fraction:.0%} of the budget" if fraction is not None else "budget —"
    state = run_state(progress, source)
    if state in ("starting", "resuming") and not progress.stepped:
        return share if progress.step else ""
    elapsed = f"{human_duration(progress.elapsed_s)} trained"
    if is_live(progress, source):
        return f"{share} · {elapsed} · ETA {human_duration(progress.eta_seconds())}"
    return f"{share} · {elapsed}"
