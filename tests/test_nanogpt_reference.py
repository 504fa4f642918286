"""The nanoGPT reference: its model, schedule and loop behave as karpathy/nanoGPT's do (tiny sizes, a fake clock)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch

from poet_tui.bench.nanogpt_reference import (
    GPTModel,
    HorizonLoss,
    NanoGPTSettings,
    nanogpt_learning_rate,
    train_nanogpt,
)
from poet_tui.bench.texts import windowed_loss
from poet_tui.errors import PoetError

CPU = torch.device("cpu")
TINY = NanoGPTSettings(
    n_layer=1, n_head=2, n_embd=16, block_size=8, batch_size=8, warmup_iters=3, lr_decay_iters=30, max_iterations=30
)
TEXT = "the cat sat on the mat. " * 60
ALPHABET = sorted(set(TEXT))
IDS = torch.tensor([ALPHABET.index(character) for character in TEXT], dtype=torch.int32)
STARTS = torch.arange(0, IDS.numel() - TINY.block_size - 1, 7)


class StepClock:
    """Each read moves time on by one second; `pass_time` stands for slow work between reads."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now

    def pass_time(self, seconds: float) -> None:
        self.now += seconds


def windowed(model: GPTModel) -> float:
    return windowed_loss(model, IDS, STARTS, TINY.block_size, 16)


def test_thirty_iterations_beat_a_uniform_guess_on_a_repetitive_text() -> None:
    settings = replace(TINY, learning_rate=1e-2, min_lr=1e-3)
    untrained = train_nanogpt(
        IDS, IDS, len(ALPHABET), replace(settings, max_iterations=0), [1.0], windowed, CPU, StepClock()
    )
    trained = train_nanogpt(IDS, IDS, len(ALPHABET), settings, [1e9], windowed, CPU, StepClock())
    assert untrained[0].loss == pytest.approx(math.log(len(ALPHABET)), abs=0.1)  # init normal(0.02): near uniform
    assert trained[0].iterations == 30
    assert trained[0].loss < math.log(len(ALPHABET)) - 0.5


def test_a_later_token_never_changes_earlier_logits() -> None:
    torch.manual_seed(0)
    model = GPTModel(len(ALPHABET), TINY).eval()
    tokens = torch.randint(len(ALPHABET), (2, TINY.block_size))
    changed = tokens.clone()
    changed[:, 5] = (changed[:, 5] + 1) % len(ALPHABET)
    with torch.no_grad():
        before, after = model(tokens), model(changed)
    assert torch.equal(before[:, :5], after[:, :5])
    assert not torch.allclose(before[:, 5:], after[:, 5:])


def test_the_output_layer_is_the_token_embedding() -> None:
    model = GPTModel(len(ALPHABET), TINY)
    assert model.lm_head.weight is model.transformer["wte"].weight
    assert len([name for name, _ in model.named_parameters() if name.endswith("wte.weight")]) == 1


def test_the_recipe_has_the_parameter_count_nanogpt_prints() -> None:
    """shakespeare_char: 65 characters; the recipe: 4 layers, width 128, no biases; wpe (64 x 128) not counted.

    Per block: ln_1 128 + c_attn 128 x 384 + c_proj 128 x 128 + ln_2 128 + c_fc 128 x 512 + c_proj 512 x 128
    = 196,864; four blocks 787,456; ln_f 128; wte (shared with lm_head) 65 x 128 = 8,320: 795,904 ("0.80M")."""
    model = GPTModel(65, NanoGPTSettings())
    assert model.non_embedding_parameter_count() == 795_904
    assert sum(parameter.numel() for parameter in model.parameters()) == 795_904 + 64 * 128


def test_the_learning_rate_follows_get_lr() -> None:
    recipe = NanoGPTSettings()
    assert nanogpt_learning_rate(0, recipe) == pytest.approx(1e-3 * 1 / 101)  # (it + 1) / (warmup_iters + 1)
    assert nanogpt_learning_rate(99, recipe) == pytest.approx(1e-3 * 100 / 101)
    assert nanogpt_learning_rate(100, recipe) == pytest.approx(1e-3)  # warmup ends: the cosine starts at the top
    assert nanogpt_learning_rate(1050, recipe) == pytest.approx(1e-4 + 0.5 * (1e-3 - 1e-4))  # halfway down
    assert nanogpt_learning_rate(2000, recipe) == pytest.approx(1e-4)  # lr_decay_iters: min_lr
    assert nanogpt_learning_rate(2001, recipe) == 1e-4
    assert nanogpt_learning_rate(5, replace(recipe, decay_lr=False)) == 1e-3


def test_horizons_are_recorded_in_order_on_a_clock_that_leaves_evaluation_out() -> None:
    clock = StepClock()
    seen: list[tuple[bool, bool]] = []
    models: list[GPTModel] = []

    def slow_evaluation(model: GPTModel) -> float:
        seen.append((model.training, torch.is_grad_enabled()))
        models.append(model)
        clock.pass_time(1000.0)  # never counted as training time
        return float(len(seen))

    records = train_nanogpt(IDS, IDS, len(ALPHABET), TINY, [7.5, 3.5], slow_evaluation, CPU, clock)
    # One read before the loop, one per iteration: the training clock says n seconds after n iterations.
    assert records == [HorizonLoss(4.0, 4, 1.0), HorizonLoss(8.0, 8, 2.0)]
    assert seen == [(False, False), (False, False)]
    assert models[-1].training  # train mode is put back after each evaluation


def test_horizons_passed_together_share_one_evaluation() -> None:
    clock = StepClock()
    calls: list[int] = []

    def evaluation(model: GPTModel) -> float:
        calls.append(1)
        return 2.0

    records = train_nanogpt(IDS, IDS, len(ALPHABET), TINY, [0.5, 1.0], evaluation, CPU, clock)
    assert records == [HorizonLoss(1.0, 1, 2.0), HorizonLoss(1.0, 1, 2.0)] and len(calls) == 1


def test_running_out_of_iterations_evaluates_once_at_the_time_reached() -> None:
    records = train_nanogpt(
        IDS, IDS, len(ALPHABET), replace(TINY, max_iterations=5), [3.5, 60.0, 150.0], windowed, CPU, StepClock()
    )
    assert [(record.seconds, record.iterations) for record in records] == [(4.0, 4), (5.0, 5)]


def test_max_iters_counts_inclusively_as_train_py_does() -> None:
    settings = replace(TINY, max_iters=6, max_iterations=None)
    records = train_nanogpt(IDS, IDS, len(ALPHABET), settings, [1e9], windowed, CPU, StepClock())
    assert records[0].iterations == 7  # iterations 0 to max_iters


def test_the_same_seed_gives_the_same_run_and_leaves_the_caller_random_state_alone() -> None:
    torch.manual_seed(5)
    expected_next = torch.rand(1)
    torch.manual_seed(5)
    first = train_nanogpt(IDS, IDS, len(ALPHABET), replace(TINY, max_iterations=4), [1e9], windowed, CPU, StepClock())
    assert torch.equal(torch.rand(1), expected_next)
    second = train_nanogpt(IDS, IDS, len(ALPHABET), replace(TINY, max_iterations=4), [1e9], windowed, CPU, StepClock())
    assert first == second


def test_a_split_shorter_than_a_block_is_refused_in_one_sentence() -> None:
    with pytest.raises(PoetError, match="fewer than one 8-token block"):
        train_nanogpt(IDS, IDS[:8], len(ALPHABET), TINY, [1.0], windowed, CPU, StepClock())
