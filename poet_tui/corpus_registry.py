"""Which corpora exist: the bundled ones (corpora/manifest.json) and the ones a user registered.

User corpora are recorded in `$POET_HOME/corpora/registry.toml`, a small table of names pointing at files,
so registering never copies or alters the user's text. Changes to it are read-modify-write under an OS lock
(`registry.lock` beside it), so two `poet corpora add` at once never lose each other's entry.

What is read back is checked before use. A file that is not TOML at all is one sentence (nothing in it can be
trusted); a single damaged entry is set apart with its reason, so `poet corpora list` and training on the other
corpora still work, and `add`/`rm` refuse to rewrite the file until it is fixed or forgotten — rewriting would
silently drop it.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from poet_tui.corpus import Corpus, directory_size, expand_user_path, load_documents, shown
from poet_tui.errors import PoetError, did_you_mean
from poet_tui.paths import bundled_corpora_dir, user_corpora_dir
from poet_tui.safe_files import read_bounded_bytes

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
NAME_RULE = "use lowercase letters, digits, '-' and '_' (up to 64, starting with a letter or digit)"
# poet-tui writes a few hundred bytes per corpus; a registry bigger than this is damaged or not ours.
REGISTRY_LIMIT_BYTES = 4 * 2**20


@dataclass(frozen=True)
class CorpusEntry:
    """A corpus known by name: where it lives and what the manifest says about it."""

    name: str
    path: Path
    bundled: bool
    title: str = ""
    language: str = ""
    documents: int | None = None
    characters: int | None = None
    description: str = ""
    extra: dict = field(default_factory=dict)
    # A combined corpus (`poet corpora combine`): its parts' names and weights, and no file of its own (`path` is
    # then the registry that defines it). corpus_combination.py reads, checks and loads them.
    parts: tuple[tuple[str, float], ...] = ()

    def load(self) -> Corpus:
        if self.parts:
            from poet_tui.corpus_combination import load_combined

            return load_combined(self)
        return Corpus(self.name, load_documents(self.path), source=str(self.path), size_bytes=self.size_bytes)

    @property
    def size_bytes(self) -> int:
        if self.parts:
            from poet_tui.corpus_combination import combined_size_bytes

            return combined_size_bytes(self)
        return directory_size(self.path)

    @property
    def where(self) -> str:
        """Where it comes from, as a sentence shows it: its path, or a combined corpus's parts."""
        if self.parts:
            from poet_tui.corpus_combination import describe_parts

            return describe_parts(self.parts)
        return shown(self.path)


@dataclass(frozen=True)
class DamagedEntry:
    """A registry entry that cannot be used, and why; kept apart so the other corpora still work."""

    name: str
    reason: str


@dataclass(frozen=True)
class Registry:
    entries: list[CorpusEntry]
    damaged: list[DamagedEntry]


def registry_file() -> Path:
    return user_corpora_dir() / "registry.toml"


def registry_lock_file() -> Path:
    return user_corpora_dir() / "registry.lock"


def is_usable_name(name: str) -> bool:
    """NAME_PATTERN over the whole name: `$` alone would let a trailing newline through."""
    return NAME_PATTERN.fullmatch(name) is not None


def bundled_corpora() -> list[CorpusEntry]:
    manifest_path = bundled_corpora_dir() / "manifest.json"
    if not manifest_path.exists():
        return []
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    return [
        CorpusEntry(
            name=item["name"],
            path=manifest_path.parent / item["file"],
            bundled=True,
            title=item.get("title", ""),
            language=item.get("language", ""),
            documents=item.get("documents"),
            characters=item.get("characters"),
            description=item.get("description", ""),
            extra=item,
        )
        for item in manifest["corpora"]
    ]


def registry_damaged(path: Path, detail: str) -> PoetError:
    return PoetError(f"{shown(path)} is damaged ({detail}); fix or delete it to re-register corpora.")


def count_field(item: dict[str, Any], key: str) -> int | None:
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{key} is not a whole number")
    return value


def text_field(item: dict[str, Any], key: str, default: str) -> str:
    value = item.get(key, default)
    if not isinstance(value, str):
        raise ValueError(f"{key} is not text")
    return value


