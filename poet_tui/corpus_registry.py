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

import errno
import fcntl
import json
import os
import re
import stat
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from poet_tui.atomic import atomic_write_text, remove_stale_temp_files
from poet_tui.corpus import Corpus, directory_size, expand_user_path, guess_language, load_documents, shown
from poet_tui.errors import PoetError, did_you_mean
from poet_tui.paths import bundled_corpora_dir, user_corpora_dir
from poet_tui.safe_files import describe_os_error, read_bounded_bytes

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


def slugify(text: str) -> str:
    stem = text
    for suffix in (".gz", ".jsonl", ".json", ".txt"):
        stem = stem.removesuffix(suffix)
    slug = re.sub(r"[^a-z0-9_-]+", "-", stem.lower()).strip("-_")
    return slug[:64] or "corpus"


def absolute_corpus_path(path: Path | str) -> Path:
    """The corpus path as the registry records it: absolute, links resolved, and writable as UTF-8 TOML."""
    expanded = expand_user_path(path)
    try:
        resolved = expanded.resolve()
    except RuntimeError:  # Python 3.11 raises this for a link loop; later versions leave it to the read
        raise PoetError(
            f"{shown(expanded)} is a symbolic link loop; point it at a real corpus file or folder."
        ) from None
    try:
        str(resolved).encode("utf-8")
    except UnicodeEncodeError:
        raise PoetError(
            f"{shown(resolved)} has a name that is not valid UTF-8, which the registry cannot record; rename it."
        ) from None
    return resolved


@contextmanager
def registry_lock() -> Iterator[None]:
    """Hold an exclusive OS lock on `registry.lock` while the registry is read, changed and written back.

    The lock file is never deleted (deleting it would let a waiter lock a file nobody else sees); the kernel drops
    the lock when the descriptor closes, even if the process dies.
    """
    lock_path = registry_lock_file()
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(lock_path, flags, 0o644)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise PoetError(f"{shown(lock_path)} is a symbolic link; remove it and try again.") from None
        raise write_error(lock_path, error) from None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise PoetError(f"{shown(lock_path)} is not a regular file; remove it and try again.")
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def write_error(path: Path, error: OSError) -> PoetError:
    """A failed write in the data home as a sentence with the fix; the registry is the previous one, untouched."""
    reason = describe_os_error(error)
    if error.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        advice = "free some space and try again"
    elif error.errno == errno.EFBIG:
        advice = "raise the file size limit (ulimit -f) and try again"
    elif error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        advice = f"make {shown(path.parent)} writable and try again"
    else:
        advice = f"check {shown(path.parent)} and try again"
    return PoetError(f"could not write {shown(path)} ({reason}); {advice}. The registry is unchanged.")


def refuse_if_damaged(registry: Registry, except_name: str | None = None) -> None:
    """Rewriting the registry would drop a damaged entry silently; say which one and how to settle it first."""
    for damaged in registry.damaged:
        if damaged.name != except_name:
            raise PoetError(
                f"{shown(registry_file())} has a damaged entry '{shown(damaged.name)}' ({damaged.reason}); "
                f"fix it there or forget it with `poet corpora rm {shown(damaged.name)}`, then try again."
            )


class CorpusNameTaken(PoetError):
    """A corpus is already registered under the name asked for: replacing it must be asked for."""

    def __init__(self, registered: CorpusEntry) -> None:
        super().__init__(
            f"a corpus named '{registered.name}' is already registered ({registered.where}); "
            "replace it or pick another name."
        )
        self.registered = registered


class BundledCorpusName(PoetError):
    """The name asked for is a bundled corpus's: those are never replaced."""

    def __init__(self, name: str) -> None:
        super().__init__(f"'{name}' is a bundled corpus, and bundled corpora cannot be replaced; pick another name.")
        self.name = name


def registered_name(path: Path | str, name: str | None = None) -> str:
    """The name a corpus at `path` is registered under: `name`, or one made from the file or folder's name."""
    if name is not None and not is_usable_name(name):
        raise PoetError(f"'{shown(name)}' is not a usable corpus name; {NAME_RULE}.")
    return name or slugify(absolute_corpus_path(path).name)


def registered_entry(name: str) -> CorpusEntry | None:
    """The corpus registered (not bundled) under `name`, or None."""
    return next((entry for entry in read_registry().entries if entry.name == name), None)


