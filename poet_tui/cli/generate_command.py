"""`poet generate`: stream a completion to stdout as tokens arrive, or a plain-terminal REPL with `-i`."""

from __future__ import annotations

import argparse
import contextlib
import sys
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TextIO

from poet_tui.cli.main import EXIT_OK
from poet_tui.cli.repl_forms import FORM_COMMANDS, ReplForm, apply_form_command
from poet_tui.errors import PoetError
from poet_tui.formatting import plural

if TYPE_CHECKING:
    from poet_tui.cli.novelty_output import NoveltyCheck
    from poet_tui.form_choice import FormChoice
    from poet_tui.forms import Form
    from poet_tui.generation import LoadedModel
    from poet_tui.sample import CompletionStats, SamplingSettings

MAX_POEMS = 1000
ENDED_AT_ONCE = (
    "the model's first token ended the poem, so it wrote nothing; another seed draws again (without --seed each "
    "run takes a new one), or --no-stop-at-end lets it write on."
)

# `:name` → the setting it changes, and the name a refusal calls each setting by.
REPL_COMMANDS = {
    "temp": "temperature",
    "temperature": "temperature",
    "len": "max_tokens",
    "length": "max_tokens",
    "topk": "top_k",
    "topp": "top_p",
    "seed": "seed",
    "poem": "stop_at_end_of_poem",
}
REPL_NAMES = {
    "temperature": ":temp",
    "max_tokens": ":len",
    "top_k": ":topk",
    "top_p": ":topp",
    "seed": ":seed",
    "stop_at_end_of_poem": ":poem",
}
REPL_HELP = """Type a prompt and press Enter; an empty line starts a new poem.
Commands: :temp X  :len N  :topk N  :topp X  :seed N|off  :poem on|off  :settings  :help  :quit
Copies: :novelty on|off|N (mark what each poem copies from the training text, N characters or longer)
Forms: :form NAME|free (free, wulv, qilv, wujue, qijue, sonnet, haiku, quatrain, couplets:N)  :acrostic TEXT|off
       :rhyme on|off  :metre on|off; a poem in a form ends when the form is complete
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


def stream_to(
    output: TextIO,
    loaded: LoadedModel,
    prompt: str,
    settings: SamplingSettings,
    form: Form | None = None,
    pieces: list[str] | None = None,
) -> CompletionStats:
    """Write each piece as it comes (and keep it in `pieces`, when given, for --novelty)."""
    from poet_tui.sample import CompletionStats, stream_completion

    stats = CompletionStats()
    for piece in stream_completion(loaded.model, loaded.tokenizer, prompt, settings, stats, form):
        output.write(piece)
        output.flush()
        if pieces is not None:
            pieces.append(piece)
    return stats


def generate_command(arguments: argparse.Namespace) -> int:
    from poet_tui.cli.novelty_output import NoveltyCheck, min_copy_from_arguments, novelty_line
    from poet_tui.generation import load_for_generation
    from poet_tui.sample import prompt_token_ids

    if not arguments.model.strip():
        raise PoetError(
            "say which model to generate from: a run name (or its start), a run folder or a checkpoint file; "
            "`poet checkpoints list` shows them."
        )
    if arguments.prompt is not None and not arguments.prompt.strip():
        raise PoetError("--prompt is empty; give some text to continue, or leave --prompt out to start a new poem.")
    settings = settings_from_arguments(arguments)
    choice = choice_from_arguments(arguments)
    form = choice.form()
    if not 1 <= arguments.poems <= MAX_POEMS:
        raise PoetError(f"-n must be between 1 and {MAX_POEMS}.")
    if arguments.interactive and (arguments.poems > 1 or arguments.json):
        raise PoetError("-i is a prompt-by-prompt REPL: it takes neither -n nor --json; leave them out.")
    min_copy = min_copy_from_arguments(arguments)
    loaded = load_for_generation(arguments.model, arguments.device)
    if arguments.interactive:
        novelty = None if min_copy is None else NoveltyCheck.for_run(loaded.training_run(), min_copy)
        return repl(loaded, settings, choice if form_asked(arguments) else None, novelty)
    prompt = arguments.prompt or ""
    prompt_token_ids(loaded.tokenizer, prompt)  # refuse unknown symbols before printing anything
    if form is not None:  # refuse a model or a prompt that cannot take the form before printing anything
        from poet_tui.form_constraint import FormConstraint

        FormConstraint(form, loaded.tokenizer, next(loaded.model.parameters()).device).follow_prompt(prompt)
    novelty = None if min_copy is None else NoveltyCheck.for_run(loaded.training_run(), min_copy)
    if arguments.json or arguments.poems > 1:
        write_poems(loaded, prompt, settings, form, arguments.poems, arguments.json, novelty, choice)
        return EXIT_OK
    sys.stdout.write(prompt)
    pieces: list[str] = []
    stats = stream_to(sys.stdout, loaded, prompt, settings, form, pieces)
    sys.stdout.write("\n")
    sys.stdout.flush()
    if stats.ended_at_once:
        print(ENDED_AT_ONCE[:1].upper() + ENDED_AT_ONCE[1:], file=sys.stderr, flush=True)
    if sys.stderr.isatty():
        print(
            f"[{plural(stats.tokens, 'token')}, {stats.tokens_per_second:.0f} tokens/s, "
            f"first after {1000 * (stats.first_token_seconds or 0):.0f} ms, {loaded.label}]",
            file=sys.stderr,
        )
    if novelty is not None:
        print(novelty_line(novelty.measure(prompt + "".join(pieces))), file=sys.stderr, flush=True)
    return EXIT_OK


def choice_from_arguments(arguments: argparse.Namespace) -> FormChoice:
    """--form with --acrostic, --rhyme and --metre, refused in one sentence when they cannot go together."""
    from poet_tui.form_choice import FormChoice

    return FormChoice.of(arguments.form or "free", arguments.acrostic, arguments.rhyme, arguments.metre)


def form_asked(arguments: argparse.Namespace) -> bool:
    """Whether the command line chose the form; if not, the REPL starts in the one its model's corpus suggests."""
    return arguments.form is not None or bool(arguments.acrostic.strip()) or arguments.rhyme or arguments.metre


