"""--hold-unseen-tokens: tokens the training text never contains keep their starting weights; others learn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from poet_tui.bench.harness import train_with_engine
from poet_tui.config import ModelConfig, RunConfig, TokenizerConfig, TrainingConfig
from poet_tui.corpus import Corpus, Document
from poet_tui.data import unseen_token_ids
from poet_tui.tokenizers import CharTokenizer
from poet_tui.train import PreparedData
from poet_tui.trainer import Trainer

TRAINING_TEXT = "the cat sat on the mat\nthe dog sat on the log\n" * 20
VALIDATION_TEXT = "the quiz on the jazz\n"  # q, u, i, z, j appear only here


def prepared() -> PreparedData:
    tokenizer = CharTokenizer.build([Document(TRAINING_TEXT + VALIDATION_TEXT)])
    return PreparedData(
        corpus=Corpus("held", [Document(TRAINING_TEXT + VALIDATION_TEXT)]),
        tokenizer=tokenizer,
        train_stream=torch.tensor(tokenizer.encode(TRAINING_TEXT), dtype=torch.int32),
        validation_stream=torch.tensor(tokenizer.encode(VALIDATION_TEXT), dtype=torch.int32),
        validation_characters=len(VALIDATION_TEXT),
    )


class StartRecordingTrainer(Trainer):
    """Keeps a copy of the weights as they were before the first step."""

    def __init__(self, *arguments: Any, **keywords: Any) -> None:
        super().__init__(*arguments, **keywords)
        self.start = {name: value.detach().clone() for name, value in self.model.named_parameters()}


def trained(tmp_path: Path, hold: bool, tied: bool) -> tuple[StartRecordingTrainer, torch.Tensor, torch.Tensor]:
    data = prepared()
    config = RunConfig(
        corpus="held",
        tokenizer=TokenizerConfig(kind="char"),
        model=ModelConfig(vocab_size=0, embedding_size=8, hidden_size=12, num_layers=1, dropout=0.0, tied=tied),
        training=TrainingConfig(
            batch_size=4, bptt=8, learning_rate=1e-2, weight_decay=0.0, warmup_steps=0, max_steps=6,
            eval_every_steps=10**9, log_every_steps=2, hold_unseen_tokens=hold, device="cpu", threads=1,
        ),
    )  # fmt: skip
    record = train_with_engine(config, data, tmp_path / f"{hold}-{tied}", 0.0, StartRecordingTrainer)
    trainer = record.trainer
    assert isinstance(trainer, StartRecordingTrainer) and trainer.progress.step == 6
    unseen = unseen_token_ids(data.train_stream, data.tokenizer.vocab_size)
    seen = torch.tensor(sorted(set(data.train_stream.tolist())))
    return trainer, unseen, seen


def test_unseen_ids_are_exactly_the_tokens_the_training_stream_lacks() -> None:
    data = prepared()
    unseen = {data.tokenizer.decode([token]) for token in unseen_token_ids(data.train_stream, 64).tolist() if token
              < data.tokenizer.vocab_size}  # fmt: skip
    assert {"q", "u", "i", "z", "j"} <= unseen
    assert not unseen & set(TRAINING_TEXT)
    assert unseen_token_ids(torch.tensor([0, 1, 2]), 3).numel() == 0


@pytest.mark.parametrize("tied", [True, False])
@pytest.mark.parametrize("hold", [True, False])
def test_held_tokens_keep_their_starting_weights_and_the_rest_learn(tmp_path: Path, hold: bool, tied: bool) -> None:
    trainer, unseen, seen = trained(tmp_path, hold, tied)
    weights = {name: value.detach() for name, value in trainer.model.named_parameters()}
    output_weight = "embedding.weight" if tied else "decoder.weight"  # tied: one matrix, named once
    for name in (output_weight, "decoder.bias"):
        start, now = trainer.start[name], weights[name]
        assert not torch.equal(start[seen], now[seen]), f"{name}: the seen tokens did not learn"
        # unheld, the softmax drives every unseen token's output down; held, not one weight of theirs moves
        assert torch.equal(start[unseen], now[unseen]) == hold, name
    assert torch.equal(trainer.start["embedding.weight"][unseen], weights["embedding.weight"][unseen]) == (
        hold or not tied
    )
