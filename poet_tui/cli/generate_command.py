"""`poet generate`: stream a completion to stdout as tokens arrive, or a plain-terminal REPL with `-i`."""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import TYPE_CHECKING, TextIO

from poet_tui.cli.main import EXIT_OK
from poet_tui.errors import PoetError

if TYPE_CHECKING:
    from poet_tui.generation import LoadedModel
    from poet_tui.sample import CompletionStats, SamplingSettings

REPL_HELP = """Type a prompt and press Enter; an empty line starts a new poem.
Commands: :temp X  :len N  :topk N  :topp X  :seed N|off  :poem on|off  :settings  :help  :quit
Ctrl-C stops a completion; Ctrl-D quits."""


def settings_from_arguments(arguments: argparse.Namespace) -> SamplingSettings:
    from poet_tui.sample import SamplingSettings

    settings = SamplingSettings(
        temperature=arguments.temperature,
        top_k=arguments.top_k,
        top_p=arguments.top_p,
        max_tokens=arguments.length,
        seed=arguments.seed,
        stop_at_end_of_poem=arguments.stop_at_end,
    )
    settings.validate()
    return settings


def stream_to(output: TextIO, loaded: LoadedModel, prompt: str, settings: SamplingSettings) -> CompletionStats:
    from poet_tui.sample import CompletionStats, stream_completion

    stats = CompletionStats()
    for piece in stream_completion(loaded.model, loaded.tokenizer, prompt, settings, stats):
        output.write(piece)
        output.flush()
    return stats


def generate_command(arguments: argparse.Namespace) -> int:
    from poet_tui.generation import load_for_generation
    from poet_tui.sample import prompt_token_ids

    if arguments.prompt is not None and not arguments.prompt.strip():
        raise PoetError("--prompt is empty; give some text to continue, or leave --prompt out to start a new poem.")
    settings = settings_from_arguments(arguments)
    loaded = load_for_generation(arguments.model, arguments.device)
    if arguments.interactive:
        return repl(loaded, settings)
    prompt = arguments.prompt or ""
    prompt_token_ids(loaded.tokenizer, prompt)  # refuse unknown symbols before printing anything
    sys.stdout.write(prompt)
    stats = stream_to(sys.stdout, loaded, prompt, settings)
    sys.stdout.write("\n")
    sys.stdout.flush()
    if sys.stderr.isatty():
        print(
            f"[{stats.tokens} tokens, {stats.tokens_per_second:.0f} tokens/s, "
            f"first after {1000 * (stats.first_token_seconds or 0):.0f} ms, {loaded.label}]",
            file=sys.stderr,
        )
    return EXIT_OK


def apply_repl_command(line: str, settings: SamplingSettings) -> str:
    """Change a setting from a `:name value` line; returns what to tell the user."""
    name, _, value = line[1:].strip().partition(" ")
    value = value.strip()
    try:
        if name in ("temp", "temperature"):
            settings.temperature = float(value)
        elif name in ("len", "length"):
            settings.max_tokens = int(value)
        elif name == "topk":
            settings.top_k = int(value)
        elif name == "topp":
            settings.top_p = float(value)
        elif name == "seed":
            settings.seed = None if value in ("off", "none", "") else int(value)
        elif name == "poem":
            settings.stop_at_end_of_poem = value != "off"
        elif name in ("help", "h", "?"):
            return REPL_HELP
        elif name == "settings":
            pass
        else:
            return f"unknown command ':{name}'; :help lists them."
    except ValueError:
        return f"':{name}' needs a number, e.g. ':{name} 0.7'."
    settings.validate()
    return describe_settings(settings)


def describe_settings(settings: SamplingSettings) -> str:
    s = settings
    return (
        f"temperature {s.temperature:.2f} · length {s.max_tokens} · top-k {s.top_k or 'off'} · "
        f"top-p {s.top_p:.2f} · seed {s.seed if s.seed is not None else 'random'} · "
        f"stop at end of poem {'on' if s.stop_at_end_of_poem else 'off'}"
    )


def repl(loaded: LoadedModel, settings: SamplingSettings) -> int:
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401 - gives input() history and line editing
    print(f"poet REPL · {loaded.label} · {describe_settings(settings)}")
    print(REPL_HELP)
    while True:
        try:
            line = input("› ")
        except EOFError:
            print()
            return EXIT_OK
        except KeyboardInterrupt:
            print()
            continue
        if line.strip() in (":q", ":quit", ":exit"):
            return EXIT_OK
        if line.startswith(":"):
            try:
                print(apply_repl_command(line, settings))
            except PoetError as error:
                print(error)
            continue
        try:
            sys.stdout.write(line)
            stats = stream_to(sys.stdout, loaded, line, settings)
            print(f"\n[{stats.tokens} tokens, {stats.tokens_per_second:.0f} tokens/s]")
        except KeyboardInterrupt:
            print("\n[stopped]")
        except PoetError as error:
            print(f"\n{error}")
