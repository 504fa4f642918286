"""Changing the corpus registry (`$POET_HOME/corpora/registry.toml`): registering a file or folder under a name,
forgetting one, and writing the file back. Every change is a read-modify-write under an OS lock (`registry.lock`
beside it), so two `poet corpora add` at once never lose each other's entry, and the file is replaced atomically.
A registry with a damaged entry is not rewritten (that would silently drop it). Reading it is corpus_registry.py.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from poet_tui.atomic import atomic_write_text, remove_stale_temp_files
from poet_tui.corpus import expand_user_path, guess_language, load_documents, shown
from poet_tui.corpus_registry import (
    NAME_RULE,
    PROVENANCE_FIELDS,
    CorpusEntry,
    Registry,
    bundled_corpora,
    is_usable_name,
    read_registry,
    registry_file,
    registry_lock_file,
    slugify,
)
from poet_tui.errors import PoetError, did_you_mean
from poet_tui.safe_files import describe_os_error, open_own_file


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
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = open_own_file(lock_path, os.O_RDWR | os.O_CREAT)
    except OSError as error:
        raise write_error(lock_path, error) from None
    try:
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
