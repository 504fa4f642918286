"""`poet completion bash|zsh|fish`: a shell completion script generated from `poet`'s own parser by shtab, so it
knows every sub-command and flag there is. Where a run or a corpus is asked for, the script asks
`poet completion --list runs|corpora` (hidden) for the names in the user's data home at the moment they press
Tab; that listing never fails loudly (a broken setup completes nothing, it never prints into the prompt)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import Any

SHELLS = ("bash", "zsh", "fish")
LISTS = ("runs", "corpora")


def add_completion_parser(commands: Any) -> None:
    completion = commands.add_parser(
        "completion",
        help="print a shell completion script (bash, zsh or fish)",
        description='Print a completion script for your shell; the README\'s "Shell completion" says where it goes '
        'for each, e.g. `eval "$(poet completion bash)"` in ~/.bashrc.',
    )
    completion.add_argument("shell", nargs="?", choices=SHELLS, help="the shell: bash, zsh or fish")
    completion.add_argument("--list", choices=LISTS, help=argparse.SUPPRESS)  # what the scripts call on Tab


# ----- the names the scripts complete -----
def dynamic(kind: str, files: bool) -> dict[str, Any]:
    """shtab's `complete` for an argument: the names of `kind` (and paths, when the argument takes one too)."""
    name = f"_poet_complete_{kind}{'_or_files' if files else ''}"  # bash: "_files" turns on filename quoting
    listing = f"poet completion --list {kind} 2>/dev/null"
    return {
        "bash": name,
        "zsh": name,
        "fish": f"({name})",
        "preamble": {
            "bash": f'{name}() {{\n  compgen -W "$({listing})" -- "$1"\n'
            + ('  compgen -f -- "$1"\n' if files else "")
            + "}",
            "zsh": f'{name}() {{\n  local -a names\n  names=(${{(f)"$({listing})"}})\n  compadd -a names\n'
            + ("  _files\n" if files else "")
            + "}",
            "fish": f"function {name}\n  {listing}\n"
            + ("  __fish_complete_path (commandline -ct)\n" if files else "")
            + "end",
        },
    }


FILE = {"bash": "_shtab_compgen_files", "zsh": "_files", "fish": "(__fish_complete_path (commandline -ct))"}
FOLDER = {"bash": "_shtab_compgen_dirs", "zsh": "_files -/", "fish": "(__fish_complete_directories)"}
# (sub-command path, argument dest) → what completes it
COMPLETERS: dict[tuple[tuple[str, ...], str], dict[str, Any]] = {
    ((), "checkpoint"): dynamic("runs", files=True),
    (("train",), "resume"): dynamic("runs", files=False),
    (("train",), "corpus"): dynamic("corpora", files=True),
    (("generate",), "model"): dynamic("runs", files=True),
    (("corpora", "show"), "name"): dynamic("corpora", files=True),
    (("corpora", "add"), "path"): FILE,
    (("corpora", "rm"), "name"): dynamic("corpora", files=False),
    (("corpora", "combine"), "name"): dynamic("corpora", files=False),
    (("corpora", "combine"), "parts"): dynamic("corpora", files=False),
    (("checkpoints", "show"), "run"): dynamic("runs", files=True),
    (("checkpoints", "rm"), "run"): dynamic("runs", files=True),
    (("bench",), "corpus"): dynamic("corpora", files=True),
    (("export",), "model"): dynamic("runs", files=True),
    (("export",), "folder"): FOLDER,
    (("lens",), "model"): dynamic("runs", files=True),
    (("lens",), "text"): FILE,
    (("lens",), "html"): FILE,
    (("metrics",), "run"): dynamic("runs", files=True),
    (("metrics",), "tensorboard"): FOLDER,
}
# The arguments that name a run, a model or a corpus, whatever their command: each must be in COMPLETERS (a test
# checks every command's parser, so a new command's run argument cannot be left to plain file completion).
NAMED_THINGS = ("run", "model", "checkpoint", "resume", "corpus", "name")


def parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every (sub-command path, parser), depth first."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, subparser in action.choices.items():
                yield from parsers(subparser, (*path, name))


def completion_script(shell: str) -> str:
    """The script for `shell`, from the parser `poet` itself parses with."""
    import shtab

    from poet_tui.cli.main import build_parser

    parser = build_parser()
    for path, subparser in parsers(parser):
        for action in subparser._actions:
            completer = COMPLETERS.get((path, action.dest))
            if completer is not None:
                action.complete = completer
    return str(shtab.complete(parser, shell=shell))


def listed_names(kind: str) -> list[str]:
    """Run names (newest first) or corpus names; nothing at all when they cannot be listed."""
    try:
        if kind == "runs":
            from poet_tui.runs import RunStore

            return sorted((run.id for run in RunStore().list()), reverse=True)
        from poet_tui.corpus_registry import bundled_corpora, user_corpora

        return [entry.name for entry in [*bundled_corpora(), *user_corpora()]]
    except Exception:  # completion must never print a traceback into someone's prompt
        return []


def completion_command(arguments: argparse.Namespace) -> int:
    from poet_tui.errors import PoetError

    if arguments.list is not None:
        for name in listed_names(arguments.list):
            print(name)
        return 0
    if arguments.shell is None:
        raise PoetError("say which shell: `poet completion bash`, `poet completion zsh` or `poet completion fish`.")
    print(completion_script(arguments.shell), end="")
    return 0
