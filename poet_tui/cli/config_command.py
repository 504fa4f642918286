"""`poet config`: where the config file is, whether it exists, and each setting's value and where it came from
(a flag, the environment, the file, the app, or poet's default): what a user asks when a default surprises them.
poet never writes the file; this only reads."""

from __future__ import annotations

import argparse
import os
from typing import Any

from poet_tui.options import default_of
from poet_tui.user_config import CONFIG_ENV, UserConfig, config_path, load_user_config

EXAMPLE = (
    '# data_home = "~/poetry"      # where runs and corpora live (POET_HOME wins)\n'
    '# device = "cuda"             # auto, cpu or cuda: --device\'s default for train, generate and bench\n'
    '# theme = "nord"              # the app\'s theme, unless one was picked in the app (ctrl+p → Theme)\n'
    "# [train]                     # defaults for `poet train` and the Train form: its flags, no dashes\n"
    "# hidden = 512\n"
    '# batch-size = "auto"'
)


def add_config_parser(commands: Any) -> None:
    commands.add_parser(
        "config",
        help="show the config file's place and every setting with where it came from",
        description="Show where poet looks for its config file, whether it exists, and each setting's value with "
        "where it came from. poet only reads the file; write it with any editor.",
    )


def row(name: str, value: object, source: str) -> str:
    return f"{name:<20} {value!s:<40} {source}"


def data_home_row(config: UserConfig) -> str:
    import platformdirs

    if os.environ.get("POET_HOME"):
        from poet_tui.paths import poet_home

        return row("data_home", poet_home(), "environment (POET_HOME)")
    if config.data_home is not None:
        return row("data_home", config.data_home, "config file")
    return row("data_home", platformdirs.user_data_path("poet-tui"), "default")


def theme_row(config: UserConfig) -> str:
    from textual.theme import BUILTIN_THEMES  # only here: the engine and the other commands never load textual

    from poet_tui.app.app_state import startup_theme, state_path

    theme, source = startup_theme(BUILTIN_THEMES, config)
    if source == "app":
        return row("theme", theme, f"picked in the app ({state_path()})")
    if source == "config":
        return row("theme", theme, "config file")
    textual_default = os.environ.get("TEXTUAL_THEME")
    unknown = f"; the file's '{config.theme}' is not a theme" if config.theme is not None else ""
    if textual_default:
        return row("theme", textual_default, f"environment (TEXTUAL_THEME){unknown}")
    return row("theme", "textual-dark", f"default{unknown}")


def train_rows(config: UserConfig) -> list[str]:
    from poet_tui.user_config import AUTO_KEYS, train_option_names

    names = {item.key: name for name, item in train_option_names().items()}
    names.update({auto: names[key] for key, auto in AUTO_KEYS.items()})
    if not config.train:
        return [row("[train]", "nothing set", "poet train --help shows the defaults")]
    return [
        row(f"[train] {names[key]}", "auto" if key in AUTO_KEYS.values() else value, "config file (a flag wins)")
        for key, value in config.train.items()
    ]


def config_command(arguments: argparse.Namespace) -> int:
    path = config_path()
    where = f"from {CONFIG_ENV}" if os.environ.get(CONFIG_ENV) else f"the default place; {CONFIG_ENV} names another"
    print(row("config file", path, where))
    config = load_user_config()  # a problem: `poet: <the sentence>`, exit code 2
    if not config.exists:
        print(f"{'':<20} does not exist: every setting is poet's default or the environment's. An example:")
        print("\n".join(f"{'':<20} {line}" for line in EXAMPLE.splitlines()))
    print(data_home_row(config))
    device_source = "config file (a --device flag wins)" if config.device else "default (a --device flag wins)"
    print(row("device", config.device or default_of("training.device"), device_source))
    print(theme_row(config))
    print("\n".join(train_rows(config)))
    return 0
