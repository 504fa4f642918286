"""How much of a training sample is the model's own, measured while it trains.

A model that memorises its corpus can reach a fine validation loss on a corpus with repeats and still only
recite: the loss cannot say so, but the sample shows it. When training starts, an overlap index is built over
exactly the training split, from the documents already in memory (about a second per 10 MB); at each evaluation
the sample's novelty is the share of its characters outside verbatim copies of at least `DEFAULT_MIN_COPY`
characters from that text. Memorisation shows as novelty falling over a run.

Both steps swallow every failure: a quality figure is never a reason to stop a run, it is only dropped."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from poet_tui.corpus import Document
from poet_tui.overlap import DEFAULT_MIN_COPY, IndexedText, OverlapIndex, measure, training_texts


def training_index(documents: Sequence[Document], validation_fraction: float, seed: int) -> OverlapIndex | None:
    """The overlap index of the run's training split (the same split `prepare_data` trains on, recomputed from
    the same documents, fraction and seed); None when it cannot be built, so the run goes on without novelty."""
    return built_index(lambda: training_texts(documents, validation_fraction, seed))


def built_index(texts: Callable[[], Sequence[IndexedText]]) -> OverlapIndex | None:
    """The overlap index of `texts()` (what a run trains on), or None when it cannot be built."""
    try:
        return OverlapIndex.build(texts())
    except Exception:  # memory, an odd corpus: the figure is lost, never the run
        return None


def sample_novelty(index: OverlapIndex | None, text: str) -> float | None:
    """The share of the sample's characters inside no copy of ≥ `DEFAULT_MIN_COPY` characters from the training
    text: 1 for text never seen, 0 for a verbatim quotation. None without an index, for an empty sample (there
    is nothing to judge), or when matching failed."""
    if index is None or not text:
        return None
    try:
        return measure(index, text, DEFAULT_MIN_COPY).novelty
    except Exception:  # whatever went wrong, the evaluation is reported without the figure
        return None


def novelty_field(index: OverlapIndex | None, text: str) -> dict[str, float]:
    """`{"novelty": share}` for the eval and sample events (rounded: it goes into the log), or {} without one."""
    share = sample_novelty(index, text)
    return {} if share is None else {"novelty": round(share, 4)}
