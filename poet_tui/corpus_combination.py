"""Combined corpora: a corpus made of others, each with a weight (`poet corpora combine NAME --from A:2 B`).

A combined corpus is a registry entry with `parts` (names and weights) where a file corpus has a `path`: it never
copies its parts' text, so it follows them (a part re-added with more poems brings them along), and a part
forgotten later leaves it unusable, which `poet corpora list` says and training refuses in one sentence.

A part may be a bundled, a registered or another combined corpus. Nested ones are flattened to the file corpora
at the bottom (the leaves), each with its share of the text: `A = B:1 C:1` with `B = D:1 E:3` gives C ½, D ⅛,
E ⅜, and a leaf reached twice has its shares summed. A cycle is refused, naming it. How a run draws its
documents from those shares is corpus_mixture.py; loading them is combined_corpus.py.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from poet_tui.corpus_reading import shown
from poet_tui.corpus_registration import (
    BundledCorpusName,
    CorpusNameTaken,
    refuse_if_damaged,
    registry_lock,
    toml_string,
    write_registry,
)
from poet_tui.corpus_registry import (
    NAME_RULE,
    CorpusEntry,
    added_field,
    bundled_corpora,
    count_field,
    is_usable_name,
    read_registry,
    registry_file,
    text_field,
)
from poet_tui.errors import PoetError, did_you_mean

if TYPE_CHECKING:
    from poet_tui.combined_corpus import CombinedCorpus

MIN_PARTS = 2  # one part is the same corpus under another name: nothing to weigh
MAX_PARTS = 64
MIN_WEIGHT = 1e-6
MAX_WEIGHT = 1e6  # weights are relative: a bound keeps every share a plain, printable number
MAX_DEPTH = 16  # combined corpora inside combined corpora, this deep at most
WEIGHT_PATTERN = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
PART_SYNTAX = "write each part as NAME or NAME:WEIGHT, e.g. shakespeare-sonnets:2"

Parts = tuple[tuple[str, float], ...]


# ----- the definition: parts as typed, as registered, as shown -----
def parse_part(text: str) -> tuple[str, float]:
    """`NAME:WEIGHT` (or `NAME`, weight 1) as typed after `--from`; one sentence for anything else."""
    name, colon, weight_text = text.partition(":")
    if not name:
        raise PoetError(f"'{shown(text)}' names no corpus before the ':'; {PART_SYNTAX}.")
    if not is_usable_name(name):
        raise PoetError(
            f"'{shown(name)}' is not a corpus name; parts are corpus names (`poet corpora list` shows them), so "
            "register a file first with `poet corpora add PATH --name NAME`."
        )
    if not colon:
        return name, 1.0
    if not weight_text:
        raise PoetError(f"'{shown(text)}' has no weight after the ':'; {PART_SYNTAX} (no ':' means a weight of 1).")
    if not WEIGHT_PATTERN.fullmatch(weight_text):
        raise PoetError(f"the weight in '{shown(text)}' is not a positive number; {PART_SYNTAX}.")
    return name, checked_weight(float(weight_text), f"the weight in '{shown(text)}'")


def checked_weight(weight: float, what: str) -> float:
    if not math.isfinite(weight) or weight > MAX_WEIGHT:
        raise PoetError(f"{what} is too big; weights are relative (2 and 1 mean what 200 and 100 do), at most 1000000.")
    if weight < MIN_WEIGHT:
        raise PoetError(f"{what} must be at least 0.000001; a part that should not count is simply left out.")
    return weight


def check_parts(name: str, parts: Sequence[tuple[str, float]]) -> None:
    """At least two parts, each once, none of them the combined corpus itself."""
    names = [part for part, _ in parts]
    repeated = next((part for part in names if names.count(part) > 1), None)
    if repeated is not None:
        raise PoetError(f"'{repeated}' is given twice; give each part once, with the weight you mean.")
    if len(names) < MIN_PARTS:
        raise PoetError(
            f"a combined corpus needs at least {MIN_PARTS} different parts (one alone is the same corpus under "
            f"another name); give them after --from, e.g. --from a:2 b."
        )
    if len(parts) > MAX_PARTS:
        raise PoetError(f"a combined corpus has at most {MAX_PARTS} parts, not {len(parts)}; combine some first.")
    if name in names:
        raise PoetError(f"'{name}' cannot be a part of itself; combine it from other corpora.")


def describe_parts(parts: Parts) -> str:
    """`a ×2 + b ×1`: the parts and weights as `combine` took them."""
    return "combined: " + " + ".join(f"{name} ×{weight:g}" for name, weight in parts)


def parts_toml(parts: Parts) -> str:
    """The registry line that defines a combined corpus (TOML inline tables; a weight is always a float)."""
    items = ", ".join(f"{{ name = {toml_string(name)}, weight = {float(weight)!r} }}" for name, weight in parts)
    return f"parts = [{items}]"


def combined_entry_from_registry(name: str, item: dict[str, Any]) -> CorpusEntry:
    """A `[corpora.NAME]` table with `parts` as a CorpusEntry; ValueError with the reason when it cannot be used."""
    if "path" in item:
        raise ValueError("it has both a path and parts")
    raw_parts = item["parts"]
    if not isinstance(raw_parts, list) or not raw_parts:
        raise ValueError("its parts are not a list")
    parts: list[tuple[str, float]] = []
    for raw in raw_parts:
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not is_usable_name(raw["name"]):
            raise ValueError("a part has no usable name")
        weight = raw.get("weight")
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            raise ValueError(f"part '{raw['name']}' has no weight")
        try:
            parts.append((raw["name"], checked_weight(float(weight), "a weight")))
        except PoetError:
            raise ValueError(f"part '{raw['name']}' has a weight out of range") from None
    try:
        check_parts(name, parts)
    except PoetError as error:
        raise ValueError(str(error).split(";")[0]) from None
    return CorpusEntry(
        name=name,
        path=registry_file(),
        bundled=False,
        title=text_field(item, "title", name),
        language=text_field(item, "language", ""),
        documents=count_field(item, "documents"),
        characters=count_field(item, "characters"),
        extra={"added": added_field(item)},
        parts=tuple(parts),
    )


# ----- flattening, with cycles and missing parts said -----
class BrokenCombination(PoetError):
    """A combined corpus that cannot be used now: `reason` is the short form `poet corpora list` shows."""

    def __init__(self, name: str, reason: str, fix: str) -> None:
        super().__init__(f"the combined corpus '{name}' cannot be used: {reason}; {fix}.")
        self.reason = reason


@dataclass(frozen=True)
class Known:
    """Every corpus by name at one moment, and the registry's damaged entries with their reasons."""

    entries: Mapping[str, CorpusEntry]
    damaged: Mapping[str, str]

    @classmethod
    def now(cls) -> Known:
        registry = read_registry()
        entries = {entry.name: entry for entry in bundled_corpora() + registry.entries}
        return cls(entries, {item.name: item.reason for item in registry.damaged})


