"""word_language_model's reference loop: its upstream defaults, untied decoder, and readings at time horizons."""

from __future__ import annotations

import pytest
import torch

from poet_tui.bench import reference
from poet_tui.bench.reference import MEDIUM_TIED, UPSTREAM_DEFAULTS, ReferenceModel, ReferenceSettings, train_reference
from poet_tui.bench.texts import BenchText, word_language_model_data

TEXT = "".join(f"the rose is red and the {word} is blue\n" for word in ("sky", "sea", "night", "ink") * 40)


class StepClock:
    """A clock the test moves by hand: one second per training batch, 1000 s per evaluation (which must not count)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_upstream_defaults_are_main_py_without_flags() -> None:
    assert (UPSTREAM_DEFAULTS.size, UPSTREAM_DEFAULTS.layers, UPSTREAM_DEFAULTS.dropout) == (200, 2, 0.2)
    assert not UPSTREAM_DEFAULTS.tied and UPSTREAM_DEFAULTS.epochs == 40
    assert (UPSTREAM_DEFAULTS.learning_rate, UPSTREAM_DEFAULTS.clip, UPSTREAM_DEFAULTS.bptt) == (20.0, 0.25, 35)
    assert (MEDIUM_TIED.size, MEDIUM_TIED.dropout, MEDIUM_TIED.tied) == (650, 0.5, True)


def test_an_untied_decoder_has_its_own_weights() -> None:
    tied = ReferenceModel(50, ReferenceSettings(size=8, tied=True))
    untied = ReferenceModel(50, ReferenceSettings(size=8, tied=False))
    assert tied.decoder.weight is tied.encoder.weight
    assert untied.decoder.weight is not untied.encoder.weight
    assert float(untied.decoder.weight.detach().abs().max()) <= 0.1  # upstream's init_weights: uniform(-0.1, 0.1)


def test_horizons_are_read_on_a_training_clock_that_leaves_evaluation_out(monkeypatch) -> None:
    data = word_language_model_data(BenchText("roses", TEXT))
    clock = StepClock()
    real_evaluate = reference.evaluate
    evaluations: list[float] = []

    def slow_evaluate(model, validation, bptt):  # each evaluation "takes" 1000 s of wall clock
        evaluations.append(clock.now)
        clock.now += 1000.0
        return real_evaluate(model, validation, bptt)

    real_forward = ReferenceModel.forward

    def one_second_forward(self, tokens, hidden):  # each training batch "takes" one second
        if self.training:
            clock.now += 1.0
        return real_forward(self, tokens, hidden)

    monkeypatch.setattr(reference, "evaluate", slow_evaluate)
    monkeypatch.setattr(ReferenceModel, "forward", one_second_forward)
    settings = ReferenceSettings(size=8, tied=False, dropout=0.0, batch_size=2, epochs=40)
    result = train_reference(data, torch.device("cpu"), settings, horizons_s=(3.0, 5.0), clock=clock)
    assert [round(item.seconds) for item in result.horizons] == [3, 5]  # not 1003: evaluations do not count
    assert all(item.validation_nats_per_char > 0 for item in result.horizons)
    assert result.horizons[0].epochs < result.horizons[1].epochs
    assert len(evaluations) == 3  # one per horizon, and the epoch-end evaluation of the last (cut) epoch


def test_horizons_past_the_last_epoch_read_the_end() -> None:
    data = word_language_model_data(BenchText("roses", TEXT))
    settings = ReferenceSettings(size=8, tied=True, dropout=0.0, batch_size=2, epochs=1)
    result = train_reference(data, torch.device("cpu"), settings, horizons_s=(10_000.0,))
    assert len(result.horizons) == 1 and result.horizons[0].epochs == 1.0
    assert result.horizons[0].validation_nats_per_char == result.validation_nats_per_char


def test_ours_is_scored_by_word_language_models_own_evaluate(tmp_path) -> None:
    """horizons-wlm scores our model with ColumnEvaluationTrainer: the same number reference.evaluate gives it."""
    from torch import nn
    from torch.nn import functional

    from poet_tui.bench.harness import ColumnEvaluationTrainer
    from poet_tui.config import ModelConfig, RunConfig, TokenizerConfig, TrainingConfig
    from poet_tui.events import EventLog
    from poet_tui.model import RecurrentState
    from poet_tui.runs import RunStore

    data = word_language_model_data(BenchText("roses", TEXT))
    config = RunConfig(
        corpus="roses",
        tokenizer=TokenizerConfig(kind="word"),
        model=ModelConfig(vocab_size=data.tokenizer.vocab_size, embedding_size=8, hidden_size=12, num_layers=2),
        training=TrainingConfig(batch_size=2, bptt=8, max_steps=1, device="cpu"),
    )
    run, lock = RunStore(tmp_path / "runs").create(config, "roses")
    lock.release()
    trainer = ColumnEvaluationTrainer(config, run, data, EventLog(None), lambda: False, 0.0)
    ours, _ = trainer.evaluate()

    class AsReference(nn.Module):  # our model behind ReferenceModel's interface: seq-first, log-probabilities
        def __init__(self) -> None:
            super().__init__()
            self.inner, self.rnn = trainer.model, trainer.model.rnn

        def forward(self, tokens, hidden):
            logits, state = self.inner(tokens.t(), RecurrentState.from_torch(hidden))
            flat = functional.log_softmax(logits.transpose(0, 1).reshape(-1, logits.shape[-1]), dim=1)
            return flat, state.to_torch()

    validation = reference.batchify(data.validation_stream, reference.EVALUATION_BATCH, torch.device("cpu"))
    theirs = reference.evaluate(AsReference(), validation, 35)  # type: ignore[arg-type]
    assert ours == pytest.approx(theirs, rel=1e-5)