def poem_seed(seed: int | None, index: int) -> int | None:
    """The i-th poem's seed: --seed + i (wrapping within the seed range), or a fresh random one without --seed."""
    from poet_tui.sampling_settings import MAX_SEED

    return None if seed is None else (seed + index) % (MAX_SEED + 1)


def write_poems(
    loaded: LoadedModel,
    prompt: str,
    settings: SamplingSettings,
    form: Form | None,
    count: int,
    as_json: bool,
    novelty: NoveltyCheck | None = None,
    choice: FormChoice | None = None,
) -> None:
    """Several poems: streamed one after another with a blank line between, or one JSON line each; with
    --novelty, each poem's novelty on stderr after it, or its novelty and copied spans in its JSON."""
    from poet_tui.cli.json_output import print_json
    from poet_tui.cli.novelty_output import json_fields, novelty_line
    from poet_tui.forms import satisfies
    from poet_tui.sample import CompletionStats, stream_completion

    for index in range(count):
        poem_settings = replace(settings, seed=poem_seed(settings.seed, index))
        if not as_json:
            sys.stdout.write(("\n" if index else "") + prompt)
            pieces: list[str] = []
            stats = stream_to(sys.stdout, loaded, prompt, poem_settings, form, pieces)
            sys.stdout.write("\n")
            sys.stdout.flush()
            if stats.ended_at_once:
                print(f"Poem {index + 1}: {ENDED_AT_ONCE}", file=sys.stderr, flush=True)
            if novelty is not None:
                print(novelty_line(novelty.measure(prompt + "".join(pieces))), file=sys.stderr, flush=True)
            continue
        stats = CompletionStats()
        text = prompt + "".join(stream_completion(loaded.model, loaded.tokenizer, prompt, poem_settings, stats, form))
        record = {
            "poem": index + 1,
            "seed": poem_settings.seed,
            "text": text,
            "tokens": stats.tokens,
            "form": None if form is None else form.name,
            "in_form": None if form is None else satisfies(text, form),
            "forced_steps": None if form is None else stats.forced_steps,
            "model": loaded.label,
            "prompt": prompt,
            "settings": settings_document(settings, choice, loaded),
            "stopped_at_end_of_poem": stats.stopped_at_end_of_poem,
            "seconds": round(stats.seconds, 6),
            "tokens_per_s": round(stats.tokens_per_second, 3),
            "first_token_seconds": None if stats.first_token_seconds is None else round(stats.first_token_seconds, 6),
        }
        if novelty is not None:
            record.update(json_fields(text, novelty.measure(text)))
        print_json(record)


