"""Which corpora exist: the bundled ones (corpora/manifest.json) and the ones a user registered.

User corpora are recorded in `$POET_HOME/corpora/registry.toml`, a small table of names pointing at files,
so registering never copies or alters the user's text.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from poet_tui.atomic import atomic_write_text
from poet_tui.corpus import Corpus, directory_size, guess_language, load_documents
from poet_tui.errors import PoetError
from poet_tui.paths import bundled_corpora_dir, user_corpora_dir

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


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

    def load(self) -> Corpus:
        return Corpus(self.name, load_documents(self.path), source=str(self.path), size_bytes=self.size_bytes)

    @property
    def size_bytes(self) -> int:
        return directory_size(self.path)


def registry_file() -> Path:
    return user_corpora_dir() / "registry.toml"


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


def user_corpora() -> list[CorpusEntry]:
    path = registry_file()
    if not path.exists():
        return []
    try:
        registry = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise PoetError(f"{path} is damaged ({error}); fix or delete it to re-register corpora.") from None
    return [
        CorpusEntry(
            name=name,
            path=Path(item["path"]),
            bundled=False,
            title=item.get("title", name),
            language=item.get("language", ""),
            documents=item.get("documents"),
            characters=item.get("characters"),
            extra={"added": item.get("added", "")},
        )
        for name, item in sorted(registry.get("corpora", {}).items())
    ]


def all_corpora() -> list[CorpusEntry]:
    return bundled_corpora() + user_corpora()


def find_corpus(name: str) -> CorpusEntry | None:
    return next((entry for entry in all_corpora() if entry.name == name), None)


def resolve_corpus(name_or_path: str) -> Corpus:
    """A registered or bundled corpus name, or a path to a corpus file or directory."""
    entry = find_corpus(name_or_path)
    if entry is not None:
        if not entry.path.exists():
            raise PoetError(
                f"corpus '{entry.name}' points at {entry.path}, which is gone; "
                f"re-add it with `poet corpora add PATH --name {entry.name}`."
            )
        return entry.load()
    path = Path(name_or_path).expanduser()
    if path.exists():
        return Corpus(
            slugify(path.name), load_documents(path), source=str(path.resolve()), size_bytes=directory_size(path)
        )
    known = ", ".join(entry.name for entry in all_corpora()) or "none yet"
    raise PoetError(f"no corpus named '{name_or_path}' and no such file; known corpora: {known}.")


def slugify(text: str) -> str:
    stem = text
    for suffix in (".gz", ".jsonl", ".json", ".txt"):
        stem = stem.removesuffix(suffix)
    slug = re.sub(r"[^a-z0-9_-]+", "-", stem.lower()).strip("-_")
    return slug[:64] or "corpus"


def add_corpus(path: Path, name: str | None = None) -> CorpusEntry:
    """Register a user corpus after reading it once, so a broken file is refused now rather than at training."""
    path = Path(path).expanduser().resolve()
    name = name or slugify(path.name)
    if not NAME_PATTERN.match(name):
        raise PoetError(f"'{name}' is not a usable corpus name; use lowercase letters, digits, '-' and '_' (up to 64).")
    if any(entry.name == name for entry in bundled_corpora()):
        raise PoetError(f"'{name}' is the name of a bundled corpus; pick another with --name.")
    documents = load_documents(path)
    text_sample = documents[:2000]
    entry = CorpusEntry(
        name=name,
        path=path,
        bundled=False,
        title=name,
        language=guess_language(text_sample),
        documents=len(documents),
        characters=sum(len(document.text) for document in documents),
    )
    entries = {existing.name: existing for existing in user_corpora()}
    entries[name] = entry
    write_registry(list(entries.values()))
    return entry


def remove_corpus(name: str) -> None:
    registered = user_corpora()
    entries = [entry for entry in registered if entry.name != name]
    if len(entries) == len(registered):
        raise PoetError(f"no registered corpus named '{name}'; `poet corpora list` shows them.")
    write_registry(entries)


def write_registry(entries: list[CorpusEntry]) -> None:
    lines = ["# Corpora registered with `poet corpora add`; the files stay where they are.", ""]
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for entry in sorted(entries, key=lambda item: item.name):
        lines.append(f"[corpora.{json.dumps(entry.name)}]")
        lines.append(f"path = {json.dumps(str(entry.path), ensure_ascii=False)}")
        lines.append(f"title = {json.dumps(entry.title, ensure_ascii=False)}")
        lines.append(f"language = {json.dumps(entry.language)}")
        if entry.documents is not None:
            lines.append(f"documents = {entry.documents}")
        if entry.characters is not None:
            lines.append(f"characters = {entry.characters}")
        lines.append(f"added = {json.dumps(entry.extra.get('added') or now)}")
        lines.append("")
    atomic_write_text(registry_file(), "\n".join(lines))
