"""The lens's cells: named features of hand-made texts, every layer's states as nn.LSTM computes them, and a
unit planted by hand to count the characters of a line is the one find_cells reports."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch

from poet_tui.config import ModelConfig
from poet_tui.corpus import Document
from poet_tui.errors import PoetError
from poet_tui.lens.activations import LensCancelled, layer_activations
from poet_tui.lens.cells import find_cells, unit_trace
from poet_tui.lens.features import FEATURE_NAMES, FEATURES, feature_named, token_features
from poet_tui.lens.tokens import tokenize_text
from poet_tui.model import RNNLanguageModel
from poet_tui.tokenizers import CharTokenizer


def values(name: str, text: str) -> list[float]:
    return feature_named(name).function(text).tolist()


def test_line_features_of_a_hand_made_text() -> None:
    text = "ab\ncde\n\nf"
    assert values("position_in_line", text) == [0, 1, 2, 0, 1, 2, 3, 0, 0]
    assert values("characters_to_line_end", text) == [2, 1, 0, 3, 2, 1, 0, 0, 1]
    # The blank line between stanzas is not a line of the poem; it carries the next line's number.
    assert values("line_in_poem", text) == [0, 0, 0, 1, 1, 1, 1, 2, 2]
    assert values("couplet_position", text) == [0, 0, 0, 1, 1, 1, 1, 0, 0]


def test_line_numbers_start_again_in_each_poem() -> None:
    text = "a\nb\n\n\nc\nd"
    # The separator's blank lines still belong to the first poem, numbered as a line after its last would be.
    assert values("line_in_poem", text) == [0, 0, 1, 1, 2, 2, 0, 0, 1]
    assert values("couplet_position", text) == [0, 0, 1, 1, 0, 0, 0, 0, 1]


def test_quotes_brackets_and_punctuation() -> None:
    text = 'a "b" (c (d) e) f, g'
    #        a _ " b " _ ( c _ ( d ) _ e ) _ f , _ g
    assert values("inside_quotes", text) == [0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    assert values("inside_brackets", text) == [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    assert values("after_punctuation", text) == [0, 0, 1, 0, 1, 1, 1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0]
    curly = "\u201cab\u201d it\u2019s"
    assert values("inside_quotes", curly) == [1, 1, 1, 0, 0, 0, 0, 0, 0]  # an apostrophe closes nothing
    assert values("inside_quotes", 'x "open\n\n\ny') == [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0]  # a poem ends a quote


def test_token_features_take_each_tokens_last_character() -> None:
    """Where the state after reading the token stands: "ab" is at position 1, not 0."""
    text = "ab\ncd"
    matrix = token_features(text, [(0, 2), (2, 3), (3, 5), (5, 5)])
    position = FEATURE_NAMES.index("position_in_line")
    assert matrix[:, position].tolist() == [1, 2, 1, 1]  # an empty span at the end: the last character
    assert matrix.shape == (4, len(FEATURES))


def test_a_poem_written_a_couplet_to_a_line_turns_at_its_comma() -> None:
    """tang300's layout: 兰叶春葳蕤，桂华秋皎洁。 is a couplet, its second verse after the ，; an English poem
    with commas, and a poem of one verse a line, still pair their lines."""
    tang = "白日依山尽，黄河入海流。\n欲穷千里目，更上一层楼。\n"
    first, second = [0] * 6, [1] * 7  # the ， ends the first verse; the line's newline is the second's
    assert values("couplet_position", tang) == [*first, *second, *first, *second]
    english = "Shall I, compare\nthee, to\n"
    assert values("couplet_position", english) == [0] * 17 + [1] * 9
    verses = "白日依山尽，\n黄河入海流。\n"
    assert values("couplet_position", verses) == [0] * 7 + [1] * 7
    both = tang + "\n\n" + "a, b\nc\n"  # a poem of each kind, each judged on its own lines
    assert values("couplet_position", both)[-7:] == [0, 0, 0, 0, 0, 1, 1]


def tiny_lstm(cell: str = "lstm", layers: int = 2) -> tuple[RNNLanguageModel, CharTokenizer]:
    tokenizer = CharTokenizer.build([Document("the moon and the sea, my love\nthy heart doth shine like stars")])
    torch.manual_seed(4)
    config = ModelConfig(vocab_size=tokenizer.vocab_size, embedding_size=8, hidden_size=16, num_layers=layers)
    config.cell = cell
    return RNNLanguageModel(config).eval(), tokenizer


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_activations_match_the_networks_own_states(cell: str) -> None:
    model, tokenizer = tiny_lstm(cell)
    ids = [tokenizer.end_of_document_id, *tokenizer.encode("the moon and the sea\nmy love " * 6)]
    with torch.no_grad():
        output, state = model.rnn(model.embedding(torch.tensor([ids])))
    for chunk in (7, 2048):  # a chunk boundary carries the state exactly
        from poet_tui.lens import activations

        steps = list(activations.iterate_activations(model, ids, [0, 1], "hidden", chunk=chunk))
        top = torch.cat([found[1] for _, found in steps])
        torch.testing.assert_close(top, output[0], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(torch.cat([found[0] for _, found in steps])[-1], state_parts(state)[0][0, 0])
    if cell == "lstm":
        cells = layer_activations(model, ids, 1, "cell")
        torch.testing.assert_close(cells[-1], state_parts(state)[1][1, 0], atol=1e-5, rtol=1e-5)
        # h = o ⊙ tanh(c) at every step: the scanned cells agree with nn.LSTM's outputs all along.
        hidden = layer_activations(model, ids, 1, "hidden")
        assert bool((hidden.abs() <= cells.tanh().abs() + 1e-5).all())
        assert cells.shape == (len(ids), 16)
    else:
        with pytest.raises(PoetError, match="a GRU has no cell state"):
            layer_activations(model, ids, 0, "cell")


def state_parts(state: Any) -> tuple[torch.Tensor, torch.Tensor]:
    return state if isinstance(state, tuple) else (state, state)


def plant_line_counter(model: RNNLanguageModel, tokenizer: CharTokenizer, unit: int, step: float) -> None:
    """Layer 0's cell `unit` adds `step` for every character and is emptied by a newline (its gates read only
    embedding dimension 0, set to 1 for the newline and 0 for every other token)."""
    hidden = model.config.hidden_size
    newline = tokenizer.encode("\n")[0]
    rnn = model.rnn
    with torch.no_grad():
        model.embedding.weight[:, 0] = 0.0
        model.embedding.weight[newline, 0] = 1.0
        input_gate, forget_gate, candidate, output_gate = (index * hidden + unit for index in range(4))
        for row in (input_gate, forget_gate, candidate, output_gate):
            rnn.weight_ih_l0[row] = 0.0
            rnn.weight_hh_l0[row] = 0.0
            rnn.bias_hh_l0[row] = 0.0
        rnn.bias_ih_l0[input_gate] = 40.0  # always writes
        rnn.bias_ih_l0[forget_gate] = 40.0  # always keeps, except at a newline
        rnn.weight_ih_l0[forget_gate, 0] = -80.0
        rnn.bias_ih_l0[candidate] = math.atanh(step)  # writes `step`, except at a newline (0)
        rnn.weight_ih_l0[candidate, 0] = -math.atanh(step)
        rnn.bias_ih_l0[output_gate] = 0.0


LINES = "the moon and the sea\nmy love\nthy heart doth shine like the moon\nand the sea\n"


def test_a_planted_line_counter_is_the_unit_found_for_position_in_line() -> None:
    model, tokenizer = tiny_lstm("lstm", layers=2)
    plant_line_counter(model, tokenizer, unit=5, step=0.02)
    text = LINES * 4
    findings = find_cells(model, tokenizer, text, layers=[0], top=3, kind="cell")
    position = [finding for finding in findings if finding.feature == "position_in_line"]
    assert len(position) == 3 and [abs(f.correlation) for f in position] == sorted(
        (abs(f.correlation) for f in position), reverse=True
    )
    best = position[0]
    assert (best.layer, best.unit, best.kind) == (0, 5, "cell")
    # What the counter holds after each character: step × (characters of the line so far), 0 after a newline;
    # the <eod> read before the text counts one too.
    ideal = np.zeros(len(text))
    count = 1
    for index, character in enumerate(text):
        count = 0 if character == "\n" else count + 1
        ideal[index] = 0.02 * count
    expected = np.corrcoef(ideal, feature_named("position_in_line").function(text))[0, 1]
    assert best.correlation == pytest.approx(expected, abs=1e-6) and best.correlation > 0.8
    assert all(not math.isnan(finding.correlation) for finding in findings)
    # No quotes, brackets or punctuation in the text: those features are constant and have no findings.
    varying = ["position_in_line", "characters_to_line_end", "line_in_poem", "couplet_position"]
    assert [finding.feature for finding in findings] == [name for name in varying for _ in range(3)]

    trace = unit_trace(model, tokenizer, text, layer=0, unit=5)
    assert [(start, end) for start, end, _ in trace] == tokenize_text(tokenizer, text).spans
    assert [value for _, _, value in trace[:3]] == pytest.approx([math.tanh(0.02 * n) for n in (2, 3, 4)], abs=1e-5)


def test_constant_units_and_features_are_skipped_never_nan() -> None:
    model, tokenizer = tiny_lstm("lstm", layers=1)
    with torch.no_grad():
        for parameter in model.rnn.parameters():
            parameter.zero_()  # every cell stays 0
    findings = find_cells(model, tokenizer, "the moon\nthe sea\n", kind="cell")
    assert findings == []
    hidden_findings = find_cells(model, tokenizer, "the moon the sea", kind="hidden")
    assert hidden_findings == []  # one line: no feature varies with any unit


def test_bad_layers_units_and_cancelling() -> None:
    model, tokenizer = tiny_lstm("lstm", layers=2)
    with pytest.raises(PoetError, match="layer 2 does not exist: this model has layers 0 to 1"):
        find_cells(model, tokenizer, "the moon", layers=[2])
    with pytest.raises(PoetError, match="unit 16 does not exist"):
        unit_trace(model, tokenizer, "the moon", 0, 16)
    with pytest.raises(PoetError, match="the text is empty"):
        find_cells(model, tokenizer, "")
    with pytest.raises(LensCancelled):
        find_cells(model, tokenizer, "the moon", should_stop=lambda: True)
    heard: list[float] = []
    find_cells(model, tokenizer, LINES, progress=heard.append)
    assert heard and heard[-1] == 1.0


def test_cancelling_stops_between_features_before_any_state_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    from poet_tui.lens import cells

    model, tokenizer = tiny_lstm("lstm", layers=1)
    read: list[int] = []
    monkeypatch.setattr(cells, "iterate_activations", lambda *args, **kwargs: read.append(1) or iter(()))
    asked: list[int] = []

    def after_three() -> bool:
        asked.append(1)
        return len(asked) > 3

    with pytest.raises(LensCancelled):
        find_cells(model, tokenizer, LINES, should_stop=after_three)
    assert len(asked) == 4 and read == []
