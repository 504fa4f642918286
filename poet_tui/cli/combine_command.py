"""`poet corpora combine NAME --from A:W B:W …`, and what `list`, `show` and `rm` say of combined corpora."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from rich.text import Text

from poet_tui.cli.main import EXIT_OK
from poet_tui.errors import PoetError

if TYPE_CHECKING:
    from rich.console import Console

    from poet_tui.corpus import Corpus, Document
    from poet_tui.corpus_registry import CorpusEntry

COMBINE_HELP = "make a corpus of others, each with a weight"
COMBINE_DESCRIPTION = (
    "Register a corpus made of others (bundled, registered or combined), e.g. `poet corpora combine milton "
    "--from shakespeare-sonnets:1 gutenberg-1234:0.5`. Training reads each part's share of the text in proportion "
    "to its weight (by characters, so 2:1 means twice as much text, whatever the poems' lengths); every part "
    "holds back its own validation poems. Nothing is copied: the combination follows its parts by name."
)


def add_combine_parser(corpora_commands: Any) -> None:
    combine = corpora_commands.add_parser("combine", help=COMBINE_HELP, description=COMBINE_DESCRIPTION)
    combine.add_argument("name", help="the combined corpus's name")
    combine.add_argument(
        "--from",
        dest="parts",
        nargs="+",
        required=True,
        metavar="CORPUS[:WEIGHT]",
        help="two or more corpus names, each with a weight (default 1; from 0.000001 to 1000000)",
    )
    combine.add_argument("--replace", action="store_true", help="replace the corpus already registered under that name")


def combine_command(arguments: argparse.Namespace) -> int:
    from poet_tui.cli.name_refusals import name_refusals_with_flags
    from poet_tui.cli.output import cli_console
    from poet_tui.corpus_combination import combine_corpora, describe_parts, parse_part

    parts = [parse_part(text) for text in arguments.parts]
    with name_refusals_with_flags(None):
        entry, replaced = combine_corpora(arguments.name, parts, replace=arguments.replace)
    was = "" if replaced is None else f" (it was {replaced.where})"
    poems = "" if entry.documents is None else f": {entry.documents:,} poems, {entry.characters or 0:,} characters"
    cli_console().print(
        Text.assemble(
            "registered " if replaced is None else "replaced ",
            (entry.name, "bold"),
            f"{was}, {describe_parts(entry.parts)}{poems}; see the shares with `poet corpora show {entry.name}`, "
            f"train with `poet train --corpus {entry.name}`",
        ),
        highlight=False,
    )
    return EXIT_OK


# ----- list -----
def combination_problems(entries: list[CorpusEntry]) -> dict[str, str]:
    """Why each combined corpus that cannot be used now cannot (a part forgotten, a cycle, a part's file gone)."""
    from poet_tui.corpus_combination import Known, combination_problem

    known = Known.now()
    problems = {entry.name: combination_problem(entry, known) for entry in entries if entry.parts}
    return {name: problem for name, problem in problems.items() if problem is not None}


def warn_broken(problems: dict[str, str]) -> None:
    for name, problem in problems.items():
        print(
            f"poet: the combined corpus '{name}' cannot be used: {problem}; add the part again or give '{name}' "
            f"other parts with `poet corpora combine {name} --from ... --replace`.",
            file=sys.stderr,
        )


def corpus_kind(entry: CorpusEntry, problems: dict[str, str]) -> str:
    if entry.bundled:
        return "bundled"
    if entry.parts:
        return "damaged" if entry.name in problems else "combined"
    return "yours"


# ----- show -----
def print_parts(console: Console, entry: CorpusEntry, corpus: Corpus) -> None:
    """Each part with its weight, poems, and what it comes to in an epoch."""
    from poet_tui.cli.output import make_table
    from poet_tui.combined_corpus import CombinedCorpus, part_summaries

    if not entry.parts or not isinstance(corpus, CombinedCorpus):
        return
    columns: list[tuple[str, Any]] = [("part", "name"), ("weight", "number"), ("poems", "number")]
    columns += [("chars", "number"), ("text", "number"), ("poems read", "number"), ("reads/poem", "number")]
    table = make_table("Parts (an epoch's share of the text, and of the poems it reads)", columns)
    for part in part_summaries(entry, corpus):
        table.add_row(
            Text(part.name),
            f"{part.weight:g}",
            f"{part.poems:,}",
            f"{part.characters:,}",
            f"{part.text_share:.1%}",
            f"{part.poem_share:.1%}",
            f"{part.reads_per_poem:.2f}",
        )
    console.print()
    console.print(table)
    console.print(
        "Shares are of characters, before each part holds back its validation poems; a part read less than once "
        "per epoch gives a seeded subset of its poems.",
        highlight=False,
        markup=False,
    )


def part_documents(entry: CorpusEntry, corpus: Corpus) -> list[dict[str, Any]] | None:
    """`parts` of `poet corpora show --json`; None for a corpus that is not combined."""
    from poet_tui.combined_corpus import CombinedCorpus, part_summaries

    if not entry.parts or not isinstance(corpus, CombinedCorpus):
        return None
    return [
        {
            "name": part.name,
            "weight": part.weight,
            "poems": part.poems,
            "characters": part.characters,
            "text_share": part.text_share,
            "poem_share": part.poem_share,
            "reads_per_poem": part.reads_per_poem,
        }
        for part in part_summaries(entry, corpus)
    ]


def preview_documents(corpus: Corpus, count: int) -> list[tuple[str | None, Document]]:
    """The poems a preview shows: the first ones, or for a combined corpus the first of each part in turn."""
    from poet_tui.combined_corpus import CombinedCorpus

    if isinstance(corpus, CombinedCorpus):
        return [(part, document) for part, document in corpus.preview(max(0, count))]
    return [(None, document) for document in corpus.documents[: max(0, count)]]


# ----- rm -----
def users_of(name: str) -> list[str]:
    """The combined corpora that forgetting `name` would leave without a part; [] when that cannot be told."""
    from poet_tui.corpus_combination import Known, dependents

    try:
        return dependents(name, Known.now())
    except PoetError:
        return []


def warn_users(name: str, users: list[str]) -> None:
    if users:
        listed = ", ".join(f"'{user}'" for user in users)
        which = f"corpus {listed} takes" if len(users) == 1 else f"corpora {listed} take"
        print(f"poet: the combined {which} from '{name}': unusable until it is added again.", file=sys.stderr)
