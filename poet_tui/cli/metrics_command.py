"""`poet metrics RUN [--csv | --json | --tensorboard DIR]`: a run's event history out of poet-tui — a table of its
evaluations, CSV of its figures, its checked events as JSON lines, or TensorBoard event files.

Every format reads the log through the one checked reader (events.py): a torn or damaged line is skipped, and
only values that passed their checks are shown. Parser set-up lives here, so `poet --help` pays for nothing
more than argparse."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from poet_tui.event_types import Event
    from poet_tui.runs import Run

EVENT_KINDS_HELP = "with --csv: which events become rows, from step and eval (default: both)"


def add_metrics_parser(commands: Any) -> None:
    """`poet metrics`, added to the sub-command parsers main.py builds."""
    metrics = commands.add_parser(
        "metrics", help="a run's training history: a table, CSV, JSON lines or TensorBoard files"
    )
    metrics.add_argument("run", help="a run name (or its start) or a run folder")
    formats = metrics.add_mutually_exclusive_group()
    formats.add_argument(
        "--csv", action="store_true", help="CSV on stdout: a row per step and eval event, numeric columns only"
    )
    formats.add_argument(
        "--json", action="store_true", help="the run's checked events on stdout, one JSON object per line"
    )
    formats.add_argument(
        "--tensorboard",
        metavar="DIR",
        help="write TensorBoard event files to DIR/<run-id>/ (needs the tensorboard extra); "
        "writing a run again replaces its earlier files",
    )
    metrics.add_argument("--events", default="step,eval", metavar="KINDS", help=EVENT_KINDS_HELP)


def csv_kinds(text: str) -> tuple[str, ...]:
    """`--events step,eval` as a tuple of kinds; anything else is refused in one sentence."""
    from poet_tui.errors import PoetError
    from poet_tui.metrics_export import ROW_KINDS

    kinds = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    unknown = [kind for kind in kinds if kind not in ROW_KINDS]
    if not kinds or unknown:
        shown = f"'{unknown[0][:40]}' is not one" if unknown else "no kind was given"
        raise PoetError(f"--events takes step, eval or step,eval; {shown}.")
    return kinds


def metrics_command(arguments: argparse.Namespace) -> int:
    from poet_tui.cli.main import EXIT_OK
    from poet_tui.errors import PoetError
    from poet_tui.event_types import typed_events
    from poet_tui.runs import RunStore

    kinds = csv_kinds(arguments.events)
    if arguments.events != "step,eval" and not arguments.csv:
        raise PoetError("--events chooses the rows of --csv; add --csv, or leave --events out.")
    run = RunStore().get(arguments.run)
    run.require_no_links()
    if arguments.json:
        from poet_tui.cli.json_output import print_json
        from poet_tui.events import read_events

        for event in read_events(run.metrics_path):  # streamed: a long log is never held whole
            print_json(event)
        return EXIT_OK
    raw = run.events()
    events = typed_events(raw)
    if arguments.csv:
        from poet_tui.metrics_export import write_csv

        write_csv(events, sys.stdout, kinds)
        sys.stdout.flush()
        return EXIT_OK
    if arguments.tensorboard is not None:
        return write_tensorboard(run, events, arguments.tensorboard)
    print_evaluations(run, events, run.status(raw))
    return EXIT_OK


def write_tensorboard(run: Run, events: list[Event], destination: str) -> int:
    import shlex

    from poet_tui.cli.main import EXIT_OK
    from poet_tui.errors import PoetError
    from poet_tui.paths import user_path
    from poet_tui.tensorboard_export import export_tensorboard

    if not destination.strip():
        raise PoetError("--tensorboard needs a folder, e.g. --tensorboard tb-runs.")
    folder = user_path(destination)
    export = export_tensorboard(events, run.id, folder)
    replaced = f", replacing {export.replaced} earlier file{'s' if export.replaced != 1 else ''}" * bool(
        export.replaced
    )
    print(
        f"wrote {export.points:,} points and {export.samples:,} samples of run {run.id} to {export.directory}"
        f"{replaced}; view them with: tensorboard --logdir {shlex.quote(str(folder))}"
    )
    return EXIT_OK


def print_evaluations(run: Run, events: list[Event], status: str) -> None:
    """A table of the evaluations (with the training loss logged nearest before each) and a one-line summary."""
    from rich.text import Text

    from poet_tui.cli.output import bits_per_char, cli_console, flattered_note, make_table, print_table
    from poet_tui.errors import PoetError
    from poet_tui.formatting import format_float
    from poet_tui.metrics_export import evaluation_rows
    from poet_tui.run_progress import RunProgress

    console = cli_console()
    tokenizer: str
    try:
        tokenizer = run.config().tokenizer.kind
    except PoetError:
        tokenizer = ""  # a damaged run.toml costs only the word-model mark on bits/char
    rows = evaluation_rows(events)
    progress = RunProgress.from_events(events)
    if not rows:
        console.print(
            f"run {run.id} ({status}) has no evaluations yet; `poet metrics {run.id} --csv` gives its steps.",
            markup=False,
            highlight=False,
        )
        return
    adherence = any(row.form_adherence is not None for row in rows)
    novelty = any(row.novelty is not None for row in rows)
    columns: list[tuple[str, Any]] = [("step", "number"), ("train loss\nnats/token", "number")]
    columns += [("val loss\nnats/token", "number"), ("val\nbits/char", "number"), ("best", "text")]
    columns += [("form\nadherence", "number")] * adherence + [("novelty", "number")] * novelty
    table = make_table(f"Evaluations of {run.id} ({len(rows)})", columns)
    for row in rows:
        cells: list[Any] = [f"{row.step:,}", format_float(row.train_loss, 4), format_float(row.val_loss, 4)]
        cells += [bits_per_char(row.val_bpc, tokenizer), Text("★ best", style="green") if row.best else ""]
        if adherence:
            cells.append(percent(row.form_adherence))
        if novelty:
            cells.append(percent(row.novelty))
        table.add_row(*cells)
    print_table(console, table, flattered_note([tokenizer]))
    console.print(summary_line(run.id, status, progress), markup=False, highlight=False)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def summary_line(run_id: str, status: str, progress: Any) -> str:
    """`run … (done): 12 evaluations to step 1,200; best val loss 1.6123 nats/token, 2.321 bits/char at step 1,000`."""
    best = progress.best_evaluation
    said = f"run {run_id} ({status}): {len(progress.evaluations)} evaluations to step {progress.step:,}"
    if best is None:
        return said
    bpc = "" if best.val_bpc is None else f", {best.val_bpc:.3f} bits/char"
    return f"{said}; best val loss {best.val_loss:.4f} nats/token{bpc} at step {best.step:,}"
