"""The model's one step contract: the single step equals nn.LSTM / nn.GRU, the explicit state round-trips, and
one TokenChooser makes every sampling decision for the eager and the graph stepper alike."""

from __future__ import annotations

import pytest
import torch

from poet_tui.config import ModelConfig
from poet_tui.model import RecurrentState, RNNLanguageModel, TokenChooser
from poet_tui.model import step as step_module
from poet_tui.model.graph import GraphStepper, StaticStep
from poet_tui.options import Cell
from poet_tui.sample import EagerStepper, SamplingSettings, make_generator
from poet_tui.tokenizers import CharTokenizer


# ----- the single step (model/step.py) against nn.LSTM / nn.GRU -----
def small_model(
    cell: Cell, tied: bool = False, embedding: int = 12, vocab: int = 9, layers: int = 2
) -> RNNLanguageModel:
    torch.manual_seed(0)
    config = ModelConfig(
        vocab_size=vocab, cell=cell, embedding_size=embedding, hidden_size=16, num_layers=layers, dropout=0.3, tied=tied
    )
    model = RNNLanguageModel(config)
    with torch.no_grad():  # non-zero biases everywhere, so a mixed-up bias would show
        for parameter in model.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.1)
    return model.eval()


def module_step(
    model: RNNLanguageModel, tokens: torch.Tensor, state: RecurrentState | None
) -> tuple[torch.Tensor, RecurrentState]:
    """nn.LSTM / nn.GRU's answer: the model's forward with grad enabled skips the single-step path."""
    with torch.enable_grad():
        logits, new_state = model(tokens, state)
    return logits.detach(), new_state


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize(
    ("tied", "embedding"),
    [(False, 12), (True, 16), (True, 12)],  # tied with embedding 12 ≠ hidden 16: a projection is folded in
    ids=["untied", "tied", "tied-projection"],
)
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("use_table", [True, False])
def test_single_step_matches_the_recurrent_module(
    cell: Cell, tied: bool, embedding: int, layers: int, use_table: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(step_module, "MAX_TABLE_ELEMENTS", 1 << 20 if use_table else 0)
    model = small_model(cell, tied, embedding=embedding, layers=layers)
    assert (model.projection is not None) == (tied and embedding != 16)
    tokens = torch.tensor([[1], [4], [8]])
    reference_logits, reference_state = module_step(model, tokens, None)
    with torch.no_grad():
        logits, state = model(tokens, None)
    assert (model.step_cache.weights(model).table is not None) == use_table
    torch.testing.assert_close(logits, reference_logits, rtol=1e-5, atol=1e-5)
    for _ in range(3):  # carried state, too
        reference_logits, reference_state = module_step(model, tokens, reference_state)
        with torch.no_grad():
            logits, state = model(tokens, state)
        torch.testing.assert_close(logits, reference_logits, rtol=1e-5, atol=1e-5)
    assert (state.cell is not None) == (cell == "lstm")
    for part, reference_part in zip(state.parts(), reference_state.parts(), strict=True):
        torch.testing.assert_close(part, reference_part.detach(), rtol=1e-5, atol=1e-5)


def test_single_step_follows_weight_changes_and_leaves_its_input_state_alone() -> None:
    model = small_model("lstm")
    tokens = torch.tensor([[3]])
    with torch.no_grad():
        _, state = model(tokens, None)
        before = state.clone()
        model(tokens, state)
        assert all(torch.equal(part, old) for part, old in zip(state.parts(), before.parts(), strict=True))
        model.rnn.bias_hh_l0.add_(0.5)  # what an optimizer step does: an in-place change
        model.embedding.weight[3].mul_(2.0)
        logits, _ = model(tokens, state)
    torch.testing.assert_close(logits, module_step(model, tokens, state)[0], rtol=1e-5, atol=1e-5)


# ----- the eager stepper and the graph stepper's logic (its buffers replayed without a graph) -----
@pytest.mark.parametrize(
    "settings",
    [
        SamplingSettings(temperature=1.0, seed=5),
        SamplingSettings(temperature=0.0),
        SamplingSettings(temperature=0.7, top_k=3, seed=5),
        SamplingSettings(temperature=1.0, top_p=0.8, seed=5),
    ],
)
@pytest.mark.parametrize("masked", [False, True], ids=["free", "masked"])
def test_graph_stepper_logic_draws_what_the_eager_stepper_draws(
    char_model: tuple[RNNLanguageModel, CharTokenizer], settings: SamplingSettings, masked: bool
) -> None:
    """StaticStep is what a CUDA graph captures; replayed without a graph on the CPU it must agree token for token."""
    model, _ = char_model
    device = torch.device("cpu")
    mask = None
    if masked:  # tokens 1-3 forbidden, as a form constraint would
        mask = torch.zeros(model.config.vocab_size)
        mask[1:4] = float("-inf")

    def tokens(make_stepper) -> list[int]:
        chooser = TokenChooser(model.config.vocab_size, device, make_generator(device, settings.seed or 0))
        chooser.set_mask(mask)
        with torch.inference_mode():
            _, state = model(torch.tensor([[0, 2, 5]]))
            stepper = make_stepper(state, chooser)
        token, drawn = 3, []
        for _ in range(40):
            token = stepper.next_token(token, settings)
            drawn.append(token)
        return drawn

    eager = tokens(lambda state, chooser: EagerStepper(model, state, chooser))

    def graph_stepper(state: RecurrentState, chooser: TokenChooser) -> GraphStepper:
        step = StaticStep(model, state)
        step.begin(state, chooser)
        return GraphStepper(step, None)

    with torch.inference_mode():
        replayed = tokens(graph_stepper)
    assert replayed == eager
    if mask is not None:
        assert not {1, 2, 3} & set(eager)


# ----- the state type -----
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_the_state_round_trips_through_torch_and_checkpoint_tensors(cell: Cell) -> None:
    model = small_model(cell)
    state = model.initial_state(3, "cpu")
    assert state.hidden.shape == (2, 3, 16) and (state.cell is not None) == (cell == "lstm")
    noisy = RecurrentState(*(torch.randn_like(part) for part in state.parts()))
    assert all(
        torch.equal(a, b)
        for a, b in zip(RecurrentState.from_torch(noisy.to_torch()).parts(), noisy.parts(), strict=True)
    )
    again = RecurrentState.from_tensors(noisy.to_tensors())
    assert all(torch.equal(a, b) for a, b in zip(again.parts(), noisy.parts(), strict=True))
    assert not noisy.detach().hidden.requires_grad


# ----- the one chooser -----
LOGITS = torch.tensor([0.5, 3.0, 1.0, 2.5, -1.0, 2.9])


def chooser(seed: int = 0) -> TokenChooser:
    return TokenChooser(LOGITS.numel(), torch.device("cpu"), make_generator(torch.device("cpu"), seed))


def test_greedy_is_the_argmax_and_a_mask_moves_it() -> None:
    pick = chooser()
    assert pick.choose(LOGITS, SamplingSettings(temperature=0.0)) == 1
    mask = torch.zeros(LOGITS.numel())
    mask[1] = float("-inf")
    pick.set_mask(mask)
    assert pick.choose(LOGITS, SamplingSettings(temperature=0.0)) == 5
    pick.set_mask(None)
    assert pick.choose(LOGITS, SamplingSettings(temperature=0.0)) == 1


def test_top_k_top_p_and_a_mask_are_never_left() -> None:
    pick = chooser(3)
    hot = 50.0  # so hot that without the limits every token would come up in 300 draws
    top_two = {pick.choose(LOGITS, SamplingSettings(temperature=hot, top_k=2)) for _ in range(300)}
    assert top_two <= {1, 5}
    nucleus = {pick.choose(LOGITS, SamplingSettings(temperature=1.0, top_p=0.5)) for _ in range(300)}
    assert nucleus <= {1, 5}  # softmax puts ≈ 0.37 on 1 and ≈ 0.33 on 5: the two reach 0.5
    mask = torch.zeros(LOGITS.numel())
    mask[[1, 3, 5]] = float("-inf")
    pick.set_mask(mask)
    assert {pick.choose(LOGITS, SamplingSettings(temperature=hot)) for _ in range(300)} <= {0, 2, 4}
    free = chooser(3)
    assert len({free.choose(LOGITS, SamplingSettings(temperature=hot)) for _ in range(300)}) == LOGITS.numel()
