"""`poet corpora list | show | add | rm`."""

from __future__ import annotations

import argparse
import sys

from rich.text import Text

from poet_tui.cli.combine_command import (
    combination_problems,
    combine_command,
    corpus_kind,
    part_documents,
    preview_documents,
    print_parts,
    users_of,
    warn_broken,
    warn_users,
)
from poet_tui.cli.main import EXIT_OK
from poet_tui.cli.name_refusals import name_refusals_with_flags
from poet_tui.cli.output import ColumnKind, cli_console, is_narrow, make_fields_table, make_table
from poet_tui.corpus import Corpus
from poet_tui.corpus_reading import shown
from poet_tui.corpus_registration import register_corpus, remove_corpus
from poet_tui.corpus_registry import (
    CorpusEntry,
    Registry,
    bundled_corpora,
    find_corpus,
    read_registry,
    registry_file,
    resolve_corpus,
)
from poet_tui.errors import PoetError
from poet_tui.formatting import human_bytes, human_count


def corpora_command(arguments: argparse.Namespace) -> int:
    console = cli_console()
    action = arguments.action or "list"
    if action == "gutenberg":
        from poet_tui.cli.gutenberg_command import gutenberg_command

        return gutenberg_command(arguments)
    if action == "list":
        registry = read_registry()
        listed = bundled_corpora() + registry.entries
        problems = combination_problems(listed)
        if getattr(arguments, "json", False):
            from poet_tui.cli.json_output import corpora_list_document, print_json

            print_json(corpora_list_document(listed, registry, registry_file(), problems))
            warn_damaged(registry)
            warn_broken(problems)
            return EXIT_OK
        narrow = is_narrow(console)  # the size is left out; `poet corpora show NAME` says it
        columns: list[tuple[str, ColumnKind]] = [("name", "name"), ("title", "text"), ("lang", "muted")]
        columns += [("kind", "muted"), ("poems", "number"), ("chars", "number")]
        if not narrow:
            columns.append(("size", "number"))
        table = make_table(f"Corpora ({len(listed)})", columns)
        for item in listed:
            cells: list[Text | str] = [
                Text(item.name),
                Text(item.title),
                Text(item.language),
                corpus_kind(item, problems),
            ]
            cells += [human_count(item.documents), human_count(item.characters)]
            if not narrow:
                cells.append(human_bytes(item.size_bytes))
            table.add_row(*cells)  # Text: a title or path is shown as written, never read as Rich markup
        console.print(table)
        console.print(
            "Add your own with `poet corpora add PATH`; `poet corpora show NAME` previews one.", highlight=False
        )
        warn_damaged(registry)
        warn_broken(problems)
        return EXIT_OK
    if action == "show":
        corpus = resolve_corpus(arguments.name)
        entry = find_corpus(arguments.name)
        if getattr(arguments, "json", False):
            return print_corpus_json(corpus, entry, arguments.poems)
        stats = corpus.stats()
        table = make_fields_table(f"Corpus {corpus.name}")
        table.add_row("name", Text(corpus.name, style="bold"))  # Text: `poems [draft].txt` keeps its brackets
        if entry is not None and entry.title:
            table.add_row("title", Text(entry.title))
        table.add_row("source", Text(corpus.source))
        table.add_row("poems", f"{stats.documents:,}")
        table.add_row("characters", f"{stats.characters:,}")
        table.add_row("lines", f"{stats.lines:,}")
        table.add_row("distinct characters", f"{stats.distinct_characters:,}")
        table.add_row("language (guess)", stats.language)
        from poet_tui.forms import DOMINANT_SHARE, describe_shares, dominant_forms, form_shares

        shares = form_shares([doc.text for doc in corpus.documents])
        table.add_row("poems in a form", describe_shares(shares))
        dominant = dominant_forms(shares)
        table.add_row(
            "dominant forms",
            ", ".join(dominant) + f" (each ≥ {DOMINANT_SHARE:.0%} of the poems; training reports adherence to them)"
            if dominant
            else f"none (no form holds {DOMINANT_SHARE:.0%} of the poems)",
        )
        table.add_row("size on disk", human_bytes(stats.size_bytes))
        if entry is not None and entry.extra.get("origin"):
            table.add_row("origin", Text(str(entry.extra["origin"])))
        if entry is not None and entry.extra.get("licence"):
            table.add_row("licence", Text(str(entry.extra["licence"])))
        console.print(table)
        if entry is not None:
            print_parts(console, entry, corpus)
        for part, document in preview_documents(corpus, arguments.poems):
            heading = " — ".join(item for item in (part and f"[{part}]", document.title, document.author) if item)
            console.print()
            if heading:
                console.print(Text(heading, style="bold"), highlight=False)  # a title like "[/b]" is text
            console.print(document.text[:1500], highlight=False, markup=False)
        return EXIT_OK
    if action == "add":
        with name_refusals_with_flags():
            entry, replaced = register_corpus(arguments.path, arguments.name, replace=arguments.replace)
        was = "" if replaced is None or replaced.path == entry.path else f" (it was {replaced.where})"
        console.print(
            Text.assemble(
                "registered " if replaced is None else "replaced ",
                (entry.name, "bold"),
                f"{was}: {entry.documents:,} poems, {entry.characters:,} characters ({entry.language}); "
                f"train with `poet train --corpus {entry.name}`",
            ),
            highlight=False,
        )
        return EXIT_OK
    if action == "rm":
        users = users_of(arguments.name)
        remove_corpus(arguments.name)
        console.print(f"forgot corpus {arguments.name} (its files are untouched)", markup=False, highlight=False)
        warn_users(arguments.name, users)
        return EXIT_OK
    if action == "combine":
        return combine_command(arguments)
    raise PoetError(f"unknown action '{action}'; use list, show, add, combine or rm.")


def warn_damaged(registry: Registry) -> None:
    """A damaged registry entry is named on stderr, not hidden, and not in the way of the others."""
    for damaged in registry.damaged:
        print(
            f"poet: registered corpus '{shown(damaged.name)}' is damaged in {shown(registry_file())} "
            f"({damaged.reason}); fix it there or forget it with `poet corpora rm {shown(damaged.name)}`.",
            file=sys.stderr,
        )


def print_corpus_json(corpus: Corpus, entry: CorpusEntry | None, poems: int) -> int:
    from poet_tui.cli.json_output import corpus_show_document, print_json
    from poet_tui.forms import dominant_forms, form_shares

    shares = form_shares([doc.text for doc in corpus.documents])
    parts = part_documents(entry, corpus) if entry is not None else None
    preview = preview_documents(corpus, poems)
    print_json(corpus_show_document(corpus, entry, shares, dominant_forms(shares), poems, preview, parts))
    return EXIT_OK
