"""What the app remembers between runs: `$POET_HOME/app-state.json` (for now, the theme chosen in the app).

The theme the app starts in is, first to last: the one chosen in the app (this file), the config file's
`theme`, then Textual's default (`TEXTUAL_THEME`, else textual-dark). The file is read back like every other
file poet-tui wrote (bounded, links not followed, checked) and anything wrong with it (damaged, not an object,
a theme this Textual does not have) is ignored, never fatal: it only remembers a preference. No textual here,
so `poet config` can say the same without starting the app."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any, Literal

from poet_tui.errors import PoetError
from poet_tui.paths import poet_home
from poet_tui.user_config import UserConfig, user_config_or_default

STATE_FILE = "app-state.json"
STATE_LIMIT_BYTES = 64 * 1024
ThemeSource = Literal["app", "config", "default"]


def state_path() -> Path:
    return poet_home() / STATE_FILE


def read_app_state(path: Path | None = None) -> dict[str, Any]:
    """The remembered state, or {} when there is none or it cannot be trusted."""
    from poet_tui.safe_files import read_json_file

    try:
        data = read_json_file(path or state_path(), STATE_LIMIT_BYTES)
    except (PoetError, OSError):
        return {}
    return data if isinstance(data, dict) else {}


def remembered_theme(available: Collection[str], path: Path | None = None) -> str | None:
    theme = read_app_state(path).get("theme")
    return theme if isinstance(theme, str) and theme in available else None


def startup_theme(
    available: Collection[str], config: UserConfig | None = None, path: Path | None = None
) -> tuple[str | None, ThemeSource]:
    """The theme to start in and where it comes from; (None, "default") leaves Textual's own default."""
    chosen = remembered_theme(available, path)
    if chosen is not None:
        return chosen, "app"
    configured = (config or user_config_or_default()).theme
    if configured is not None and configured in available:
        return configured, "config"
    return None, "default"


def unknown_config_theme(available: Collection[str], config: UserConfig | None = None) -> str | None:
    """A sentence when the config file names a theme this Textual lacks (the engine cannot check names)."""
    config = config or user_config_or_default()
    if config.theme is None or config.theme in available:
        return None
    from poet_tui.errors import did_you_mean

    suggestion = did_you_mean(config.theme, sorted(available))
    return (
        f"theme '{config.theme}' in {config.path} is not a theme this app has; the default is used. Pick one "
        f"with ctrl+p → Theme, or correct the file.{suggestion}"
    )


def remember_theme(theme: str, path: Path | None = None) -> None:
    """Write the theme into the state file atomically, keeping any other keys it holds; OSError if it cannot."""
    import json

    from poet_tui.atomic import atomic_write_text

    path = path or state_path()
    state = read_app_state(path)
    if state.get("theme") == theme:
        return
    state["theme"] = theme
    atomic_write_text(path, json.dumps(state, ensure_ascii=False, indent=2) + "\n")
