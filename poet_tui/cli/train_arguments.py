"""`poet train`'s flags, generated from the option table, and the RunConfig they stand for."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from typing import Any

from poet_tui.budget_presets import AUTO, AutoChoice, auto_settings, corpus_characters_estimate, training_device
from poet_tui.config import RunConfig
from poet_tui.errors import PoetError
from poet_tui.model_size import memory_for_device
from poet_tui.options import GROUPS, OPTIONS, Option, budget_options, flagged, option_table
from poet_tui.presets import PRESET_NAMES
from poet_tui.user_config import apply_run_defaults

DEFAULTS_NOTE = (
    "The defaults shown are poet's own: the config file's `device` and [train] table change them (a flag given "
    "here still wins); `poet config` shows the file and what it sets."
)


def batch_size_value(text: str) -> int | str:
    if text == "auto":
        return "auto"
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a whole number or 'auto'") from None


def help_text(item: Option) -> str:
    """The option's help with its default, `%` escaped for argparse."""
    text = item.help.replace("%", "%%")
    if item.key == "corpus":
        return text
    return f"{text} (default: {item.default_text()})"


def add_option(group: argparse._ArgumentGroup, item: Option) -> None:
    assert item.flag is not None
    common: dict[str, Any] = {"dest": item.dest, "default": None, "help": help_text(item)}
    if item.kind == "bool":
        group.add_argument(item.flag, action=argparse.BooleanOptionalAction, **common)
    elif item.kind == "choice":
        group.add_argument(item.flag, choices=item.choices, **common)
    elif item.auto_setting:
        group.add_argument(item.flag, type=batch_size_value, **common)
    else:
        value_type = {"int": int, "number": float, "text": str}[item.kind]
        group.add_argument(item.flag, type=value_type, **common)


def add_train_arguments(parser: argparse.ArgumentParser, options: Iterable[Option] = OPTIONS) -> None:
    """Every flagged option in its group, with its default in the help; then the command's own flags."""
    groups = {key: parser.add_argument_group(title.split(" (")[0].lower()) for key, title in GROUPS.items()}
    run = groups["run"]
    run.add_argument("--resume", metavar="RUN", help="continue a stopped run exactly where it left off")
    run.add_argument(
        "--preset",
        choices=(AUTO, *PRESET_NAMES),
        help="a starting point; flags given beside it win (auto: sized for the time budget and the corpus)",
    )
    for item in flagged(options):
        add_option(groups[item.group], item)
    output = parser.add_argument_group("output")
    output.add_argument("--jsonl", action="store_true", help="print events as JSON lines (for programs)")
    parser.epilog = DEFAULTS_NOTE


def config_from_arguments(arguments: argparse.Namespace, options: Iterable[Option] = OPTIONS) -> RunConfig:
    """The defaults, the config file's (user_config.py), then the preset, then every flag the user gave;
    validated, naming flags."""
    options = tuple(options)
    by_key = option_table(options)
    if not (arguments.corpus or "").strip():
        raise PoetError("say what to train on with --corpus NAME_OR_PATH (`poet corpora list` shows the names).")
    config = apply_run_defaults(RunConfig(corpus=arguments.corpus))
    if arguments.preset == AUTO:
        choice = auto_choice(arguments, config)
        config.apply_settings(choice.settings)
        arguments.auto_sentence = choice.sentence
    elif arguments.preset:
        config.apply_preset(arguments.preset)
    for item in flagged(options):
        value = getattr(arguments, item.dest, None)
        if value is None:
            continue
        if item.auto_setting:  # `--batch-size auto`, or a size that overrides an "auto" from the config file
            config.set_setting(by_key[f"{item.section}.{item.auto_setting}"], value == "auto")
        if value != "auto" or not item.auto_setting:
            config.set_setting(item, value)
    config.validate(memory_for_device(config.training.device), options=options)
    return config


def auto_choice(arguments: argparse.Namespace, config: RunConfig) -> AutoChoice:
    """`--preset auto`: the row for the budget the flags (or the config file) give and the corpus's size."""
    minutes = arguments.max_minutes if arguments.max_minutes is not None else config.training.max_minutes
    device = training_device(arguments.device or config.training.device)
    return auto_settings(minutes, corpus_characters_estimate(arguments.corpus), device)


def check_resume_arguments(arguments: argparse.Namespace) -> dict[str, Any]:
    """A resumed run keeps the settings it was started with; only its budget may change. Returns the new budget.

    Flags it cannot honour are refused in one sentence rather than silently ignored."""
    if not arguments.resume.strip():
        raise PoetError("--resume needs a run name (or its start); `poet checkpoints list` shows them.")
    budget = budget_options()
    unhonoured = ["--preset"] if arguments.preset is not None else []
    unhonoured += [
        item.flag_name for item in flagged() if item not in budget and getattr(arguments, item.dest, None) is not None
    ]
    if unhonoured:
        ordered = sorted(unhonoured, key=lambda flag: 0 if flag == "--corpus" else 1 if flag == "--preset" else 2)
        listed = ", ".join(ordered[:-1]) + (" and " if len(ordered) > 1 else "") + ordered[-1]
        them = "it" if len(ordered) == 1 else "them"
        flags = ", ".join(str(item.flag) for item in budget)
        raise PoetError(
            "--resume continues a run with the settings it started with, its device included, and changes only its "
            f"budget ({flags}), so it cannot take {listed}; leave {them} out, or start a new run with {them}."
        )
    overrides = {}
    for item in budget:
        value = getattr(arguments, item.dest, None)
        if value is not None:
            problem = item.problem(value)
            if problem is not None:
                raise PoetError(problem)
            overrides[item.name] = value
    return overrides
