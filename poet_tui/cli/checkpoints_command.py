"""`poet checkpoints list | show | rm`: runs and their checkpoints."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from poet_tui.cli.main import EXIT_OK
from poet_tui.cli.output import cli_console
from poet_tui.errors import PoetError
from poet_tui.event_types import EvalEvent, NoticeEvent
from poet_tui.formatting import format_float, human_bytes, human_count
from poet_tui.overlap import DEFAULT_MIN_COPY
from poet_tui.paths import user_path
from poet_tui.run_catalog import CheckpointSummary, checkpoint_summaries
from poet_tui.run_progress import RunProgress
from poet_tui.runs import Run, RunStore, looks_like_a_path, names_a_checkpoint_file
from poet_tui.safe_files import read_text_file_nofollow


def add_summary_row(table: Table, summary: CheckpointSummary) -> None:
    """The run id already names the start time, corpus and tokenizer, so the row shows the rest."""
    if summary.problem is not None:
        table.add_row(
            summary.run_id, f"[red]damaged[/red] {summary.stem}".rstrip(), "", "", "", "", "", summary.problem
        )
        return
    table.add_row(
        summary.run_id,
        summary.stem,
        str(summary.step),
        human_count(summary.parameters),
        format_float(summary.val_loss, 4),
        format_float(summary.val_bpc, 3),
        human_bytes(summary.size_bytes),
    )


def summary_table(title: str) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("run (started-corpus-tokenizer)", overflow="fold", ratio=1)
    table.add_column("checkpoint", no_wrap=True, min_width=10)
    for column in ("step", "params", "val loss", "bits/char", "size"):
        table.add_column(column, justify="right", no_wrap=True, min_width=len(column))
    table.add_column("problem", overflow="fold", ratio=1, style="red")
    return table


def print_evaluations(console: Console, evaluations: list[EvalEvent]) -> None:
    if not evaluations:
        return
    table = Table(title="Last evaluations", title_justify="left")
    for column in ("step", "val loss", "bits/char", "best"):
        table.add_column(column, justify="right")
    for evaluation in evaluations:
        table.add_row(
            str(evaluation.step),
            format_float(evaluation.val_loss, 4),
            format_float(evaluation.val_bpc, 3),
            "★" if evaluation.best else "",
        )
    console.print(table)


MAX_NOTICES_SHOWN = 20


def print_notices(console: Console, notices: list[NoticeEvent]) -> None:
    """What training recovered from (and the batch size chosen for it), one whole line each so it can be
    searched; a run that recovered hundreds of times lists its last few and says how many more there were."""
    if not notices:
        return
    console.print(Text("Notices (recoveries and choices made during training)", style="italic"))
    if len(notices) > MAX_NOTICES_SHOWN:
        console.print(f"  … {len(notices) - MAX_NOTICES_SHOWN} earlier notices not shown", highlight=False)
    for notice in notices[-MAX_NOTICES_SHOWN:]:
        console.print(Text.assemble("  ", (notice.title, "yellow"), " · ", notice.line()), soft_wrap=True)


def confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        raise PoetError("deleting needs confirmation; add --yes to delete without asking.")
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def checkpoints_command(arguments: argparse.Namespace) -> int:
    console = cli_console()
    store = RunStore()
    action = arguments.action or "list"
    if action == "list":
        table = summary_table(f"Checkpoints in {store.root}")
        for summary in checkpoint_summaries(store.list()):
            add_summary_row(table, summary)
        console.print(table)
        return EXIT_OK
    if action == "show":
        run, _ = resolve_run(store, arguments.run)
        run.require_no_links()
        config = run.config()
        progress = RunProgress.from_run(run)
        console.print(f"[bold]{run.id}[/bold]  ({progress.status})  {run.directory}", highlight=False)
        console.print(read_text_file_nofollow(run.config_path, what="run.toml"), markup=False, highlight=False)
        table = summary_table("Checkpoints")
        for summary in checkpoint_summaries([run]):
            add_summary_row(table, summary)
        console.print(table)
        print_evaluations(console, progress.evaluations[-10:])
        if progress.form_adherence is not None:
            console.print(
                f"form adherence {progress.adherence_summary()}: the share of unconstrained samples in the "
                "corpus's main forms",
                markup=False,
                highlight=False,
            )
        if progress.novelty is not None:
            console.print(
                f"novelty {progress.novelty_summary()}: the share of the last sample outside verbatim copies of "
                f"{DEFAULT_MIN_COPY}+ characters from the training text",
                markup=False,
                highlight=False,
            )
        print_notices(console, progress.notices)
        console.print(f"corpus {config.corpus}, tokenizer {config.tokenizer.kind}; `poet generate {run.id}`")
        return EXIT_OK
    if action == "rm":
        path = user_path(arguments.run)
        if looks_like_a_path(arguments.run) and names_a_checkpoint_file(path):
            return remove_one_checkpoint(store, path, arguments.yes, console)
        run = store.get(arguments.run)
        if not arguments.yes and not confirm(f"Delete run {run.id} and all its checkpoints?"):
            console.print("kept.")
            return EXIT_OK
        store.remove(run)
        console.print(f"deleted run {run.id}")
        return EXIT_OK
    raise PoetError(f"unknown action '{action}'; use list, show or rm.")


def resolve_run(store: RunStore, name: str) -> tuple[Run, str | None]:
    path = user_path(name)
    if looks_like_a_path(name) and names_a_checkpoint_file(path):
        run, files = store.resolve_model(name)
        return run, files.stem
    return store.get(name), None


def remove_one_checkpoint(store: RunStore, path: Path, yes: bool, console: Console) -> int:
    """One checkpoint, named by one of its files in a store run (a damaged one can be deleted too)."""
    run, files = store.checkpoint_at(path, check_metadata=False)
    if run.is_training():
        raise PoetError(f"run {run.id} is still training; stop it before deleting its checkpoints.")
    if not yes and not confirm(f"Delete checkpoint {files.stem} of run {run.id}?"):
        console.print("kept.")
        return EXIT_OK
    store.remove_checkpoint(run, files.stem)
    console.print(f"deleted checkpoint {files.stem} of run {run.id}")
    return EXIT_OK