def redefine_fix(name: str) -> str:
    return f"give '{name}' other parts with `poet corpora combine {name} --from ... --replace`"


def leaf_shares(name: str, known: Known) -> dict[str, float]:
    """The file corpora a combined corpus comes down to, each with its share of the text (summing to 1).

    Each combined corpus is flattened once (memoised), so a registry of nested diamonds stays linear."""
    memo: dict[str, dict[str, float]] = {}

    def visit(entry: CorpusEntry, chain: tuple[str, ...]) -> dict[str, float]:
        if not entry.parts:
            return {entry.name: 1.0}
        if entry.name in memo:
            return memo[entry.name]
        if len(chain) > MAX_DEPTH:
            path = " → ".join(chain)
            raise BrokenCombination(name, f"its parts nest more than {MAX_DEPTH} deep ({path})", redefine_fix(name))
        total = sum(weight for _, weight in entry.parts)
        shares: dict[str, float] = {}
        for part, weight in entry.parts:
            path = " → ".join((*chain, part))
            if part in chain:
                raise BrokenCombination(name, f"its parts take from each other in a cycle ({path})", redefine_fix(name))
            if part in known.damaged:
                reason = f"its part '{part}' is damaged in the registry ({known.damaged[part]})"
                raise BrokenCombination(name, reason, f"fix it in {shown(registry_file())} or {redefine_fix(name)}")
            found = known.entries.get(part)
            if found is None:
                via = f" ({path})" if len(chain) > 1 else ""
                fix = f"add it again with `poet corpora add PATH --name {part}`, or {redefine_fix(name)}"
                raise BrokenCombination(name, f"its part '{part}'{via} is not registered any more", fix)
            for leaf, share in visit(found, (*chain, part)).items():
                shares[leaf] = shares.get(leaf, 0.0) + share * weight / total
        memo[entry.name] = shares
        return shares

    root = known.entries.get(name)
    if root is None:
        raise PoetError(f"no corpus named '{shown(name)}'; `poet corpora list` shows them.")
    return visit(root, (name,))


