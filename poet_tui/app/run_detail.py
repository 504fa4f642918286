"""The run browser's detail: the highlighted run (or checkpoint) as a formatted summary, every figure with its
unit, file paths relative to POET_HOME, each on a line of its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.content import Content

from poet_tui.app.run_table import STATUS_STYLES, bpc_text, short_names, stem_text
from poet_tui.formatting import format_float, human_bytes, human_count, human_duration

LABEL_WIDTH = 14
WORD_NOTE = "* word model: bits/char flattered by <unk> (rare words cost one token, whatever their spelling)"
Part = str | tuple[str, str]


def relative(path: str, home: Path) -> str:
    """A path under POET_HOME as `runs/…`; anything else as it is."""
    location = Path(path)
    return str(location.relative_to(home)) if location.is_relative_to(home) else str(location)


def line(label: str, *value: Part) -> list[Part]:
    return [(f"\n{label:<{LABEL_WIDTH}}", "$text-muted"), *value]


def model_text(run: Any) -> str:
    layers = f"{run.layers} layer{'s' if run.layers != 1 else ''}"
    return f"{run.cell.upper()}, {layers} × {run.hidden} hidden, {run.embedding} embedding"


def tokenizer_text(run: Any) -> str:
    vocabulary = f" · vocabulary of {run.vocab_size:,} tokens" if run.vocab_size else ""
    return f"{run.tokenizer}{vocabulary}"


def status_parts(run: Any) -> list[Part]:
    reason = f" ({run.status_reason})" if run.status_reason else ""
    return [(run.status, STATUS_STYLES.get(run.status, "")), reason]


def checkpoint_parts(checkpoint: Any, run: Any, home: Path) -> list[Part]:
    """What the highlighted checkpoint row is: its step and losses, or why it is damaged."""
    if checkpoint.problem is not None:
        return [
            ("\ncheckpoint ", "bold"),
            (checkpoint.stem, "bold"),
            ("\ndamaged: ", "$text-error"),
            checkpoint.problem,
            ("\nd deletes it.", "$text-muted"),
            "\n",
        ]
    parts: list[Part] = [("\ncheckpoint ", "bold"), (stem_text(checkpoint.stem), "bold")]
    parts += line("step", f"{checkpoint.step:,}")
    parts += line(
        "validation",
        f"{format_float(checkpoint.val_loss)} nats/token · {bpc_text(checkpoint.val_bpc, run.is_word)} bits/char",
    )
    parts += line("size", human_bytes(checkpoint.size_bytes))
    if checkpoint.created:
        parts += line("written", checkpoint.created.replace("T", " ")[:16])
    parts += line("file", f"checkpoints/{Path(checkpoint.path).name}")
    parts.append(("\nEnter opens this checkpoint; r resumes the run from its latest.\n", "$text-muted"))
    return parts


def detail_content(run: Any, checkpoint: Any | None, home: Path) -> Content:
    """A run's summary; a checkpoint row's own figures first when one is highlighted."""
    parts: list[Part] = [(run.run_id, "bold")]
    if run.problem is not None:
        parts += [
            ("\ndamaged: ", "$text-error"),
            run.problem,
            ("\n\nd deletes the run.", "$text-muted"),
        ]
        return Content.assemble(*parts)
    if checkpoint is not None:
        parts += checkpoint_parts(checkpoint, run, home)
    parts += line("status", *status_parts(run))
    if run.error:
        parts += line("error", (run.error, "$text-error"))
    parts += line("corpus", run.corpus)
    parts += line("tokenizer", tokenizer_text(run))
    parts += line("model", model_text(run))
    if run.parameters:
        parts += line("size", f"{run.parameters:,} parameters ({human_count(run.parameters)})")
    for name, value in run.settings:
        parts += line(name, value)
    trained = f" · {human_duration(run.elapsed_s)} trained" if run.elapsed_s else ""
    device = f" on {run.device}" if run.device else ""
    parts += line("steps", f"{run.steps:,}{trained}{device}")
    parts += line(
        "best val",
        f"{format_float(run.best_val_loss)} nats/token · {bpc_text(run.best_val_bpc, run.is_word)} bits/char",
    )
    if run.is_word:
        parts.append((f"\n{WORD_NOTE}", "$text-warning"))
    if run.adherence:
        parts += [("\nform adherence ", "$text-muted"), run.adherence]
    if run.novelty:
        parts += [("\nnovelty ", "$text-muted"), run.novelty]
    for notice in run.notices:
        parts += [("\n⚠ ", "$text-warning"), (notice, "$text-warning")]
    if run.notice_count > len(run.notices):
        parts.append((f"\n({run.notice_count} notices; `poet checkpoints show` lists them all)", "$text-muted"))
    parts += files_parts(run, home)
    return Content.assemble(*parts)


def files_parts(run: Any, home: Path) -> list[Part]:
    """The run's folder under POET_HOME, then each checkpoint's weights in it: each path on a line of its own,
    short enough not to wrap."""
    if not run.checkpoints:
        return line("files", "no checkpoint yet")
    folder = relative(str(Path(run.checkpoints[0].path).parent.parent), home)
    parts: list[Part] = [("\nfiles ", "$text-muted"), (f"({human_bytes(run.size_bytes)})", "$text-muted")]
    parts.append(f"\n  {folder}/")
    for checkpoint in run.checkpoints:
        size = "damaged" if checkpoint.problem else human_bytes(checkpoint.size_bytes)
        parts += [f"\n    checkpoints/{Path(checkpoint.path).name}", (f" · {size}", "$text-muted")]
    return parts


def comparison_content(runs: list[Any], colours: list[str]) -> Content:
    """The runs marked for comparison, each in its colour on the plot, with the figure the plot compares."""
    parts: list[Part] = [(f"{len(runs)} runs compared", "bold")]
    parts.append((" · space unmarks the highlighted run", "$text-muted"))
    for index, (run, name) in enumerate(zip(runs, short_names(runs), strict=True)):
        colour = colours[index % len(colours)] if colours else ""
        parts += [
            ("\n● ", colour),
            (name, "bold"),
            f" · best {bpc_text(run.best_val_bpc, run.is_word)} bits/char · {run.steps:,} steps",
        ]
    if any(run.is_word for run in runs):
        parts.append((f"\n{WORD_NOTE}", "$text-warning"))
    return Content.assemble(*parts)
