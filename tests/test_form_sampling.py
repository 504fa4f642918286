"""Constrained sampling keeps every form, option and tokenizer, whatever the model's weights.

Each poem is checked by an oracle written apart from the state machine that steered it (a line split, a
regular expression, the dictionary's syllables and rhyme keys), so a fault in forms/state.py that both steering
and `satisfies` share cannot hide here. Nothing asserts which text a seed samples: only that the form holds,
that the poem ends exactly when the form is complete, and that sampling always ends."""

from __future__ import annotations

import math
import re

import pytest
import torch

from poet_tui.config import ModelConfig
from poet_tui.corpus import Document
from poet_tui.form_constraint import FormConstraint
from poet_tui.forms import COMMA, FULL_STOP, MAX_ENGLISH_LINE, Form, LineForm, RegulatedForm, choose_form
from poet_tui.forms import is_cjk_character as cjk
from poet_tui.forms.pronunciation import rhyme_key, syllables
from poet_tui.model import RNNLanguageModel
from poet_tui.sample import CompletionStats, SamplingSettings, stream_completion
from poet_tui.tokenizers import (
    END_OF_DOCUMENT,
    SPACED_UNKNOWN,
    UNKNOWN,
    CharTokenizer,
    SentencePieceTokenizer,
    Tokenizer,
    WordTokenizer,
)

CHINESE = "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。\n春眠不觉晓，处处闻啼鸟。\n夜来风雨声，花落知多少。"
ENGLISH = (
    "the moon is bright tonight\nand all the stars are near\nlove walks on silver light\n"
    "o, heav'n is wide and clear!\nthe sea, the sea; a rose\n"
)
CORPUS = (CHINESE + "\n\n" + ENGLISH) * 3

# (form name, acrostic, rhyme, metre): every form, and every option on the forms that take it.
CASES = [
    ("wulv", "", False, False),
    ("qilv", "", False, False),
    ("wujue", "", False, False),
    ("qijue", "", False, False),
    ("sonnet", "", False, False),
    ("haiku", "", False, False),
    ("quatrain", "", False, False),
    ("couplets:3", "", False, False),
    ("sonnet", "", True, True),
    ("quatrain", "", True, False),
    ("couplets:2", "", True, False),
    ("", "MOON", False, False),
    ("quatrain", "Love", True, False),
    ("haiku", "sea", False, False),
    ("wujue", "春夜明月", False, False),
    ("wulv", "花落知多", False, False),
    ("qilv", "床前明月光春眠花", False, False),
]


def case_id(case: tuple[str, str, bool, bool]) -> str:
    name, acrostic, rhyme, metre = case
    return "-".join(part for part in (name or "free", acrostic, "rhyme" * rhyme, "metre" * metre) if part)


def line_words(line: str) -> list[str]:
    """Words as runs of non-CJK letters with apostrophes inside or after them: the oracle's own tokenising."""
    spaced = "".join(
        character if (character.isalpha() and not cjk(character)) or character in "'’" else " " for character in line
    )
    return [word.strip("'’") for word in re.findall(r"[^\W\d_][^\s]*", spaced) if word.strip("'’")]


def check_poem(poem: str, form: Form) -> None:
    """The oracle: the poem is in the form, by a reading of the definitions independent of forms/state.py."""
    if isinstance(form, RegulatedForm):
        verse = f"[\u3400-\u9fff\U00020000-\U0003134f]{{{form.characters}}}"
        couplet_lines = poem.split("\n")
        by_couplet = len(couplet_lines) == form.verses // 2 and all(
            re.fullmatch(f"{verse}{COMMA}{verse}{FULL_STOP}", line) for line in couplet_lines
        )
        by_verse = len(couplet_lines) == form.verses and all(
            re.fullmatch(verse + (FULL_STOP if index % 2 else COMMA), line) for index, line in enumerate(couplet_lines)
        )
        assert by_couplet or by_verse, poem
        verses = re.findall(f"{verse}[{COMMA}{FULL_STOP}]", poem.replace("\n", ""))
        assert all(cjk(character) for text in verses for character in text[:-1]), poem
        if form.acrostic:
            starts = [text[0] for text in verses]
            wanted = starts if len(form.acrostic) == form.verses else starts[0::2]
            assert wanted == list(form.acrostic), poem
        return
    assert isinstance(form, LineForm)
    lines = poem.split("\n")
    assert len(lines) == form.lines, poem
    for index, line in enumerate(lines):
        assert any(character.isalnum() for character in line) and len(line) <= MAX_ENGLISH_LINE, poem
        if form.acrostic:
            assert line[0].lower() == form.acrostic[index].lower(), poem
        if form.syllables:
            low, high = form.syllables[index]
            assert low <= sum(syllables(word) for word in line_words(line)) <= high, (index, line)
    if form.rhyme_scheme:
        last = [line_words(line)[-1] for line in lines]
        for index, letter in enumerate(form.rhyme_scheme):
            first = form.rhyme_scheme.index(letter)
            assert rhyme_key(last[index]) == rhyme_key(last[first]), (poem, index)


