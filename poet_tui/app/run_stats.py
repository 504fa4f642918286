"""The Train pane's Run panel: which run, its status, step, losses, the corpus's forms and the model's form
adherence, and what it recovered from — one text, rebuilt from the folded events a few times a second."""

from __future__ import annotations

from textual.content import Content

from poet_tui.app.notice_toasts import notices_summary
from poet_tui.app.training_process import TrainingSource
from poet_tui.formatting import format_float, human_count
from poet_tui.run_progress import RunProgress

IDLE_TEXT = (
    "No run yet. Fill in the form and press ctrl+s to start one, "
    "or pick an earlier run under the form to watch it or resume it (ctrl+r)."
)


def form_lines(progress: RunProgress) -> list[str]:
    """The corpus's forms once the start event names them, and the last form adherence once one is measured;
    nothing for a corpus in no known form."""
    lines = []
    if progress.forms:
        lines.append(f"\nforms {progress.forms_summary()}")
    if progress.form_adherence is not None:
        lines.append(f"\nform adherence {progress.adherence_summary()}")
    if progress.novelty is not None:
        lines.append(f"\nnovelty {progress.novelty_summary()} (sample outside copies from the training text)")
    return lines


def stats_content(progress: RunProgress, source: TrainingSource | None) -> Content:
    if not progress.run and source is None and progress.status == "starting":
        return Content.styled(IDLE_TEXT, "$text-muted")
    status = progress.status
    if source is not None and source.paused:
        status = "paused"
    elif source is not None and source.stop_requested and status == "training":
        status = "stopping: saving a checkpoint…"
    colour = {"failed": "$text-error", "done": "$text-success", "paused": "$text-warning"}.get(status, "$text-accent")
    parts: list[str | tuple[str, str]] = [
        (progress.run or "starting…", "bold"),
        "\n",
        (status if progress.done_reason in (None, status) else f"{status} ({progress.done_reason})", f"bold {colour}"),
        f" · {progress.device or '—'} · {human_count(progress.params or None)} parameters",
        f"\nstep {progress.step:,} · epoch {progress.epoch:.2f} · {human_count(progress.tokens_per_s)} tokens/s",
        f"\nloss {format_float(progress.train_loss)} · val {format_float(progress.val_loss)}",
        f" · {format_float(progress.val_bpc)} bits/char · best {format_float(progress.best_val_loss)}",
        *form_lines(progress),
    ]
    if progress.notices:
        parts.append(("\n" + notices_summary(progress.notices), "$text-warning"))
    if progress.error:
        parts.append((f"\n{progress.error}", "$text-error"))
    return Content.assemble(*parts)