def combination_problem(entry: CorpusEntry, known: Known) -> str | None:
    """Why a combined corpus cannot be used now (a part gone, a cycle, a part's file gone), or None."""
    if not entry.parts:
        return None
    try:
        leaves = leaf_shares(entry.name, known)
    except BrokenCombination as broken:
        return broken.reason
    for leaf in leaves:
        part = known.entries[leaf]
        if not part.bundled and not os.path.lexists(part.path):
            return f"its part '{leaf}' points at {shown(part.path)}, which is gone"
    return None


def reachable_parts(entry: CorpusEntry, known: Known) -> set[str]:
    """Every name a combined corpus takes from, directly or through others (missing ones included)."""
    seen: set[str] = set()
    pending = [entry]
    while pending:
        for part, _ in pending.pop().parts:
            if part not in seen:
                seen.add(part)
                found = known.entries.get(part)
                if found is not None and found.parts:
                    pending.append(found)
    return seen


def dependents(name: str, known: Known) -> list[str]:
    """The combined corpora that take from `name`, directly or through others (what forgetting it breaks)."""
    return sorted(
        entry.name
        for entry in known.entries.values()
        if entry.parts and entry.name != name and name in reachable_parts(entry, known)
    )


# ----- registering -----
def combine_corpora(name: str, parts: Sequence[tuple[str, float]], *, replace: bool = False) -> tuple[
    CorpusEntry, CorpusEntry | None
]:  # fmt: skip
    """Register `name` as a combination of `parts`; returns the entry and the registered corpus it replaced.

    Nothing is read but the registry: the parts' counts come from their entries, so combining 256 MiB corpora is
    instant. A taken name raises CorpusNameTaken unless `replace`; a bundled name, an unknown or broken part, a
    cycle the new definition would close, and a part whose file is gone are refused before anything is written."""
    if not is_usable_name(name):
        raise PoetError(f"'{shown(name)}' is not a usable corpus name; {NAME_RULE}.")
    if any(entry.name == name for entry in bundled_corpora()):
        raise BundledCorpusName(name)
    check_parts(name, parts)
    with registry_lock():
        registry = read_registry()
        refuse_if_damaged(registry, except_name=name)
        entries = {entry.name: entry for entry in registry.entries}
        replaced = entries.get(name)
        if replaced is not None and not replace:
            raise CorpusNameTaken(replaced)
        known = Known.now()
        for part, _ in parts:
            if part not in known.entries and part not in known.damaged:
                suggestion = did_you_mean(part, sorted(set(known.entries) - {name}))
                raise PoetError(
                    f"there is no corpus named '{part}' to take from.{suggestion} `poet corpora list` shows them; "
                    f"register a file with `poet corpora add PATH --name {part}`."
                )
        entry = CorpusEntry(name=name, path=registry_file(), bundled=False, title=name, parts=tuple(parts))
        trial = Known({**known.entries, name: entry}, known.damaged)
        problem = combination_problem(entry, trial)
        if problem is not None:
            raise PoetError(f"'{name}' cannot be combined so: {problem}.")
        leaves = [trial.entries[leaf] for leaf in leaf_shares(name, trial)]
        entry = CorpusEntry(
            name=name,
            path=registry_file(),
            bundled=False,
            title=name,
            language=mixed_language(leaves),
            documents=total_of([leaf.documents for leaf in leaves]),
            characters=total_of([leaf.characters for leaf in leaves]),
            parts=tuple(parts),
        )
        entries[name] = entry
        write_registry(list(entries.values()))
    return entry, replaced


def mixed_language(leaves: Sequence[CorpusEntry]) -> str:
    languages = {leaf.language for leaf in leaves if leaf.language}
    return languages.pop() if len(languages) == 1 else "mixed" if languages else ""


def total_of(counts: Sequence[int | None]) -> int | None:
    return None if any(count is None for count in counts) else sum(count or 0 for count in counts)


# ----- what the registry's CorpusEntry asks of a combined one -----
def load_combined(entry: CorpusEntry) -> CombinedCorpus:
    """Its leaves' documents, part after part; a missing part or a cycle is one sentence naming it."""
    from poet_tui.combined_corpus import load_leaves

    known = Known.now()
    return load_leaves(entry.name, list(leaf_shares(entry.name, known).items()), known.entries)


def combined_size_bytes(entry: CorpusEntry) -> int:
    """Bytes on disk of the leaves (counted once each); 0 when the combination cannot be resolved."""
    try:
        known = Known.now()
        return sum(known.entries[leaf].size_bytes for leaf in leaf_shares(entry.name, known))
    except PoetError:
        return 0
