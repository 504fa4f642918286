"""How surprised the model is by each token of a text: its probability, its surprisal in bits, and the top-k
alternatives it weighed there.

Teacher forced, as the engine evaluates (trainer.py's `evaluate`): the model reads `<eod>` (a poem starts),
then the context, then the text, with the state carried from window to window; every token of the text is
predicted from everything before it, at temperature 1. So the mean surprisal of a validation stream, in bits per
token, is the evaluation loss over ln 2.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as functional

from poet_tui.errors import PoetError
from poet_tui.lens.threads import one_thread_on_cpu
from poet_tui.lens.tokens import completion_spans, require_spellable, token_labels, tokenize_text
from poet_tui.model import RNNLanguageModel
from poet_tui.tokenizers import Tokenizer

WINDOW = 512  # tokens per forward pass: the logits of one window are all that is held at a time
MAX_TOP_K = 100


@dataclass(frozen=True)
class Alternative:
    token_id: int
    text: str
    probability: float


@dataclass(frozen=True)
class TokenScore:
    """One scored token; `start`/`end` are character offsets of its text in the scored text."""

    token_id: int
    text: str
    start: int
    end: int
    probability: float
    surprisal_bits: float
    alternatives: tuple[Alternative, ...]  # most probable first; may include the token itself


@dataclass
class TextScore:
    text: str
    tokens: list[TokenScore]
    total_bits: float
    characters: int  # characters the scored tokens stand for; an <eod> counts one, as val_bpc counts it

    @property
    def bits_per_char(self) -> float:
        return self.total_bits / self.characters if self.characters else 0.0

    @property
    def mean_surprisal_bits(self) -> float:
        """Per token: the evaluation loss in bits, on this text."""
        return self.total_bits / len(self.tokens) if self.tokens else 0.0


@dataclass
class RawScores:
    """Per predicted token: log-probability (nats) and the top-k ids and probabilities, as plain lists."""

    log_probabilities: list[float]
    top_ids: list[list[int]]
    top_probabilities: list[list[float]]


def require_scorable(model: RNNLanguageModel, context_ids: Sequence[int], token_ids: Sequence[int]) -> None:
    if not context_ids:
        raise PoetError("scoring needs at least one token of context (<eod>, the start of a poem).")
    vocab = model.config.vocab_size
    if any(not 0 <= token_id < vocab for token_id in (*context_ids, *token_ids)):
        raise PoetError(f"every token id to score must be between 0 and {vocab - 1}, this model's vocabulary.")


@torch.no_grad()
def predict(model: RNNLanguageModel, context_ids: Sequence[int], token_ids: Sequence[int], top_k: int) -> RawScores:
    """One teacher-forced pass over context + tokens in windows, state carried, keeping only what is asked."""
    require_scorable(model, context_ids, token_ids)
    vocab = model.config.vocab_size
    device = next(model.parameters()).device
    sequence = torch.tensor([*context_ids, *token_ids], dtype=torch.long, device=device)
    inputs, targets = sequence[:-1], sequence[1:]
    first_scored = len(context_ids) - 1  # inputs[first_scored] predicts token_ids[0]
    keep = max(0, min(top_k, vocab, MAX_TOP_K))
    scores = RawScores([], [], [])
    was_training = model.training
    model.eval()
    try:
        state = None
        for start in range(0, inputs.numel(), WINDOW):
            window = inputs[start : start + WINDOW].unsqueeze(0)
            with one_thread_on_cpu(device):
                logits, state = model(window, state)
            begin = max(0, first_scored - start)
            if begin >= window.shape[1]:
                continue
            log_probabilities = functional.log_softmax(logits[0, begin:].float(), dim=-1)
            wanted = targets[start + begin : start + window.shape[1]]
            scores.log_probabilities.extend(log_probabilities.gather(1, wanted[:, None])[:, 0].tolist())
            if keep:
                top = log_probabilities.topk(keep, dim=-1)
                scores.top_ids.extend(top.indices.tolist())
                scores.top_probabilities.extend(top.values.exp().tolist())
            else:
                scores.top_ids.extend([] for _ in range(window.shape[1] - begin))
                scores.top_probabilities.extend([] for _ in range(window.shape[1] - begin))
    finally:
        if was_training:
            model.train()
    return scores


def token_scores(
    tokenizer: Tokenizer, token_ids: Sequence[int], spans: Sequence[tuple[int, int]], text: str, raw: RawScores
) -> list[TokenScore]:
    labels = token_labels(tokenizer)
    scored = []
    for index, token_id in enumerate(token_ids):
        log_probability = raw.log_probabilities[index]
        start, end = spans[index]
        alternatives = tuple(
            Alternative(alternative, labels[alternative], probability)
            for alternative, probability in zip(raw.top_ids[index], raw.top_probabilities[index], strict=True)
        )
        scored.append(
            TokenScore(
                token_id=token_id,
                text=text[start:end] if end > start else "",
                start=start,
                end=end,
                probability=math.exp(log_probability),
                surprisal_bits=-log_probability / math.log(2),
                alternatives=alternatives,
            )
        )
    return scored


def score_token_ids(
    model: RNNLanguageModel, tokenizer: Tokenizer, context_ids: list[int], token_ids: list[int], top_k: int = 5
) -> list[TokenScore]:
    """Score exact ids after exact context ids (a streamed completion after its prompt's ids, `<eod>` first).

    Spans are offsets in the text the completion showed (see tokens.completion_spans)."""
    require_scorable(model, context_ids, token_ids)
    text, spans = completion_spans(tokenizer, token_ids)
    return token_scores(tokenizer, token_ids, spans, text, predict(model, context_ids, token_ids, top_k))


def score_text(
    model: RNNLanguageModel,
    tokenizer: Tokenizer,
    text: str,
    top_k: int = 5,
    context: str = "",
    end_of_poem: bool = False,
) -> TextScore:
    """Score `text` read after `<eod>` and `context` (read, not scored: a prompt). Poems in the text separated by
    two or more blank lines are joined by `<eod>`, as training read them; `end_of_poem` also scores the `<eod>`
    that ends the last poem (the evaluation predicts it too)."""
    require_spellable(tokenizer, context)
    tokenized = tokenize_text(tokenizer, text)
    ids, spans = list(tokenized.ids), list(tokenized.spans)
    if end_of_poem:
        ids.append(tokenizer.end_of_document_id)
        spans.append((len(text), len(text)))
    context_ids = [tokenizer.end_of_document_id, *(tokenizer.encode(context) if context else [])]
    tokens = token_scores(tokenizer, ids, spans, text, predict(model, context_ids, ids, top_k))
    return scored_text(text, tokens, tokenizer.end_of_document_id)


def scored_text(text: str, tokens: list[TokenScore], end_of_document_id: int) -> TextScore:
    """The scores of `text`'s tokens as one TextScore, its characters counted as val_bpc counts them (an <eod>
    one, whatever it shows): score_text, a completion's scores in the CLI and in the app all sum them so."""
    characters = sum(1 if token.token_id == end_of_document_id else token.end - token.start for token in tokens)
    return TextScore(text, tokens, sum(token.surprisal_bits for token in tokens), characters)
