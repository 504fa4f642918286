"""A branching completion: at a chosen token of a completion, take one of the alternatives the model weighed
there instead, and let the model go on from exactly those tokens (no re-tokenizing of the text)."""

from __future__ import annotations

from collections.abc import Generator

from poet_tui.errors import PoetError
from poet_tui.forms import Form
from poet_tui.model import RNNLanguageModel
from poet_tui.sample import stream_completion
from poet_tui.sampling_settings import CompletionStats, SamplingSettings
from poet_tui.tokenizers import Tokenizer


def branch_ids(context_ids: list[int], completion_ids: list[int], position: int, alternative_id: int) -> list[int]:
    """What to continue from: the context, the completion before `position`, then the alternative in its place."""
    if not 0 <= position < len(completion_ids):
        raise PoetError(
            f"position {position} is not a token of this completion (it has {len(completion_ids)}); "
            "choose one of its tokens."
        )
    return [*context_ids, *completion_ids[:position], alternative_id]


def stream_branch(
    model: RNNLanguageModel,
    tokenizer: Tokenizer,
    prefix_ids: list[int],
    settings: SamplingSettings,
    stats: CompletionStats | None = None,
    form: Form | None = None,
) -> Generator[str, None, None]:
    """The completion that follows `prefix_ids` (from branch_ids), streamed as stream_completion streams one;
    `stats.token_ids` records only the new tokens."""
    return stream_completion(model, tokenizer, "", settings, stats, form, prompt_ids=prefix_ids)