def settings_document(settings: SamplingSettings, choice: FormChoice | None, loaded: LoadedModel) -> dict[str, Any]:
    """What `--json` says a poem was written with: the sampling settings as given (`seed` is --seed; each poem's
    own seed is the record's `seed`), the form and its options, and the device the model ran on."""
    return {
        "temperature": settings.temperature,
        "top_k": settings.top_k,
        "top_p": settings.top_p,
        "length": settings.max_tokens,
        "seed": settings.seed,
        "stop_at_end": settings.stop_at_end_of_poem,
        "form": "free" if choice is None else choice.name,
        "acrostic": None if choice is None or not choice.acrostic else choice.acrostic,
        "rhyme": choice is not None and choice.rhyme,
        "metre": choice is not None and choice.metre,
        "device": str(next(loaded.model.parameters()).device),
    }


def apply_repl_command(line: str, settings: SamplingSettings, form: ReplForm | None = None) -> str:
    """Change a setting (or the form) from a `:name value` line and return what to tell the user.

    A value that does not parse or validate raises PoetError naming the REPL's command, and leaves every setting
    as it was, so one typo never breaks the completions after it."""
    name, _, value = line[1:].strip().partition(" ")
    value = value.strip()
    form = form if form is not None else ReplForm()
    if name in ("help", "h", "?"):
        return REPL_HELP
    if name == "settings":
        return describe_settings(settings, form)
    if name in FORM_COMMANDS:
        return apply_form_command(name, value, form)
    key = REPL_COMMANDS.get(name)
    if key is None:
        raise PoetError(f"unknown command ':{name}'; :help lists them.")
    current = settings.shown(key)
    candidate = replace(settings, **{key: parse_repl_value(key, value, current)})
    found = candidate.problem(REPL_NAMES)
    if found is not None:
        raise PoetError(f"{found[1].removesuffix('.')}; it stays {current}.")
    setattr(settings, key, getattr(candidate, key))
    return describe_settings(settings, form)


def parse_repl_value(key: str, text: str, current: str) -> Any:
    """The typed value as the setting's type; a PoetError that shows the right form when it is not one."""
    command = REPL_NAMES[key]
    try:
        if key in ("temperature", "top_p"):
            return float(text)
        if key in ("max_tokens", "top_k"):
            return int(text)
    except ValueError:
        kind, example = ("a number", "0.7") if key in ("temperature", "top_p") else ("a whole number", "300")
        raise PoetError(f"'{command}' needs {kind}, e.g. '{command} {example}'; it stays {current}.") from None
    if key == "seed":
        if text.lower() in ("off", "none", "random", ""):
            return None
        try:
            return int(text)
        except ValueError:
            raise PoetError(f"':seed' needs a whole number or off, e.g. ':seed 1'; it stays {current}.") from None
    if text.lower() not in ("on", "off"):
        raise PoetError(f"':poem' takes on or off; it stays {current}.")
    return text.lower() == "on"


