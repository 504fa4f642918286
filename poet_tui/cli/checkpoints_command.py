"""`poet checkpoints list | show | rm`: runs and their checkpoints."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table

from poet_tui.checkpoint import remove_checkpoint
from poet_tui.cli.main import EXIT_OK
from poet_tui.cli.output import cli_console
from poet_tui.errors import PoetError
from poet_tui.formatting import format_float, human_bytes, human_count
from poet_tui.run_catalog import CheckpointSummary, checkpoint_summaries
from poet_tui.runs import Run, RunStore


def add_summary_row(table: Table, summary: CheckpointSummary) -> None:
    """The run id already names the start time, corpus and tokenizer, so the row shows the rest."""
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
    return table


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
        config = run.config()
        events = run.events()
        console.print(f"[bold]{run.id}[/bold]  ({run.status(events)})  {run.directory}", highlight=False)
        console.print(Path(run.config_path).read_text(encoding="utf-8"), markup=False, highlight=False)
        table = summary_table("Checkpoints")
        for summary in checkpoint_summaries([run]):
            add_summary_row(table, summary)
        console.print(table)
        evaluations = [event for event in events if event["event"] == "eval"][-10:]
        if evaluations:
            evaluation_table = Table(title="Last evaluations", title_justify="left")
            for column in ("step", "val loss", "bits/char", "best"):
                evaluation_table.add_column(column, justify="right")
            for event in evaluations:
                evaluation_table.add_row(
                    str(event["step"]),
                    f"{event['val_loss']:.4f}",
                    f"{event['val_bpc']:.3f}",
                    "★" if event.get("best") else "",
                )
            console.print(evaluation_table)
        console.print(f"corpus {config.corpus}, tokenizer {config.tokenizer.kind}; `poet generate {run.id}`")
        return EXIT_OK
    if action == "rm":
        path = Path(arguments.run).expanduser()
        if path.is_file():
            return remove_one_checkpoint(store, arguments.run, arguments.yes, console)
        run = store.get(arguments.run)
        if not arguments.yes and not confirm(f"Delete run {run.id} and all its checkpoints?"):
            console.print("kept.")
            return EXIT_OK
        store.remove(run)
        console.print(f"deleted run {run.id}")
        return EXIT_OK
    raise PoetError(f"unknown action '{action}'; use list, show or rm.")


def resolve_run(store: RunStore, name: str) -> tuple[Run, str | None]:
    path = Path(name).expanduser()
    if path.is_file():
        run, files = store.resolve_model(name)
        return run, files.stem
    return store.get(name), None


def remove_one_checkpoint(store: RunStore, name: str, yes: bool, console: Console) -> int:
    run, files = store.resolve_model(name)
    if run.training_pid() is not None:
        raise PoetError(f"run {run.id} is still training; stop it before deleting its checkpoints.")
    if not yes and not confirm(f"Delete checkpoint {files.stem} of run {run.id}?"):
        console.print("kept.")
        return EXIT_OK
    remove_checkpoint(files)
    console.print(f"deleted checkpoint {files.stem} of run {run.id}")
    return EXIT_OK
