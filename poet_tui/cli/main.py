"""`poet`: argument parsing and the one place that turns PoetError into a sentence and exit code 2."""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import get_args

from poet_tui.errors import PoetError
from poet_tui.options import Device

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
DEVICE_HELP = "where to run: auto, cpu or cuda (default: `device` in the config file, else auto)"


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but usage errors are PoetErrors: one line, exit code 2, like every other bad input."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise PoetError(f"{shorten_quoted(message)} (see `{self.prog} --help`)")


def shorten_quoted(message: str, longest: int = 40) -> str:
    """argparse quotes the bad value; a pasted 5,000-digit number should not become a 5,000-character line."""
    return re.sub(rf"'([^']{{{longest},}})'", lambda match: f"'{match.group(1)[: longest - 3]}...'", message)


class VersionAction(argparse.Action):
    """`--version`: poet-tui's version, then torch's (importing torch only when asked)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        from poet_tui.version import version_report

        print(version_report())
        parser.exit()


def add_sampling_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--temperature", type=float, default=0.8, help="0 is greedy (default 0.8)")
    parser.add_argument("--top-k", type=int, default=0, help="sample among the k likeliest tokens (0: off)")
    parser.add_argument("--top-p", type=float, default=1.0, help="nucleus sampling mass (1: off)")
    parser.add_argument("--length", type=int, default=300, help="most tokens to generate (default 300)")
    parser.add_argument("--seed", type=int, help="same seed, same text")
    parser.add_argument(
        "--stop-at-end", action=argparse.BooleanOptionalAction, default=True, help="stop where the poem ends"
    )


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog="poet",
        description="Train small recurrent language models on poetry. With no command, opens the app.",
    )
    parser.add_argument(
        "--version", action=VersionAction, help="the version, and the torch, CUDA and device it would use; exits"
    )
    parser.add_argument(
        "--checkpoint",
        metavar="RUN_OR_CHECKPOINT",
        help="open the app straight in its REPL with this model (a run name, run folder, checkpoint file or export "
        "folder)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)

    train = commands.add_parser("train", help="train a model (or resume one) headless")
    from poet_tui.cli.train_arguments import add_train_arguments

    add_train_arguments(train)

    generate = commands.add_parser("generate", help="stream text from a trained model")
    generate.add_argument(
        "model", metavar="RUN_OR_CHECKPOINT", help="a run name, run folder, checkpoint file or export folder"
    )
    generate.add_argument("--prompt", help="text to continue (leave out to start a new poem)")
    generate.add_argument("-i", "--interactive", action="store_true", help="a prompt-by-prompt REPL")
    generate.add_argument("--device", choices=get_args(Device), help=DEVICE_HELP)
    generate.add_argument(
        "-n", "--poems", type=int, default=1, help="how many poems, the i-th seeded from --seed + i (default 1)"
    )
    generate.add_argument(
        "--json",
        action="store_true",
        help="one JSON line per poem: its text, seed, settings, tokens, timing and form check",
    )
    generate.add_argument(
        "--form",
        help="keep the poem in a form: wulv, qilv, wujue, qijue (char models of regulated verse), sonnet, haiku, "
        "quatrain, couplets:N (lines); the poem ends when the form is complete (default: free; with -i, the form "
        "most of the model's corpus is in)",
    )
    generate.add_argument(
        "--acrostic",
        default="",
        help="start each line (or verse) with these letters or characters, e.g. LOVE or 春夏秋冬",
    )
    generate.add_argument(
        "--rhyme", action="store_true", help="rhyme the lines (sonnet, quatrain, couplets:N, acrostics)"
    )
    generate.add_argument("--metre", action="store_true", help="9 to 11 syllables a line (with --form sonnet)")
    generate.add_argument(
        "--novelty",
        action="store_true",
        help="after each poem, the share of it not copied verbatim from the model's training text, and the copied "
        "spans with their sources (in --json; highlighted in -i); the first use indexes that text",
    )
    generate.add_argument(
        "--min-copy",
        type=int,
        metavar="N",
        help="with --novelty: the shortest copy, in characters, that counts (default 12)",
    )
    add_sampling_arguments(generate)

    corpora = commands.add_parser("corpora", help="list, inspect and register corpora")
    corpora_commands = corpora.add_subparsers(dest="action", metavar="ACTION", parser_class=ArgumentParser)
    list_corpora = corpora_commands.add_parser("list", help="every bundled and registered corpus")
    list_corpora.add_argument("--json", action="store_true", help="one JSON document on stdout instead of a table")
    show = corpora_commands.add_parser("show", help="statistics and the first poems of one corpus")
    show.add_argument("name", help="a corpus name or a path")
    show.add_argument("--poems", type=int, default=2, help="how many poems to preview (default 2)")
    show.add_argument("--json", action="store_true", help="one JSON document on stdout instead of a table")
    add = corpora_commands.add_parser("add", help="register a file or folder of poems")
    add.add_argument("path")
    add.add_argument("--name", help="the name to use (default: from the file name)")
    add.add_argument("--replace", action="store_true", help="replace the corpus already registered under that name")
    remove = corpora_commands.add_parser("rm", help="forget a registered corpus (its files stay)")
    remove.add_argument("name")
    from poet_tui.cli.combine_command import add_combine_parser

    add_combine_parser(corpora_commands)
    from poet_tui.cli.gutenberg_command import add_gutenberg_parser

    add_gutenberg_parser(corpora_commands)

    checkpoints = commands.add_parser("checkpoints", help="list, inspect and delete runs and checkpoints")
    checkpoint_commands = checkpoints.add_subparsers(dest="action", metavar="ACTION", parser_class=ArgumentParser)
    list_checkpoints = checkpoint_commands.add_parser("list", help="every run with its checkpoints")
    list_checkpoints.add_argument("--json", action="store_true", help="one JSON document on stdout instead of a table")
    show_run = checkpoint_commands.add_parser("show", help="a run's config, checkpoints and last evaluations")
    show_run.add_argument("run", help="a run name (or its start), a run folder or a checkpoint file")
    show_run.add_argument("--json", action="store_true", help="one JSON document on stdout instead of a table")
    remove_run = checkpoint_commands.add_parser("rm", help="delete a run, or one checkpoint of it")
    remove_run.add_argument("run", help="a run name, or a checkpoint file to delete only that checkpoint")
    remove_run.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    from poet_tui.cli.metrics_command import add_metrics_parser

    add_metrics_parser(commands)

    from poet_tui.cli.export_command import EXPORT_DESCRIPTION, EXPORT_HELP, add_export_arguments

    add_export_arguments(commands.add_parser("export", help=EXPORT_HELP, description=EXPORT_DESCRIPTION))
    from poet_tui.cli.lens_command import LENS_DESCRIPTION, LENS_HELP, add_lens_arguments

    add_lens_arguments(commands.add_parser("lens", help=LENS_HELP, description=LENS_DESCRIPTION))
    bench = commands.add_parser("bench", help="measure training and sampling speed and quality")
    from poet_tui.cli.bench_arguments import add_bench_arguments

    add_bench_arguments(bench)
    from poet_tui.cli.completion import add_completion_parser
    from poet_tui.cli.config_command import add_config_parser

    add_config_parser(commands)
    add_completion_parser(commands)
    from poet_tui.cli.serve_command import add_serve_arguments

    add_serve_arguments(commands.add_parser("serve", help="the app in a web browser (textual-serve)"))
    return parser


def launch_app(arguments: argparse.Namespace, parser: ArgumentParser) -> int:
    """`poet` alone opens the Textual app; without a terminal (a pipe, a test) it prints the help instead, unless
    Textual has a driver of its own to use (`poet serve` runs the app that way)."""
    from poet_tui.cli.serve_command import app_driver_chosen

    if not (sys.stdin.isatty() and sys.stdout.isatty()) and not app_driver_chosen():
        if arguments.checkpoint:
            raise PoetError("the app needs a terminal; use `poet generate RUN_OR_CHECKPOINT` in scripts.")
        parser.print_help()
        return EXIT_OK
    from poet_tui.app import run_app  # lazy: the commands never pay for importing textual

    return run_app(arguments.checkpoint)


# Each sub-command's module and function, by name.
COMMAND_MODULES = {
    "train": ("poet_tui.cli.train_command", "train_command"),
    "generate": ("poet_tui.cli.generate_command", "generate_command"),
    "corpora": ("poet_tui.cli.corpora_command", "corpora_command"),
    "checkpoints": ("poet_tui.cli.checkpoints_command", "checkpoints_command"),
    "metrics": ("poet_tui.cli.metrics_command", "metrics_command"),
    "export": ("poet_tui.cli.export_command", "export_command"),
    "lens": ("poet_tui.cli.lens_command", "lens_command"),
    "bench": ("poet_tui.cli.bench_command", "bench_command"),
    "config": ("poet_tui.cli.config_command", "config_command"),
    "completion": ("poet_tui.cli.completion", "completion_command"),
    "serve": ("poet_tui.cli.serve_command", "serve_command"),
}


def run_command(arguments: argparse.Namespace, parser: ArgumentParser) -> int:
    if arguments.command not in ("config", "completion"):  # those two say it themselves, or need no config
        from poet_tui.user_config import default_device, load_user_config

        load_user_config()  # a bad config file stops every command with its one sentence (exit 2)
        if arguments.command in ("generate", "bench", "lens") and arguments.device is None:  # train: train_arguments.py
            arguments.device = default_device()
    if arguments.command is None:
        return launch_app(arguments, parser)
    if arguments.checkpoint:
        raise PoetError("--checkpoint opens the app; give it without a command: `poet --checkpoint RUN`.")
    if arguments.command in COMMAND_MODULES:
        # imported only when run: `poet --help` and the light commands never pay for torch or textual
        module_name, function_name = COMMAND_MODULES[arguments.command]
        command: Callable[[argparse.Namespace], int] = getattr(importlib.import_module(module_name), function_name)
        return command(arguments)
    parser.print_help()
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        arguments = parser.parse_args(argv)
        return run_command(arguments, parser)
    except PoetError as error:
        print(f"poet: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("poet: interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `poet generate ... | head` closed the pipe: not an error worth a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except OSError as error:
        # The last net: a file that could not be read or written, said in one sentence (nothing is half-saved:
        # every write is atomic).
        where = f" {error.filename}" if error.filename else ""
        print(
            f"poet: could not read or write{where} ({error.strerror or error}); check the path, its "
            "permissions and the free space, then try again.",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
