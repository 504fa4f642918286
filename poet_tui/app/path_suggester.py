"""Completion for path inputs: the first file or folder that starts with what was typed (folders end in /)."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

from textual.suggester import Suggester

MAX_ENTRIES = 2000  # do not list a huge folder on every key press


class PathSuggester(Suggester):
    """Suggest the rest of a path from the filesystem; `~` is understood, hidden entries only when asked for."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        head, separator, prefix = value.rpartition("/")
        directory = Path(os.path.expanduser(head + "/")) if separator else Path(".")
        try:
            with os.scandir(directory) as listing:
                entries = sorted(itertools.islice(listing, MAX_ENTRIES), key=lambda entry: entry.name)
        except OSError:
            return None
        for entry in entries:
            if not entry.name.startswith(prefix):
                continue
            if entry.name.startswith(".") and not prefix.startswith("."):
                continue
            completed = entry.name + ("/" if entry.is_dir() else "")
            if completed == prefix:
                continue
            return value[: len(value) - len(prefix)] + completed
        return None