SETTING_ROWS = (  # (setting, what it is) in the order the settings table lists them
    ("temperature", "0 is greedy; higher is bolder"),
    ("max_tokens", "most tokens a completion writes (a form's poem ends when the form is complete)"),
    ("top_k", "sample among the k likeliest tokens"),
    ("top_p", "sample within this share of the probability mass"),
    ("seed", "the same seed and prompt write the same text"),
    ("stop_at_end_of_poem", "stop where the poem ends"),
)


def settings_table(settings: SamplingSettings, form: ReplForm, novelty: NoveltyCheck | None) -> Any:
    """`:settings` in `poet generate -i`: every setting, the command that changes it, and what it does."""
    from poet_tui.cli.output import make_table

    table = make_table("Sampling settings", [("command", "name"), ("value", "text"), ("what it does", "muted")])
    for key, meaning in SETTING_ROWS:
        table.add_row(REPL_NAMES[key], settings.shown(key), meaning)
    table.add_row(":form", form.choice.describe(), "the poem's form; :acrostic, :rhyme and :metre shape it further")
    table.add_row(":novelty", "off" if novelty is None else "on", "mark what each poem copies from the training text")
    return table


def describe_settings(settings: SamplingSettings, form: ReplForm | None = None) -> str:
    shown = settings.shown
    text = (
        f"temperature {shown('temperature')} · length {shown('max_tokens')} · top-k {shown('top_k')} · "
        f"top-p {shown('top_p')} · seed {shown('seed')} · stop at end of poem {shown('stop_at_end_of_poem')}"
    )
    return text + (f" · {form.describe()}" if form is not None else "")


def repl(
    loaded: LoadedModel,
    settings: SamplingSettings,
    choice: FormChoice | None = None,
    novelty: NoveltyCheck | None = None,
) -> int:
    """Prompt by prompt; without a form from the command line, the form most of the model's corpus is in. With
    --novelty, each finished poem is shown again with its copied spans highlighted, and their sources."""
    from poet_tui.cli.novelty_output import novelty_command, print_repl_overlap
    from poet_tui.cli.output import cli_console
    from poet_tui.form_choice import FormChoice, default_form_name, default_note, forced_note

    with contextlib.suppress(ImportError):
        import readline  # noqa: F401 - gives input() history and line editing
    form = ReplForm(choice if choice is not None else FormChoice.of(default_form_name(loaded.metadata)))
    print(f"poet REPL · {loaded.label} · {describe_settings(settings, form)}")
    note = default_note(loaded.metadata) if choice is None else None
    if note is not None:
        print(f"{note[:1].upper()}{note[1:]}, so poems start in that form; :form free writes free verse.")
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
                name, _, value = line[1:].strip().partition(" ")
                if name == "novelty":
                    novelty, said = novelty_command(value, novelty, loaded.run)
                    print(said)
                elif name == "settings":
                    cli_console().print(settings_table(settings, form, novelty))
                else:
                    print(apply_repl_command(line, settings, form))
            except PoetError as error:
                print(error)
            continue
        pieces: list[str] = []
        try:
            sys.stdout.write(line)
            stats = stream_to(sys.stdout, loaded, line, settings, form.choice.form(), pieces)
            forced = f", {forced_note(stats.forced_steps)}" if stats.forced_steps else ""
            at_once = ", its first token ended the poem: another :seed, or :poem off" if stats.ended_at_once else ""
            print(f"\n[{plural(stats.tokens, 'token')}, {stats.tokens_per_second:.0f} tokens/s{forced}{at_once}]")
        except KeyboardInterrupt:
            print("\n[stopped]")
        except PoetError as error:
            print(f"\n{error}")
            continue
        if novelty is not None:
            sys.stdout.flush()
            print_repl_overlap(cli_console(), line + "".join(pieces), novelty.measure(line + "".join(pieces)))
