"""A combined corpus in memory: its leaves' documents end to end, with each leaf's share and fingerprint; and the
two lines of run.toml that record them (`corpus_parts`, `corpus_part_fingerprints`), so a resume and the overlap
index rebuild exactly what a run trained on from the parts themselves, even after the combined corpus was
redefined or forgotten. Only the parts must still be registered, with the same text, and that is checked."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from poet_tui.corpus import MAX_CORPUS_BYTES, Corpus, Document, corpus_fingerprint
from poet_tui.corpus_combination import Known, leaf_shares
from poet_tui.corpus_reading import shown
from poet_tui.corpus_registry import CorpusEntry, is_usable_name, resolve_corpus
from poet_tui.errors import PoetError
from poet_tui.safe_files import human_size

if TYPE_CHECKING:
    from poet_tui.config import RunConfig

SHARE_DIGITS = 6  # a share as run.toml records it, and as training then uses it: both read the same number
FINGERPRINT = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class LoadedPart:
    """One leaf of a combined corpus: its share of the text, its documents and the sha256 of their text."""

    name: str
    share: float
    corpus: Corpus
    fingerprint: str
    start: int  # where its documents begin in the combined corpus's list

    @property
    def documents(self) -> list[Document]:
        return self.corpus.documents


@dataclass
class CombinedCorpus(Corpus):
    """A Corpus whose `documents` are its parts' documents, part after part; `parts` says whose each one is."""

    parts: list[LoadedPart] = field(default_factory=list)

    def preview(self, count: int) -> list[tuple[str, Document]]:
        """The first poems taken in turn from each part, with the part's name: a preview shows every part."""
        chosen: list[tuple[str, Document]] = []
        for index in range(max((len(part.documents) for part in self.parts), default=0)):
            for part in self.parts:
                if len(chosen) >= count:
                    return chosen
                if index < len(part.documents):
                    chosen.append((part.name, part.documents[index]))
        return chosen


def rounded_share(share: float) -> float:
    return float(f"{share:.{SHARE_DIGITS}g}")


def load_leaf(combined: str, entry: CorpusEntry) -> Corpus:
    """A part's text, any failure said as the part's (a gone file, a file that became unreadable)."""
    if not entry.bundled and not entry.parts and not os.path.lexists(entry.path):
        raise PoetError(
            f"the combined corpus '{combined}' cannot be used: its part '{entry.name}' points at {shown(entry.path)}, "
            f"which is gone; re-add it with `poet corpora add PATH --name {entry.name}`."
        )
    try:
        return entry.load()
    except PoetError as error:
        raise PoetError(f"part '{entry.name}' of the combined corpus '{combined}' cannot be read: {error}") from None


def too_big(name: str) -> PoetError:
    return PoetError(
        f"the combined corpus '{name}' comes to more than the {human_size(MAX_CORPUS_BYTES)} of text poet-tui reads "
        "into memory; leave out a part or use a smaller one."
    )


def assemble(name: str, leaves: Sequence[tuple[str, float, Corpus]]) -> CombinedCorpus:
    """The parts end to end, each with its share (rounded as run.toml records it) and fingerprint."""
    parts: list[LoadedPart] = []
    documents: list[Document] = []
    characters = 0
    for leaf, share, corpus in leaves:
        characters += sum(len(document.text) for document in corpus.documents)
        if characters > MAX_CORPUS_BYTES:
            raise too_big(name)
        parts.append(LoadedPart(leaf, rounded_share(share), corpus, corpus_fingerprint(corpus), len(documents)))
        documents.extend(corpus.documents)
    source = "combined: " + ", ".join(f"{part.name} {part.share:.1%}" for part in parts)
    size = sum(part.corpus.size_bytes for part in parts)
    return CombinedCorpus(name, documents, source=source, size_bytes=size, parts=parts)


def load_leaves(name: str, leaves: Sequence[tuple[str, float]], entries: Mapping[str, CorpusEntry]) -> CombinedCorpus:
    """Read each leaf once; refused before reading when the files alone are more than poet-tui reads."""
    if sum(entries[leaf].size_bytes for leaf, _ in leaves) > MAX_CORPUS_BYTES:
        raise too_big(name)
    return assemble(name, [(leaf, share, load_leaf(name, entries[leaf])) for leaf, share in leaves])