def entry_from_registry(name: str, item: object, bundled_names: set[str]) -> CorpusEntry:
    """One [corpora.NAME] table as a CorpusEntry; ValueError with the reason when it cannot be used."""
    if not is_usable_name(name):
        raise ValueError("its name is not a usable corpus name")
    if name in bundled_names:
        raise ValueError("it has the name of a bundled corpus")
    if not isinstance(item, dict):
        raise ValueError("it is not a table")
    if "parts" in item:
        from poet_tui.corpus_combination import combined_entry_from_registry

        return combined_entry_from_registry(name, item)
    if "path" not in item:
        raise ValueError("it has no path")
    path_text = item["path"]
    if not isinstance(path_text, str) or not path_text:
        raise ValueError("its path is not text")
    if "\x00" in path_text:
        raise ValueError("its path holds a NUL character")
    try:
        path = Path(path_text).expanduser()
    except RuntimeError:
        raise ValueError("its path starts with an unknown home folder") from None
    if not path.is_absolute():
        raise ValueError("its path is not absolute")
    return CorpusEntry(
        name=name,
        path=path,
        bundled=False,
        title=text_field(item, "title", name),
        language=text_field(item, "language", ""),
        documents=count_field(item, "documents"),
        characters=count_field(item, "characters"),
        extra={"added": added_field(item), **provenance_fields(item)},
    )


def added_field(item: dict[str, Any]) -> str:
    added = item.get("added", "")
    if isinstance(added, datetime | date | time):  # a hand-edited, unquoted TOML date
        added = added.isoformat()
    if not isinstance(added, str):
        raise ValueError("added is not a date")
    return added


# Where a registered corpus came from and under what licence, when poet-tui fetched it (Project Gutenberg).
PROVENANCE_FIELDS = ("origin", "licence")


def provenance_fields(item: dict[str, Any]) -> dict[str, str]:
    return {key: text_field(item, key, "") for key in PROVENANCE_FIELDS if item.get(key)}


def read_registry() -> Registry:
    """The registered corpora, checked: a file that is not TOML is a sentence, a bad entry is set apart."""
    path = registry_file()
    if not os.path.lexists(path):
        return Registry([], [])
    data = read_bounded_bytes(path, REGISTRY_LIMIT_BYTES, what="corpus registry")
    try:
        registry = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise registry_damaged(path, "not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise registry_damaged(path, str(error)) from None
    except RecursionError:
        raise registry_damaged(path, "nested too deeply") from None
    corpora = registry.get("corpora", {})
    if not isinstance(corpora, dict):
        raise registry_damaged(path, '"corpora" is not a table')
    bundled_names = {entry.name for entry in bundled_corpora()}
    entries, damaged = [], []
    for name, item in sorted(corpora.items()):
        try:
            entries.append(entry_from_registry(name, item, bundled_names))
        except ValueError as reason:
            damaged.append(DamagedEntry(name, str(reason)))
    return Registry(entries, damaged)


def user_corpora() -> list[CorpusEntry]:
    return read_registry().entries


def damaged_corpora() -> list[DamagedEntry]:
    """Registry entries that cannot be used, for `poet corpora list` to name rather than hide."""
    return read_registry().damaged


def all_corpora() -> list[CorpusEntry]:
    return bundled_corpora() + user_corpora()


def damaged_entry_error(entry: DamagedEntry) -> PoetError:
    return PoetError(
        f"the registered corpus '{shown(entry.name)}' is damaged in {shown(registry_file())} ({entry.reason}); "
        f"fix it there, or forget it with `poet corpora rm {shown(entry.name)}` and add it again."
    )


def find_corpus(name: str) -> CorpusEntry | None:
    """A corpus by name; a damaged registry entry of that name is a sentence saying so, not 'no such corpus'."""
    bundled = next((entry for entry in bundled_corpora() if entry.name == name), None)
    if bundled is not None:
        return bundled
    registry = read_registry()
    for damaged in registry.damaged:
        if damaged.name == name:
            raise damaged_entry_error(damaged)
    return next((entry for entry in registry.entries if entry.name == name), None)


def slugify(text: str) -> str:
    stem = text
    for suffix in (".gz", ".jsonl", ".json", ".txt"):
        stem = stem.removesuffix(suffix)
    slug = re.sub(r"[^a-z0-9_-]+", "-", stem.lower()).strip("-_")
    return slug[:64] or "corpus"


def resolve_corpus(name_or_path: str) -> Corpus:
    """A registered or bundled corpus name, or a path to a corpus file or directory."""
    if not name_or_path:
        raise PoetError("no corpus given; name one (`poet corpora list` shows them) or give a path.")
    entry = find_corpus(name_or_path)
    if entry is not None:
        if not entry.parts and not os.path.lexists(entry.path):
            raise PoetError(
                f"corpus '{entry.name}' points at {shown(entry.path)}, which is gone; "
                f"re-add it with `poet corpora add PATH --name {entry.name}`."
            )
        return entry.load()
    path = expand_user_path(name_or_path)
    if os.path.lexists(path):  # a link loop exists too; reading it says so
        documents = load_documents(path)
        return Corpus(slugify(path.name), documents, source=str(path.resolve()), size_bytes=directory_size(path))
    names = [entry.name for entry in all_corpora()]
    suggestion = did_you_mean(name_or_path, names)
    known = ", ".join(names) or "none yet"
    raise PoetError(f"no corpus named '{shown(name_or_path)}' and no such file.{suggestion} Known corpora: {known}.")