def add_corpus(path: Path, name: str | None = None, *, replace: bool = False) -> CorpusEntry:
    """Register a user corpus after reading it once, so a broken file is refused now rather than at training.
    A name already registered raises CorpusNameTaken unless `replace`; a bundled corpus's name is refused."""
    return register_corpus(path, name, replace=replace)[0]


def register_corpus(
    path: Path,
    name: str | None = None,
    *,
    replace: bool = False,
    title: str | None = None,
    provenance: dict[str, str] | None = None,
) -> tuple[CorpusEntry, CorpusEntry | None]:
    """`add_corpus`, also returning the registered corpus it replaced (None when the name was free). `title` and
    `provenance` (PROVENANCE_FIELDS: where it came from, its licence) are recorded for a corpus poet-tui fetched."""
    name = registered_name(path, name)
    path = absolute_corpus_path(path)  # after the name: a bad name is said before a bad path, as always
    if any(entry.name == name for entry in bundled_corpora()):
        raise BundledCorpusName(name)
    if not replace:  # refused before reading the file; asked again under the lock below
        taken = registered_entry(name)
        if taken is not None:
            raise CorpusNameTaken(taken)
    documents = load_documents(path)  # outside the lock: reading 256 MiB must not hold up other registrations
    entry = CorpusEntry(
        name=name,
        path=path,
        bundled=False,
        title=title or name,
        language=guess_language(documents[:2000]),
        documents=len(documents),
        characters=sum(len(document.text) for document in documents),
        extra={key: value for key, value in (provenance or {}).items() if key in PROVENANCE_FIELDS and value},
    )
    with registry_lock():
        registry = read_registry()
        refuse_if_damaged(registry, except_name=name)
        entries = {existing.name: existing for existing in registry.entries}
        replaced = entries.get(name)
        if replaced is not None and not replace:
            raise CorpusNameTaken(replaced)
        entries[name] = entry
        write_registry(list(entries.values()))
    return entry, replaced


def remove_corpus(name: str) -> None:
    """Forget a registered corpus (also a damaged entry: that is how one is settled); its files stay."""
    if any(entry.name == name for entry in bundled_corpora()):
        raise PoetError(
            f"'{name}' is a bundled corpus, and bundled corpora cannot be removed; only the ones you registered can."
        )

    def unknown(known: list[str]) -> PoetError:
        suggestion = did_you_mean(name, known)
        return PoetError(f"no registered corpus named '{shown(name)}'.{suggestion} `poet corpora list` shows them.")

    if not os.path.lexists(registry_file()):
        raise unknown([])  # before taking the lock, which would create the data home's corpora folder
    with registry_lock():
        registry = read_registry()
        known = {entry.name for entry in registry.entries} | {damaged.name for damaged in registry.damaged}
        if name not in known:
            raise unknown(sorted(known))
        refuse_if_damaged(registry, except_name=name)
        write_registry([entry for entry in registry.entries if entry.name != name])


def toml_string(value: str) -> str:
    """A TOML basic string. JSON's escapes are TOML's, except that TOML also forbids a raw DEL character."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def render_registry(entries: list[CorpusEntry]) -> str:
    lines = ["# Corpora registered with `poet corpora add`; the files stay where they are.", ""]
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for entry in sorted(entries, key=lambda item: item.name):
        lines.append(f"[corpora.{toml_string(entry.name)}]")
        if entry.parts:
            from poet_tui.corpus_combination import parts_toml

            lines.append(parts_toml(entry.parts))
        else:
            lines.append(f"path = {toml_string(str(entry.path))}")
        lines.append(f"title = {toml_string(entry.title)}")
        lines.append(f"language = {toml_string(entry.language)}")
        if entry.documents is not None:
            lines.append(f"documents = {entry.documents}")
        if entry.characters is not None:
            lines.append(f"characters = {entry.characters}")
        lines.append(f"added = {toml_string(entry.extra.get('added') or now)}")
        for key in PROVENANCE_FIELDS:
            if entry.extra.get(key):
                lines.append(f"{key} = {toml_string(str(entry.extra[key]))}")
        lines.append("")
    return "\n".join(lines)


def write_registry(entries: list[CorpusEntry]) -> None:
    """Replace registry.toml atomically; a full disk or read-only home is a sentence and leaves the old file."""
    path = registry_file()
    remove_stale_temp_files(path.parent)  # under the registry lock: no write in progress is touched
    try:
        atomic_write_text(path, render_registry(entries))
    except OSError as error:
        raise write_error(path, error) from None
