"""The lens's scoring: surprisal is the model's own loss (the engine's evaluate), spans cover the text, the
alternatives are the top-k, and a completion's recorded ids score and branch exactly."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch

from poet_tui import trainer as trainer_module
from poet_tui.combined_corpus import run_corpus
from poet_tui.errors import PoetError
from poet_tui.events import EventLog
from poet_tui.generation import load_for_generation
from poet_tui.lens.branching import branch_ids, stream_branch
from poet_tui.lens.lens_text import lens_text_for
from poet_tui.lens.scoring import WINDOW, score_text, score_token_ids
from poet_tui.lens.tokens import SHOWN_END_OF_POEM, tokenize_text
from poet_tui.runs import Run
from poet_tui.sample import POEM_SEPARATOR, CompletionStats, SamplingSettings, prompt_token_ids, stream_completion
from poet_tui.train import prepare_data
from poet_tui.trainer import Trainer


def evaluate_with_one_thread(run: Run, monkeypatch: pytest.MonkeyPatch) -> tuple[Trainer, float, float]:
    """The engine's own evaluate on the run's validation stream, read as one thread from the start state (its
    usual 64 parallel threads each start from a zero state mid-text, which a single reading does not)."""
    config = run.config()
    loaded = load_for_generation(run.id, device="cpu")
    data = prepare_data(config, run_corpus(config, run.id, "."), loaded.tokenizer)
    monkeypatch.setattr(trainer_module, "EVALUATION_THREADS", 1)
    trainer = Trainer(config, run, data, EventLog(None, None), lambda: False, 0.0)
    trainer.model.load_state_dict(loaded.model.state_dict())
    loss, bits_per_char = trainer.evaluate()
    return trainer, loss, bits_per_char


def test_mean_surprisal_of_the_validation_stream_is_the_evaluation_loss(trained_run: Run, monkeypatch) -> None:
    trainer, loss, bits_per_char = evaluate_with_one_thread(trained_run, monkeypatch)
    loaded = load_for_generation(trained_run.id, device="cpu")
    stream = trainer.data.validation_stream.tolist()
    scores = score_token_ids(loaded.model, loaded.tokenizer, stream[:1], stream[1:], top_k=3)
    mean_bits = sum(score.surprisal_bits for score in scores) / len(scores)
    assert len(scores) == len(stream) - 1 > WINDOW  # longer than a scoring window: the state is carried across
    assert mean_bits == pytest.approx(loss / math.log(2), abs=1e-4)

    # The same through the text a user sees: the validation poems, two blank lines between them.
    text_score = score_text(loaded.model, loaded.tokenizer, lens_text_for(loaded), end_of_poem=True)
    assert [token.token_id for token in text_score.tokens] == stream[1:]
    assert text_score.mean_surprisal_bits == pytest.approx(loss / math.log(2), abs=1e-4)
    assert text_score.bits_per_char == pytest.approx(bits_per_char, abs=1e-4)


def test_spans_cover_the_text_and_alternatives_are_the_top_k(char_model: tuple[Any, Any]) -> None:
    model, tokenizer = char_model
    text = "the moon\nand the sea\n\n\nmy love"
    score = score_text(model, tokenizer, text, top_k=4)
    eod = tokenizer.end_of_document_id
    # The two blank lines between poems are read as one <eod>, as training read them.
    assert [token.token_id for token in score.tokens].count(eod) == 1
    joined = "".join(text[token.start : token.end] for token in score.tokens)
    assert joined == text and all(token.text == text[token.start : token.end] for token in score.tokens)
    assert score.characters == len(text) - 2  # the separator's three characters count as one, as val_bpc counts
    assert score.total_bits == pytest.approx(sum(token.surprisal_bits for token in score.tokens))
    with torch.no_grad():
        ids = [eod, *tokenize_text(tokenizer, text).ids]
        logits, _ = model(torch.tensor([ids]))
        probabilities = torch.softmax(logits[0, :-1], dim=-1)
    for index, token in enumerate(score.tokens):
        expected = probabilities[index]
        assert token.probability == pytest.approx(float(expected[token.token_id]), rel=1e-5)
        assert token.surprisal_bits == pytest.approx(-math.log2(token.probability), rel=1e-6)
        top = expected.topk(4)
        assert [alternative.token_id for alternative in token.alternatives] == top.indices.tolist()
        assert [alternative.probability for alternative in token.alternatives] == pytest.approx(top.values.tolist())


def test_context_is_read_but_not_scored(char_model: tuple[Any, Any]) -> None:
    model, tokenizer = char_model
    alone = score_text(model, tokenizer, "the sea")
    after = score_text(model, tokenizer, "the sea", context="my love ")
    whole = score_text(model, tokenizer, "my love the sea")
    assert len(after.tokens) == len(alone.tokens) == 7
    assert [token.start for token in after.tokens] == list(range(7))
    assert after.total_bits == pytest.approx(sum(token.surprisal_bits for token in whole.tokens[8:]), rel=1e-5)
    assert after.total_bits != pytest.approx(alone.total_bits)


def test_text_the_model_cannot_spell_is_refused_in_one_sentence(char_model: tuple[Any, Any]) -> None:
    model, tokenizer = char_model
    with pytest.raises(PoetError, match=r"never saw: 'Z', 'Q'"):
        score_text(model, tokenizer, "the ZQ sea")
    with pytest.raises(PoetError, match="between 0 and"):
        score_token_ids(model, tokenizer, [tokenizer.end_of_document_id], [tokenizer.vocab_size])


def test_a_completion_records_its_ids_and_scores_them_in_its_own_spans(char_model: tuple[Any, Any]) -> None:
    model, tokenizer = char_model
    stats = CompletionStats()
    settings = SamplingSettings(temperature=1.0, max_tokens=60, seed=5, stop_at_end_of_poem=False)
    pieces = list(stream_completion(model, tokenizer, "the moon", settings, stats))
    assert len(stats.token_ids) == stats.tokens == 60
    eod = tokenizer.end_of_document_id
    expected = [POEM_SEPARATOR if token == eod else tokenizer.decode([token]) for token in stats.token_ids]
    assert pieces == expected
    scores = score_token_ids(model, tokenizer, prompt_token_ids(tokenizer, "the moon"), stats.token_ids)
    shown = "".join(pieces)
    assert [shown[score.start : score.end] for score in scores] == pieces
    assert SHOWN_END_OF_POEM == POEM_SEPARATOR


def test_an_ending_end_of_poem_is_recorded_and_shows_nothing(char_model: tuple[Any, Any]) -> None:
    model, tokenizer = char_model
    eod = tokenizer.end_of_document_id
    with torch.no_grad():
        model.decoder.bias[eod] = 50.0  # the model now ends every poem at once
    stats = CompletionStats()
    settings = SamplingSettings(temperature=1.0, max_tokens=10, seed=1, stop_at_end_of_poem=True)
    assert list(stream_completion(model, tokenizer, "the", settings, stats)) == []
    assert stats.token_ids == [eod] and stats.stopped_at_end_of_poem
    (score,) = score_token_ids(model, tokenizer, prompt_token_ids(tokenizer, "the"), stats.token_ids)
    assert (score.start, score.end, score.text) == (0, 0, "") and score.probability > 0.99


def test_prompt_ids_continue_exactly_as_the_prompt_would(char_model: tuple[Any, Any]) -> None:
    model, tokenizer = char_model
    settings = SamplingSettings(temperature=1.0, max_tokens=30, seed=9, stop_at_end_of_poem=False)
    from_text = list(stream_completion(model, tokenizer, "my love", settings))
    ids = prompt_token_ids(tokenizer, "my love")
    assert list(stream_completion(model, tokenizer, "ignored", settings, prompt_ids=ids)) == from_text
    with pytest.raises(PoetError, match="token ids below"):
        list(stream_completion(model, tokenizer, "", settings, prompt_ids=[]))


def test_branch_ids_replace_the_chosen_token_and_the_branch_continues_from_them(char_model: tuple[Any, Any]) -> None:
    model, tokenizer = char_model
    assert branch_ids([0, 5], [7, 8, 9], 1, 4) == [0, 5, 7, 4]
    assert branch_ids([0], [7, 8, 9], 0, 3) == [0, 3]
    for position in (-1, 3):
        with pytest.raises(PoetError, match="is not a token of this completion"):
            branch_ids([0], [7, 8, 9], position, 3)
    prefix = [tokenizer.end_of_document_id, *tokenizer.encode("the sea")]
    settings = SamplingSettings(temperature=1.0, max_tokens=20, seed=2, stop_at_end_of_poem=False)
    stats = CompletionStats()
    branch = "".join(stream_branch(model, tokenizer, prefix, settings, stats))
    assert branch == "".join(stream_completion(model, tokenizer, "the sea", settings))
    assert len(stats.token_ids) == 20