# ----- run.toml -----
def recorded_parts(corpus: Corpus) -> tuple[str, str]:
    """(`corpus_parts`, `corpus_part_fingerprints`) for run.toml: `name:share` and the sha256 of each leaf,
    space-separated; ("", "") for a corpus that is not combined."""
    if not isinstance(corpus, CombinedCorpus):
        return "", ""
    return (
        " ".join(f"{part.name}:{part.share:.{SHARE_DIGITS}g}" for part in corpus.parts),
        " ".join(part.fingerprint for part in corpus.parts),
    )


def parse_recorded_parts(parts_text: str, fingerprints_text: str) -> list[tuple[str, float, str]]:
    """run.toml's record read back, checked; ValueError with what is wrong."""
    parts, fingerprints = parts_text.split(), fingerprints_text.split()
    if len(parts) != len(fingerprints) or not parts:
        raise ValueError("corpus_parts and corpus_part_fingerprints do not match")
    records = []
    for part, fingerprint in zip(parts, fingerprints, strict=True):
        name, _, share_text = part.partition(":")
        try:
            share = float(share_text)
        except ValueError:
            share = -1.0
        if not is_usable_name(name) or not 0 < share <= 1 or not FINGERPRINT.fullmatch(fingerprint):
            raise ValueError(f"corpus_parts holds '{shown(part)}'")
        records.append((name, share, fingerprint))
    if len({name for name, _, _ in records}) != len(records):
        raise ValueError("corpus_parts names a part twice")
    return records


def run_corpus(config: RunConfig, run_id: str, consequence: str) -> Corpus:
    """The corpus a run trained on: its combined corpus rebuilt from the parts run.toml recorded (each checked
    against its fingerprint), or its corpus by name or path. `consequence` ends the sentence for a changed part."""
    if not config.corpus_parts:
        return resolve_corpus(config.corpus)
    try:
        records = parse_recorded_parts(config.corpus_parts, config.corpus_part_fingerprints)
    except ValueError as error:
        raise PoetError(f"run {run_id}'s run.toml is damaged ({error}); its corpus cannot be rebuilt.") from None
    known = Known.now()
    leaves = []
    for name, share, fingerprint in records:
        entry = known.entries.get(name)
        if entry is None:
            raise PoetError(
                f"part '{name}' of the combined corpus '{config.corpus}' that run {run_id} trained on is not "
                f"registered any more; add it again (the same text) with `poet corpora add PATH --name {name}`."
            )
        corpus = load_leaf(config.corpus, entry)
        if corpus_fingerprint(corpus) != fingerprint:
            raise PoetError(
                f"part '{name}' of the combined corpus '{config.corpus}' has changed since run {run_id} started"
                f"{consequence}"
            )
        leaves.append((name, share, corpus))
    return assemble(config.corpus, leaves)


# ----- what `poet corpora show` says of each part -----
@dataclass(frozen=True)
class PartSummary:
    """A part as `combine` took it, and what it comes to in an epoch (by characters, before the validation split):
    its share of the text, its share of the poems read, and how often each of its poems is read on average."""

    name: str
    weight: float
    poems: int
    characters: int
    text_share: float
    poem_share: float
    reads_per_poem: float


def part_summaries(entry: CorpusEntry, corpus: CombinedCorpus) -> list[PartSummary]:
    known = Known.now()
    leaves = {part.name: part for part in corpus.parts}
    read_sizes = {name: sum(len(doc.text) + 1 for doc in part.documents) for name, part in leaves.items()}
    total_read = sum(read_sizes.values())  # what an epoch reads: every leaf's text, once over
    total_weight = sum(weight for _, weight in entry.parts)
    rows = []
    for name, weight in entry.parts:
        found = known.entries.get(name)
        within = leaf_shares(name, known) if found is not None and found.parts else {name: 1.0}
        within = {leaf: share for leaf, share in within.items() if leaf in leaves}  # changed since it was read
        share = weight / total_weight
        poems = sum(len(leaves[leaf].documents) for leaf in within)
        characters = sum(len(doc.text) for leaf in within for doc in leaves[leaf].documents)
        size = sum(read_sizes[leaf] for leaf in within)
        # poems read from each leaf: its characters in the epoch over its poems' mean length
        read = sum(
            share * part * total_read * len(leaves[leaf].documents) / read_sizes[leaf] for leaf, part in within.items()
        )
        rows.append((name, weight, poems, characters, share, read, share * total_read / max(1, size)))
    read_total = sum(row[5] for row in rows) or 1.0
    return [
        PartSummary(name, weight, poems, characters, share, read / read_total, reads)
        for name, weight, poems, characters, share, read, reads in rows
    ]
