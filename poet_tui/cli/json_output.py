"""How `--json` prints: one JSON document (or one per line) on stdout, nothing else there, numbers as numbers,
paths as strings. Text from files (titles, samples, messages) is escaped so that printing it to a terminal can
never send the terminal a control sequence: JSON escapes C0 controls itself, and C1 controls (U+007F–U+009F,
which some terminals obey too) are written as \\u escapes here. Non-ASCII text stays readable (UTF-8)."""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from collections.abc import Sequence

    from poet_tui.config import RunConfig
    from poet_tui.corpus import Corpus, Document
    from poet_tui.corpus_registry import CorpusEntry, Registry
    from poet_tui.run_catalog import CheckpointSummary
    from poet_tui.run_progress import RunProgress
    from poet_tui.runs import Run

C1_CONTROLS = re.compile("[\x7f-\x9f]")


def json_text(document: Any) -> str:
    """Compact JSON on one line; C1 controls escaped (they can only occur inside strings, where \\u is valid)."""
    try:
        text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:  # a NaN or infinity: JSON has none, so it is written as null rather than as invalid JSON
        text = json.dumps(finite(document), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return C1_CONTROLS.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def finite(value: Any) -> Any:
    """`value` with every NaN or infinite float replaced by None, at any depth."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite(item) for item in value]
    return value


def print_json(document: Any, stream: TextIO | None = None) -> None:
    """One document and a newline, flushed (a reader on a pipe sees it at once)."""
    output = stream or sys.stdout
    output.write(json_text(document) + "\n")
    output.flush()


# ----- the documents `--json` prints for the listings (keys documented in the README's "Metrics out") -----
PREVIEW_CHARACTERS = 1500  # what `poet corpora show` prints of each poem


def corpus_entry_document(entry: CorpusEntry, problem: str | None = None) -> dict[str, Any]:
    """One row of `poet corpora list --json`. A combined corpus has `parts` and no `path`, and `problem` says why
    it cannot be used now (a part forgotten); both are null for the others."""
    return {
        "name": entry.name,
        "title": entry.title,
        "language": entry.language,
        "bundled": entry.bundled,
        "poems": entry.documents,
        "characters": entry.characters,
        "size_bytes": entry.size_bytes,
        "path": None if entry.parts else str(entry.path),
        "parts": [{"name": name, "weight": weight} for name, weight in entry.parts] if entry.parts else None,
        "problem": problem,
    }


def corpora_list_document(
    entries: list[CorpusEntry], registry: Registry, registry_path: Path, problems: dict[str, str] | None = None
) -> dict[str, Any]:
    problems = problems or {}
    return {
        "corpora": [corpus_entry_document(entry, problems.get(entry.name)) for entry in entries],
        "damaged": [
            {"name": damaged.name, "reason": damaged.reason, "registry": str(registry_path)}
            for damaged in registry.damaged
        ],
    }


def corpus_show_document(
    corpus: Corpus,
    entry: CorpusEntry | None,
    shares: dict[str, float],
    dominant: list[str],
    poems: int,
    preview: Sequence[tuple[str | None, Document]] | None = None,
    parts: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """`poet corpora show NAME --json`: its statistics, the share of its poems in each form, and the first poems
    (each cut at PREVIEW_CHARACTERS, as the table cuts it; `truncated` says so). A combined corpus has `parts`
    (each with its weight and its epoch's shares) and previews poems of each part in turn, `part` naming it."""
    stats = corpus.stats()
    if preview is None:
        preview = [(None, document) for document in corpus.documents[: max(0, poems)]]
    licence = entry.extra.get("licence") if entry is not None else None
    origin = entry.extra.get("origin") if entry is not None else None
    return {
        "name": corpus.name,
        "title": entry.title if entry is not None else "",
        "source": corpus.source,
        "bundled": entry.bundled if entry is not None else False,
        "poems": stats.documents,
        "characters": stats.characters,
        "lines": stats.lines,
        "distinct_characters": stats.distinct_characters,
        "language": stats.language,
        "forms": shares,
        "dominant_forms": dominant,
        "size_bytes": stats.size_bytes,
        "licence": str(licence) if licence else None,
        "parts": parts,
        "origin": str(origin) if origin else None,
        "preview": [
            {
                "part": part,
                "title": document.title,
                "author": document.author,
                "text": document.text[:PREVIEW_CHARACTERS],
                "truncated": len(document.text) > PREVIEW_CHARACTERS,
            }
            for part, document in preview
        ],
    }


def checkpoint_document(summary: CheckpointSummary) -> dict[str, Any]:
    """One checkpoint of `poet checkpoints list|show --json`; a damaged one has `problem` and little else."""
    if summary.problem is not None:
        return {"run": summary.run_id, "checkpoint": summary.stem or None, "kind": "damaged", "path": summary.path,
                "problem": summary.problem}  # fmt: skip
    return {
        "run": summary.run_id,
        "checkpoint": summary.stem,
        "kind": summary.kind,
        "step": summary.step,
        "corpus": summary.corpus,
        "tokenizer": summary.tokenizer,
        "parameters": summary.parameters,
        "val_loss": summary.val_loss,
        "val_bpc": summary.val_bpc,
        "created": summary.created,
        "size_bytes": summary.size_bytes,
        "path": summary.path,
        "problem": None,
    }


def run_show_document(
    run: Run, config: RunConfig, progress: RunProgress, summaries: list[CheckpointSummary]
) -> dict[str, Any]:
    """`poet checkpoints show RUN --json`: the run, its settings (run.toml's shape), checkpoints, last ten
    evaluations, last form adherence and novelty, and its notices."""
    best = progress.best_evaluation
    return {
        "run": run.id,
        "directory": str(run.directory),
        "status": progress.status,
        "config": config.to_dict(),
        "checkpoints": [checkpoint_document(summary) for summary in summaries],
        "last_evaluations": [evaluation.to_json() for evaluation in progress.evaluations[-10:]],
        "best": None if best is None else {"step": best.step, "val_loss": best.val_loss, "val_bpc": best.val_bpc},
        "form_adherence": progress.form_adherence,
        "novelty": progress.novelty,
        "notices": [notice.to_json() for notice in progress.notices],
    }
