"""Where did that line come from? Verbatim overlap between generated text and the text a model learnt from.

Torch-free and Textual-free: the command line, the app and training all use it the same way.

    index = load_or_build_for_run(run)          # or load_or_build_for_corpus(corpus), OverlapIndex.build(texts)
    matcher = index.matcher()
    for piece in stream:                         # as a completion streams
        matcher.feed(piece)                      # one Match per character: length, start, source
    spans = copied_spans(matcher.matches, DEFAULT_MIN_COPY)
    share_new = novelty(matcher.text_length, spans)

or, for a finished text, `measure(index, text, min_length)`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from poet_tui.overlap.cache import indexes_dir, load_or_build
    from poet_tui.overlap.index import IndexedText, OverlapIndex, Source, whole_documents
    from poet_tui.overlap.matcher import Match, Matcher
    from poet_tui.overlap.source_lines import SourceLine, SourceLines
    from poet_tui.overlap.spans import (
        DEFAULT_MIN_COPY,
        MAX_MIN_COPY,
        Overlap,
        Span,
        copied_spans,
        highlight_regions,
        measure,
        novelty,
    )
    from poet_tui.overlap.training_text import (
        load_or_build_for_corpus,
        load_or_build_for_run,
        run_training_texts,
        training_texts,
    )

# Each name and the module that holds it, imported on first use: the spans and the matcher are pure Python,
# while the index and its cache need numpy, which the app need not import before its first frame.
_HOME = {
    **dict.fromkeys(("indexes_dir", "load_or_build"), "cache"),
    **dict.fromkeys(("IndexedText", "OverlapIndex", "Source", "whole_documents"), "index"),
    **dict.fromkeys(("Match", "Matcher"), "matcher"),
    **dict.fromkeys(("SourceLine", "SourceLines"), "source_lines"),
    **dict.fromkeys(
        (
            "DEFAULT_MIN_COPY",
            "MAX_MIN_COPY",
            "Overlap",
            "Span",
            "copied_spans",
            "highlight_regions",
            "measure",
            "novelty",
        ),
        "spans",
    ),
    **dict.fromkeys(
        ("load_or_build_for_corpus", "load_or_build_for_run", "run_training_texts", "training_texts"), "training_text"
    ),
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    globals()[name] = value
    return value


__all__ = [
    "DEFAULT_MIN_COPY",
    "MAX_MIN_COPY",
    "IndexedText",
    "Match",
    "Matcher",
    "Overlap",
    "OverlapIndex",
    "Source",
    "SourceLine",
    "SourceLines",
    "Span",
    "copied_spans",
    "highlight_regions",
    "indexes_dir",
    "load_or_build",
    "load_or_build_for_corpus",
    "load_or_build_for_run",
    "measure",
    "novelty",
    "run_training_texts",
    "training_texts",
    "whole_documents",
]
