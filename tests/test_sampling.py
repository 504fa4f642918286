"""Streaming generation: seeded determinism, greedy decoding, mid-stream setting changes, end of poem."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from poet_tui.errors import PoetError
from poet_tui.generation import load_for_generation
from poet_tui.sample import (
    POEM_SEPARATOR,
    CompletionStats,
    SamplingSettings,
    choose_next_token,
    complete,
    prompt_token_ids,
    stream_completion,
)
from poet_tui.train import train
from tests.conftest import tiny_config


@pytest.fixture
def loaded(tiny_corpus: Path):
    run, _ = train(tiny_config(tiny_corpus, max_steps=30, eval_every_steps=30))
    return load_for_generation(run.id, device="cpu")


def test_same_seed_same_text_other_seed_other_text(loaded) -> None:
    def sample(seed: int) -> str:
        settings = SamplingSettings(temperature=1.0, max_tokens=80, seed=seed, stop_at_end_of_poem=False)
        return complete(loaded.model, loaded.tokenizer, "The moon", settings)

    assert sample(1) == sample(1)
    assert sample(1) != sample(2)
    assert len(sample(1)) > 40


def test_greedy_is_deterministic_without_a_seed(loaded) -> None:
    settings = SamplingSettings(temperature=0.0, max_tokens=40, stop_at_end_of_poem=False)
    assert complete(loaded.model, loaded.tokenizer, "The", settings) == complete(
        loaded.model, loaded.tokenizer, "The", settings
    )


def test_streaming_yields_pieces_one_token_at_a_time(loaded) -> None:
    stats = CompletionStats()
    settings = SamplingSettings(max_tokens=25, seed=0, stop_at_end_of_poem=False)
    pieces = list(stream_completion(loaded.model, loaded.tokenizer, "my love", settings, stats))
    assert stats.tokens == 25 and len(pieces) == 25  # char tokenizer: one character per token
    assert all(len(piece) == 1 or piece == "\n\n" for piece in pieces)
    assert stats.tokens_per_second > 0 and stats.first_token_seconds is not None


def test_length_and_temperature_changes_apply_mid_stream(loaded) -> None:
    """Settings changed while a completion streams steer the tokens after the change: temperature 0 (greedy) from
    the sixth token on must pick the model's most likely token at every step, whichever text the seed drew first;
    the new length ends the stream. The logits are recomputed here in one pass over the whole text."""
    model, tokenizer = loaded.model, loaded.tokenizer
    assert not model.training  # dropout off: one pass gives the logits the stream saw
    settings = SamplingSettings(temperature=1.5, max_tokens=100, seed=0, stop_at_end_of_poem=False)
    stream = stream_completion(model, tokenizer, "The", settings)
    first = [next(stream) for _ in range(5)]
    settings.max_tokens = 10
    settings.temperature = 0.0
    rest = list(stream)
    assert len(first) == 5 and len(rest) == 5  # char tokenizer: one piece per token
    pieces = first + rest
    ids = [tokenizer.end_of_document_id if piece == POEM_SEPARATOR else tokenizer.encode(piece)[0] for piece in pieces]
    prompt_ids = prompt_token_ids(tokenizer, "The")
    with torch.no_grad():
        logits, _ = model(torch.tensor([prompt_ids + ids[:-1]]))
    predicting = logits[0, len(prompt_ids) - 1 :]  # row j: the logits that chose ids[j]
    for j in range(len(first), len(ids)):
        # Greedy: the top logit, up to the rounding that differs between the single-step path and this pass.
        assert predicting[j, ids[j]] >= predicting[j].max() - 1e-4, (j, pieces)


def test_prompt_state_is_carried_not_recomputed(loaded) -> None:
    """The model is called once for the prompt, then once per token with a (1, 1) input."""
    calls: list[tuple[int, ...]] = []
    hook = loaded.model.register_forward_pre_hook(lambda module, args: calls.append(tuple(args[0].shape)))
    try:
        complete(loaded.model, loaded.tokenizer, "The moon", SamplingSettings(max_tokens=6, stop_at_end_of_poem=False))
    finally:
        hook.remove()
    assert calls[0] == (1, len("The moon") + 1)
    assert set(calls[1:]) == {(1, 1)} and len(calls) == 6


def test_stop_at_end_of_poem() -> None:
    from poet_tui.config import ModelConfig
    from poet_tui.corpus import Document
    from poet_tui.model import RNNLanguageModel
    from poet_tui.tokenizers import CharTokenizer

    tokenizer = CharTokenizer.build([Document("ab")])
    model = RNNLanguageModel(
        ModelConfig(vocab_size=tokenizer.vocab_size, embedding_size=4, hidden_size=4, num_layers=1)
    )
    with torch.no_grad():
        model.decoder.weight.zero_()
        model.decoder.bias.copy_(torch.tensor([10.0, 0.0, 0.0]))  # always predicts <eod>
    stats = CompletionStats()
    text = "".join(stream_completion(model, tokenizer, "a", SamplingSettings(temperature=0), stats))
    assert text == "" and stats.stopped_at_end_of_poem
    settings = SamplingSettings(temperature=0, max_tokens=2, stop_at_end_of_poem=False)
    assert complete(model, tokenizer, "a", settings) == "\n\n\n\n"


def test_top_k_and_top_p_restrict_the_choice() -> None:
    logits = torch.tensor([0.0, 1.0, 5.0, 4.9])
    generator = torch.Generator().manual_seed(0)
    top_two = {choose_next_token(logits, SamplingSettings(temperature=5.0, top_k=2), generator) for _ in range(200)}
    assert top_two == {2, 3}
    nucleus = {choose_next_token(logits, SamplingSettings(temperature=1.0, top_p=0.5), generator) for _ in range(200)}
    assert nucleus == {2}


def test_unknown_prompt_characters_are_refused(loaded) -> None:
    with pytest.raises(PoetError, match="never saw: '☃'"):
        complete(loaded.model, loaded.tokenizer, "The ☃", SamplingSettings())


@pytest.mark.parametrize(("field", "value"), [("temperature", -1.0), ("top_k", -1), ("top_p", 0.0), ("max_tokens", 0)])
def test_bad_settings_are_refused(loaded, field: str, value: float) -> None:
    settings = SamplingSettings(**{field: value})
    with pytest.raises(PoetError):
        complete(loaded.model, loaded.tokenizer, "The", settings)
