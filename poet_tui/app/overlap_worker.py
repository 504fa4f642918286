"""The REPL's side of "where did that line come from?": the loaded model's overlap index, built or read back in
a worker, and the messages that carry it (and each completion's matches) to the pane.

The index is read-only once built, so each completion's generating thread makes its own Matcher from it (a
Matcher is not thread-safe) and matches every batch there: the UI thread only cuts spans from the matches."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

from poet_tui.overlap import DEFAULT_MIN_COPY

if TYPE_CHECKING:
    from poet_tui.overlap import OverlapIndex, SourceLines
    from poet_tui.runs import Run

MIN_COPY_STEPS = (8, DEFAULT_MIN_COPY, 20, 40)  # what ctrl+n cycles through


@dataclass(frozen=True)
class Overlaps:
    """A run's index and the texts it was built from (to show the source line of a copy)."""

    run_id: str
    index: OverlapIndex
    lines: SourceLines


class OverlapIndexReady(Message):
    """The index of the loaded model's training text is ready, or (`problem`) cannot be had."""

    def __init__(self, run_id: str, overlaps: Overlaps | None, problem: str | None = None) -> None:
        super().__init__()
        self.run_id = run_id
        self.overlaps = overlaps
        self.problem = problem


def overlaps_for_run(run: Run) -> Overlaps:
    """The index of exactly what the run trained on (read back from the cache when it can be), and those texts.

    Reads the training texts once and hands them to both, rather than load_or_build_for_run plus a second read."""
    from poet_tui.overlap import SourceLines, load_or_build, run_training_texts

    texts = run_training_texts(run)
    index = load_or_build(texts, what=f"the training text of run {run.id}")
    return Overlaps(run.id, index, SourceLines(texts))


def next_min_copy(current: int) -> int:
    """The next step of MIN_COPY_STEPS after `current` (a typed value in between goes to the next one up)."""
    for step in MIN_COPY_STEPS:
        if step > current:
            return step
    return MIN_COPY_STEPS[0]