def random_model(tokenizer: Tokenizer, seed: int) -> RNNLanguageModel:
    """Random weights, sharpened so the model has strong (wrong) preferences for the form to overrule, and
    eager to break lines (and end poems): lines stay short, so 200 poems are quick, and the form must refuse
    a line break or an end almost everywhere."""
    torch.manual_seed(seed)
    model = RNNLanguageModel(ModelConfig(vocab_size=tokenizer.vocab_size, embedding_size=8, hidden_size=16))
    eager = [index for index, text in enumerate(tokenizer.token_texts()) if text and "\n" in text]
    with torch.no_grad():
        model.decoder.weight.mul_(20.0)
        model.decoder.bias[eager] += 4.0
        model.decoder.bias[tokenizer.end_of_document_id] += 4.0
    return model.eval()


def trained_model(tokenizer: Tokenizer, seed: int) -> RNNLanguageModel:
    """A tiny model fitted a little to the corpus: it has learned real preferences (lines, marks, words)."""
    torch.manual_seed(seed)
    model = RNNLanguageModel(ModelConfig(vocab_size=tokenizer.vocab_size, embedding_size=16, hidden_size=48))
    ids = torch.tensor([tokenizer.end_of_document_id, *tokenizer.encode(CORPUS)])
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    windows = ids.unfold(0, 65, 32)
    for _ in range(30):
        logits, _ = model(windows[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), windows[:, 1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.eval()


@pytest.fixture(scope="module")
def char_tokenizer() -> Tokenizer:
    return CharTokenizer.build([Document(CORPUS + "？！、,.;-")])


@pytest.fixture(scope="module")
def spm_tokenizer() -> Tokenizer:
    return SentencePieceTokenizer.train([Document(CORPUS)], vocab_size=400)


def sample_poems(model: RNNLanguageModel, tokenizer: Tokenizer, form: Form, count: int) -> None:
    for sample in range(count):
        settings = SamplingSettings(temperature=1.0, seed=sample, max_tokens=5, stop_at_end_of_poem=False)
        stats = CompletionStats()
        poem = "".join(stream_completion(model, tokenizer, "", settings, stats, form))
        check_poem(poem, form)
        assert stats.stopped_at_end_of_poem  # it ended because the form was complete, not by length


@pytest.mark.parametrize("case", CASES, ids=case_id)
@pytest.mark.parametrize("kind", ["char", "spm"])
def test_poems_from_an_untrained_model_keep_the_form(
    case: tuple[str, str, bool, bool], kind: str, request: pytest.FixtureRequest
) -> None:
    """200 poems for each form; 50 for each option on top of a form (rhyme, metre, acrostic)."""
    tokenizer = request.getfixturevalue(f"{kind}_tokenizer")
    form = choose_form(*case)
    assert form is not None
    _name, acrostic, rhyme, metre = case
    sample_poems(random_model(tokenizer, seed=7), tokenizer, form, 50 if (acrostic or rhyme or metre) else 200)


@pytest.mark.parametrize("name", ["wulv", "qilv", "wujue", "qijue", "sonnet", "haiku", "quatrain", "couplets:2"])
@pytest.mark.parametrize("kind", ["char", "spm"])
def test_200_poems_from_a_trained_tiny_model_keep_the_form(
    name: str, kind: str, request: pytest.FixtureRequest
) -> None:
    tokenizer = request.getfixturevalue(f"{kind}_tokenizer")
    form = choose_form(name)
    assert form is not None
    sample_poems(trained_model(tokenizer, seed=3), tokenizer, form, 200)


def test_a_model_that_leaves_the_form_no_chance_is_forced_and_the_form_still_holds(
    char_tokenizer: Tokenizer,
) -> None:
    """A model certain of one token (a line break) gives every other allowed token almost nothing: those steps
    take the allowed token with the highest logit, are counted, and the poem is still a wujue."""
    model = random_model(char_tokenizer, seed=1)
    with torch.no_grad():
        model.decoder.bias[char_tokenizer.encode("\n")[0]] += 1000.0
    form = choose_form("wujue")
    assert form is not None
    stats = CompletionStats()
    poem = "".join(stream_completion(model, char_tokenizer, "", SamplingSettings(seed=1), stats, form))
    check_poem(poem, form)
    assert 0 < stats.forced_steps <= stats.tokens
    assert stats.forced_steps >= len(poem.replace("\n", ""))  # every step but the line breaks was forced


def test_a_model_whose_logits_are_not_numbers_still_writes_the_form(char_tokenizer: Tokenizer) -> None:
    model = random_model(char_tokenizer, seed=2)
    with torch.no_grad():
        model.decoder.bias.fill_(float("nan"))
    form = choose_form("haiku")
    assert form is not None
    stats = CompletionStats()
    poem = "".join(stream_completion(model, char_tokenizer, "", SamplingSettings(seed=3), stats, form))
    check_poem(poem, form)
    assert stats.forced_steps == stats.tokens  # no draw could be trusted: every step was the form's


def constant_model(tokenizer: Tokenizer, biases: dict[str, float]) -> RNNLanguageModel:
    """A model whose logits are the same at every step: 0 for every token but the ones given."""
    model = random_model(tokenizer, seed=0)
    with torch.no_grad():
        model.decoder.weight.zero_()
        model.decoder.bias.zero_()
        for text, bias in biases.items():
            model.decoder.bias[tokenizer.encode(text)[0]] = bias
    return model


@pytest.mark.parametrize(("line_break_share", "lines"), [(0.2, 2), (0.8, 4)])
def test_the_layout_follows_the_models_preference_not_the_one_character_an_acrostic_allows(
    char_tokenizer: Tokenizer, line_break_share: float, lines: int
) -> None:
    """After the first ，a wujue goes on with the next verse (one couplet a line) or breaks the line (one verse a
    line). With the acrostic 春花夜月 the only ideograph allowed there is 花, which this model almost never
    writes; the choice must still weigh a line break against every ideograph, as the corpus taught the model."""
    ideographs = sum(1 for text in char_tokenizer.token_texts() if text and cjk(text))
    line_break = math.log(ideographs * line_break_share / (1 - line_break_share))
    model = constant_model(char_tokenizer, {"\n": line_break, "花": -12.0})
    form = choose_form("wujue", "春花夜月")
    assert form is not None
    for seed in range(5):
        poem = "".join(stream_completion(model, char_tokenizer, "", SamplingSettings(seed=seed), None, form))
        check_poem(poem, form)
        assert poem.count("\n") == lines - 1, poem


@pytest.mark.parametrize("name", ["quatrain", "sonnet", "couplets:2"])
def test_a_word_model_keeps_forms_by_line_count(name: str) -> None:
    tokenizer = WordTokenizer.build([Document(ENGLISH * 2)], min_count=1)
    form = choose_form(name)
    assert form is not None
    sample_poems(random_model(tokenizer, seed=5), tokenizer, form, 50)


def test_a_long_token_is_masked_near_the_line_end_even_when_a_short_one_fits() -> None:
    """The mask cache treats every length far from the 80-character limit alike: 'far' must be measured by the
    vocabulary's longest token, or a mask built at the start of a line lets a long word overfill it later."""
    long_word = " " + "x" * 40
    tokenizer = WordTokenizer([END_OF_DOCUMENT, UNKNOWN, SPACED_UNKNOWN, "\n", " a", long_word])
    form = choose_form("quatrain")
    assert form is not None
    constraint = FormConstraint(form, tokenizer, torch.device("cpu"))
    long_id = tokenizer.encode(long_word)[0]
    constraint.advance(tokenizer.encode(" a")[0])
    assert constraint.mask()[long_id] == 0.0  # early in a line it fits (and this mask is kept)
    for _ in range(20):  # 42 characters: 41 more would pass 80
        constraint.advance(tokenizer.encode(" a")[0])
    assert constraint.mask()[long_id] == float("-inf") and not constraint.allows(long_id)


@pytest.mark.parametrize("name", ["couplets:2", "quatrain"])
def test_every_cached_mask_is_the_mask_built_afresh(name: str) -> None:
    """Down a line of spaces to the 80-character limit and on into the next line, the mask the cache gives is
    the one built for that very state: a key that names two states alike (79 characters taken for 0) let a
    space through where the line had no room left for a word."""
    tokenizer = CharTokenizer.build([Document("the moon, the sea\n")])
    form = choose_form(name)
    assert form is not None
    constraint = FormConstraint(form, tokenizer, torch.device("cpu"))
    space, letter, newline = (tokenizer.encode(text)[0] for text in (" ", "t", "\n"))
    writes = [letter, *[space] * 85, newline, *[space] * 85]
    for token_id in writes:
        built = constraint.book.allowed_ids(constraint.state)
        assert constraint.mask().eq(0).nonzero().view(-1).tolist() == sorted(built)
        if constraint.allows(token_id):
            constraint.advance(token_id)


def test_a_model_that_only_wants_spaces_still_writes_the_form() -> None:
    """The drawn token is the space at every step (it holds all the probability): the form has to break in the
    line's last columns, with the mask set before every draw (top-p) or only where a draw breaks the form."""
    form = choose_form("couplets:2")
    assert form is not None
    for top_p in (0.999, 1.0):
        tokenizer = CharTokenizer.build([Document("the moon, the sea\n")])  # its own mask cache
        model = random_model(tokenizer, seed=1)
        with torch.no_grad():
            model.decoder.bias[tokenizer.encode(" ")[0]] = 50.0
        for seed in range(3):
            settings = SamplingSettings(top_p=top_p, seed=seed, max_tokens=10)
            poem = "".join(stream_completion(model, tokenizer, "the", settings, form=form))
            check_poem("the" + poem, form)
