"""Where poet-tui keeps its data: `$POET_HOME`, else `data_home` in the config file, else the platform's user
data directory."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def poet_home() -> Path:
    """The root of everything poet-tui writes; `POET_HOME` overrides it (tests, portable setups), then the config
    file's `data_home` (user_config.py)."""
    override = os.environ.get("POET_HOME")
    if override:
        return user_path(override)
    from poet_tui.user_config import configured_data_home

    return configured_data_home() or platformdirs.user_data_path("poet-tui")


def user_path(text: str) -> Path:
    """A path as the user typed it, `~` expanded where it names a home; `~nobody/x` stays as typed."""
    try:
        return Path(text).expanduser()
    except RuntimeError:
        return Path(text)


def runs_dir() -> Path:
    return poet_home() / "runs"


def user_corpora_dir() -> Path:
    return poet_home() / "corpora"


def bundled_corpora_dir() -> Path:
    """The shipped corpora: inside the installed package, or at the top of a source checkout."""
    package_dir = Path(__file__).resolve().parent
    installed = package_dir / "corpora"
    if (installed / "manifest.json").exists():
        return installed
    return package_dir.parent / "corpora"
