"""`poet checkpoints list | show | rm`: runs and their checkpoints."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from poet_tui.cli.main import EXIT_OK
from poet_tui.cli.output import (
    NAME_STYLE,
    ColumnKind,
    bits_per_char,
    cli_console,
    flattered_note,
    is_narrow,
    make_table,
    print_table,
)
from poet_tui.config import RunConfig
from poet_tui.errors import PoetError
from poet_tui.event_types import EvalEvent, NoticeEvent
from poet_tui.formatting import format_float, human_bytes, human_count
from poet_tui.options import GROUPS, OPTIONS, Option
from poet_tui.overlap import DEFAULT_MIN_COPY
from poet_tui.paths import user_path
from poet_tui.run_catalog import CheckpointSummary, checkpoint_summaries
from poet_tui.run_progress import RunProgress
from poet_tui.runs import Run, RunStore, looks_like_a_path, names_a_checkpoint_file


def summary_table(title: str, summaries: list[CheckpointSummary], narrow: bool = False) -> Table:
    """One row per checkpoint. The run id already names the start time, corpus and tokenizer, so the row shows
    the rest (narrow: without the parameter count and file size); a problem column only when a checkpoint is
    damaged; a word run's bits/char marked (print_summaries prints the footnote)."""
    damaged = any(summary.problem is not None for summary in summaries)
    columns: list[tuple[str, ColumnKind]] = [("run (started-corpus-tokenizer)", "name")]
    columns.append(("ckpt" if narrow else "checkpoint", "text"))
    columns.append(("step", "number"))
    if not narrow:
        columns.append(("params", "number"))
    columns += [("val loss\nnats/token", "number"), ("val\nbits/char", "number")]
    if not narrow:
        columns.append(("size", "number"))
    if damaged:
        columns.append(("problem", "problem"))
    table = make_table(title, columns)
    for summary in summaries:
        if summary.problem is not None:
            stem = Text(f"damaged {summary.stem}".rstrip(), style="red")
            table.add_row(summary.run_id, stem, *[""] * (len(columns) - 3), Text(summary.problem))
            continue
        cells = [summary.run_id, summary.stem, f"{summary.step:,}", human_count(summary.parameters)]
        cells += [format_float(summary.val_loss, 4), bits_per_char(summary.val_bpc, summary.tokenizer)]
        cells += [human_bytes(summary.size_bytes)]
        if narrow:
            del cells[6], cells[3]
        table.add_row(*cells, *([""] if damaged else []))
    return table


def print_summaries(console: Console, title: str, summaries: list[CheckpointSummary]) -> None:
    kinds = [summary.tokenizer for summary in summaries if summary.problem is None]
    print_table(console, summary_table(title, summaries, is_narrow(console)), flattered_note(kinds))


def print_evaluations(console: Console, evaluations: list[EvalEvent], tokenizer_kind: str) -> None:
    if not evaluations:
        return
    table = make_table(
        f"Last {len(evaluations)} evaluations" if len(evaluations) > 1 else "Last evaluation",
        [("step", "number"), ("val loss\nnats/token", "number"), ("val\nbits/char", "number"), ("best", "text")],
    )
    for evaluation in evaluations:
        table.add_row(
            f"{evaluation.step:,}",
            format_float(evaluation.val_loss, 4),
            bits_per_char(evaluation.val_bpc, tokenizer_kind),
            Text("★ best", style="green") if evaluation.best else "",
        )
    print_table(console, table, flattered_note([tokenizer_kind]))


def applies(item: Option, config: RunConfig) -> bool:
    """A setting that only means something for some values of another (vocab_size: spm runs) shows only there."""
    if item.applies_when is None:
        return True
    key, values = item.applies_when
    return str(setting_value(config, key)) in values


def setting_value(config: RunConfig, key: str) -> Any:
    section, _, name = key.rpartition(".")
    return getattr(getattr(config, section) if section else config, name)


def setting_text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def unshown_records(config: RunConfig) -> set[str]:
    """What run.toml records for checking, not for reading: the fingerprints, and the parts of a corpus that is
    not combined (empty)."""
    return {"corpus_fingerprint", "corpus_part_fingerprints"} | (set() if config.corpus_parts else {"corpus_parts"})


def settings_table(config: RunConfig) -> Table:
    """The run's settings as `poet train` names them, grouped as `--help` groups them; a tokenizer setting of
    another kind (a char run's vocab_size, spm_model, min_count) is left out, since it never applied."""
    table = make_table("Settings", [("group", "muted"), ("setting", "name"), ("value", "text")])
    for group, heading in GROUPS.items():
        shown = [
            item
            for item in OPTIONS
            if item.group == group and item.name not in unshown_records(config) and applies(item, config)
        ]
        if group == "run" and config.corpus_source == config.corpus:
            shown = [item for item in shown if item.name != "corpus_source"]  # said already by corpus
        for index, item in enumerate(shown):
            label = heading.split(" (")[0] if index == 0 else ""
            value = setting_value(config, item.key)
            table.add_row(label, item.flag or item.name.replace("_", " "), Text(setting_text(value)))
        if shown:
            table.add_section()
    return table


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
        summaries = checkpoint_summaries(store.list())
        if getattr(arguments, "json", False):
            from poet_tui.cli.json_output import checkpoint_document, print_json

            print_json({"store": str(store.root), "checkpoints": [checkpoint_document(item) for item in summaries]})
            return EXIT_OK
        print_summaries(console, f"Checkpoints ({len(summaries)}) in {store.root}", summaries)
        if not summaries:
            console.print("No runs yet: `poet train --corpus NAME` starts one.", highlight=False)
        return EXIT_OK
    if action == "show":
        run, _ = resolve_run(store, arguments.run)
        run.require_no_links()
        config = run.config()
        progress = RunProgress.from_run(run)
        if getattr(arguments, "json", False):
            from poet_tui.cli.json_output import print_json, run_show_document

            print_json(run_show_document(run, config, progress, checkpoint_summaries([run])))
            return EXIT_OK
        console.print(
            Text.assemble(
                ("run ", "bold"), (run.id, NAME_STYLE), f"  {progress.status}\n", (str(run.directory), "dim")
            ),
            highlight=False,
        )
        console.print(settings_table(config))
        print_summaries(console, "Checkpoints", checkpoint_summaries([run]))
        print_evaluations(console, progress.evaluations[-10:], config.tokenizer.kind)
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
