"""Whether a model writes the forms its corpus is written in, measured while it trains.

When training starts, the share of the training poems in each known form is counted (`corpus_forms`). At each
evaluation, when some forms hold at least a tenth of the poems (`dominant_forms`), a few poems are sampled with
no form constraint and `form_adherence` is the share of them that are in one of those forms: what the loss
cannot say (a model can reach a fair loss and still never end a jueju after its fourth verse)."""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from contextlib import closing

from poet_tui.forms import FORMS, MAX_ENGLISH_LINE, Form, FormState, RegulatedForm, form_shares
from poet_tui.model import RNNLanguageModel
from poet_tui.sample import SamplingSettings, stream_completion
from poet_tui.sampling_settings import MAX_LENGTH
from poet_tui.tokenizers import Tokenizer

ADHERENCE_SAMPLES = 8
"""Poems sampled at each evaluation. The figure moves in eighths, enough to follow a model learning a form over
a run, and eight short poems cost a small part of a validation pass (each stops once it has left every form)."""

ADHERENCE_TEMPERATURE = 0.8
"""The temperature of the `sample` event and of `poet generate`: the model as a user will sample it."""

CORPUS_FORM_LIMIT = 20_000
"""Training poems whose forms are counted. `form_shares` tests a poem's length or line count before walking it,
so a poem costs microseconds, but a corpus of a million poems would still hold up the start: a bigger corpus is
sampled evenly (every n-th poem, so an ordering by author or era does not skew it) down to about this many."""


def corpus_forms(texts: Sequence[str]) -> dict[str, float]:
    """The share of the poems in each known form, largest first (rounded: it goes into events and checkpoints)."""
    stride = max(1, math.ceil(len(texts) / CORPUS_FORM_LIMIT))
    return {name: round(share, 4) for name, share in form_shares(texts[::stride]).items()}


def longest_text(form: Form) -> int:
    """Characters in the longest poem the form allows: one verse a line, or every line as long as it may be."""
    if isinstance(form, RegulatedForm):
        return form.verses * (form.characters + 1) + form.verses - 1
    return form.lines * (MAX_ENGLISH_LINE + 1)


def token_cap(forms: Sequence[Form]) -> int:
    """Twice the longest poem any of the forms allows: room for blank lines before a poem, and never a cut
    through a poem that could still turn out in form (a char token is a character; other tokens are longer)."""
    return min(MAX_LENGTH, 2 * max(longest_text(form) for form in forms))


def sample_seeds(run_seed: int, step: int) -> list[int]:
    """One seed per sampled poem, from the run's seed and the step: the same run measures the same poems."""
    generator = random.Random(f"form-adherence:{run_seed}:{step}")
    return [generator.randrange(2**63) for _ in range(ADHERENCE_SAMPLES)]


def in_any_form(pieces: Iterable[str], forms: Sequence[Form]) -> bool:
    """`any(satisfies(text.strip(), form))` for the text the pieces make, read only as far as needed: each form's
    state takes the stripped text character by character, and reading stops once every state has refused one."""
    states = [FormState(form) for form in forms]
    held = ""  # whitespace that is inside the stripped text only if something other than whitespace follows
    started = False
    for piece in pieces:
        for character in piece:
            if character.isspace():
                held += character if started else ""
                continue
            started = True
            text, held = held + character, ""
            states = [state for state in states if all(state.accept(each) for each in text)]
            if not states:
                return False
    return any(state.complete() for state in states)


def form_adherence(
    model: RNNLanguageModel, tokenizer: Tokenizer, forms: Sequence[str], run_seed: int, step: int
) -> float | None:
    """The share of `ADHERENCE_SAMPLES` unconstrained poems in one of `forms` (names in FORMS); None when there is
    no form to measure or sampling failed: a quality figure must never stop a run (garbage just scores 0)."""
    chosen = [FORMS[name] for name in forms if name in FORMS]
    if not chosen:
        return None
    cap = token_cap(chosen)
    in_form = 0
    try:
        for seed in sample_seeds(run_seed, step):
            settings = SamplingSettings(
                temperature=ADHERENCE_TEMPERATURE, max_tokens=cap, seed=seed, stop_at_end_of_poem=True
            )
            with closing(stream_completion(model, tokenizer, "", settings)) as pieces:
                in_form += in_any_form(pieces, chosen)
    except Exception:  # whatever went wrong in sampling, the run goes on without the figure
        return None
    return in_form / ADHERENCE_SAMPLES
