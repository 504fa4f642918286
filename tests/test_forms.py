"""Forms at sampling time: whatever the model's weights, a constrained poem is in its form and ends exactly when
the form is complete; bad forms, prompts and models are refused in one sentence."""

from __future__ import annotations

import json

import pytest
import torch

from poet_tui.config import ModelConfig
from poet_tui.corpus import Document
from poet_tui.errors import PoetError
from poet_tui.form_constraint import FormConstraint
from poet_tui.forms import (
    FORMS,
    Form,
    LineForm,
    describe_shares,
    form_shares,
    parse_form,
    satisfies,
)
from poet_tui.model import RNNLanguageModel
from poet_tui.runs import Run
from poet_tui.sample import SamplingSettings, complete
from poet_tui.tokenizers import CharTokenizer, WordTokenizer
from tests.helpers import poet

# Both scripts, the marks regulated verse needs, and some noise: a random model is tempted by everything.
ALPHABET = "床前明月光疑是地上霜举头望低思故乡春眠不觉晓处闻啼鸟，。？！、\n abcdefghijklmnopqrstuvwxyz,.;'!?-"


def untrained_model(seed: int) -> tuple[RNNLanguageModel, CharTokenizer]:
    tokenizer = CharTokenizer.build([Document(ALPHABET)])
    torch.manual_seed(seed)
    model = RNNLanguageModel(ModelConfig(vocab_size=tokenizer.vocab_size, embedding_size=8, hidden_size=16))
    with torch.no_grad():  # sharpen the random logits, so the model has strong (wrong) preferences to overrule
        model.decoder.weight.mul_(40.0)
    return model.eval(), tokenizer


@pytest.mark.parametrize("form", [FORMS["wujue"], FORMS["quatrain"]], ids=lambda form: form.name)
def test_greedy_and_hot_sampling_keep_the_form_too(form: Form) -> None:
    model, tokenizer = untrained_model(seed=3)
    for temperature in (0.0, 0.3, 5.0):
        poem = complete(model, tokenizer, "", SamplingSettings(temperature=temperature, seed=1), form)
        assert satisfies(poem, form), (temperature, poem)


def test_the_prompt_fills_the_first_slots() -> None:
    model, tokenizer = untrained_model(seed=1)
    poem = "床前明月光，" + complete(model, tokenizer, "床前明月光，", SamplingSettings(seed=2), FORMS["wujue"])
    assert poem.startswith("床前明月光，") and satisfies(poem, FORMS["wujue"])


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("床前明月光，疑是地上霜。\n举头望明月，低头思故乡。", True),
        ("床前明月光，疑是地上霜。\n举头望明月，低头思故乡。\n", False),  # a line break where the poem must end
        ("床前明月光，疑是地上霜。\n举头望明月，低头思故乡", False),  # the last mark is missing
        ("床前明月光。疑是地上霜，\n举头望明月，低头思故乡。", False),  # the marks swapped
        ("床前明月光亮，疑是地上霜。\n举头望明月，低头思故乡。", False),  # a six-character verse
        ("床前明月光，疑是地上霜。", False),  # one couplet of two
        ("床前明月a，疑是地上霜。\n举头望明月，低头思故乡。", False),  # not an ideograph
    ],
)
def test_a_wujue_is_recognised_exactly(text: str, valid: bool) -> None:
    assert satisfies(text, FORMS["wujue"]) is valid


def test_line_forms_count_lines_that_have_words() -> None:
    quatrain = FORMS["quatrain"]
    assert satisfies("a\nb\nc\nd", quatrain)
    assert not satisfies("a\nb\nc", quatrain)
    assert not satisfies("a\n\nb\nc\nd", quatrain)  # an empty line is no line of the poem
    assert not satisfies("a\nb\nc\nd\n", quatrain)
    assert not satisfies("a\nb\nc\n" + "x" * 81, quatrain)  # a line must end by 80 characters


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nope", "there is no form named 'nope'; choose one of free, wulv"),
        ("couplets:0", "needs a number of couplets between 1 and 500"),
        ("couplets:x", "needs a number of couplets"),
    ],
)
def test_unknown_forms_are_refused_in_one_sentence(text: str, message: str) -> None:
    with pytest.raises(PoetError, match=message):
        parse_form(text)


def test_free_is_no_form_and_couplets_count_lines() -> None:
    assert parse_form("free") is None and parse_form(" ") is None
    assert parse_form("Couplets:2") == LineForm("couplets:2", 4)


def test_a_model_that_cannot_write_the_form_and_a_word_model_are_refused() -> None:
    english = CharTokenizer.build([Document("roses are red\nviolets are blue\n")])
    with pytest.raises(PoetError, match="never saw '，', '。', CJK characters, so it cannot write the form wulv"):
        FormConstraint(FORMS["wulv"], english, torch.device("cpu"))
    words = WordTokenizer.build([Document("roses are red\nroses are red\n")], min_count=1)
    FormConstraint(FORMS["quatrain"], words, torch.device("cpu"))  # line counts work for words
    with pytest.raises(PoetError, match="a word model keeps forms by line count only"):
        FormConstraint(FORMS["haiku"], words, torch.device("cpu"))


def test_poet_generate_writes_a_quatrain_and_refuses_a_prompt_that_breaks_it(trained_run: Run) -> None:
    result = poet("generate", trained_run.id, "--form", "quatrain", "--seed", "4")
    assert result.returncode == 0, result.stderr
    assert satisfies(result.stdout.removesuffix("\n"), FORMS["quatrain"]), result.stdout
    refused = poet("generate", trained_run.id, "--form", "wujue")
    assert refused.returncode == 2 and "cannot write the form wujue" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_poet_generate_n_poems_as_json_lines_each_checked_against_the_form(trained_run: Run) -> None:
    result = poet("generate", trained_run.id, "--form", "couplets:2", "-n", "3", "--seed", "9", "--json")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [record["poem"] for record in records] == [1, 2, 3]
    assert [record["seed"] for record in records] == [9, 10, 11]
    for record in records:
        assert record["form"] == "couplets:2" and record["in_form"] is True
        assert isinstance(record["forced_steps"], int) and 0 <= record["forced_steps"] <= record["tokens"]
        assert satisfies(record["text"], FORMS["quatrain"])  # two couplets are four lines
    plain = poet("generate", trained_run.id, "--form", "quatrain", "-n", "2", "--seed", "9")
    poems = plain.stdout.removesuffix("\n").split("\n\n")
    assert len(poems) == 2 and all(satisfies(poem, FORMS["quatrain"]) for poem in poems)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["-n", "0"], "-n must be between 1 and 1000."),
        (["-i", "--json"], "-i is a prompt-by-prompt REPL"),
        (["-i", "-n", "2"], "-i is a prompt-by-prompt REPL"),
    ],
)
def test_poet_generate_refuses_what_it_cannot_do(trained_run: Run, flags: list[str], message: str) -> None:
    result = poet("generate", trained_run.id, *flags)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_form_shares_count_each_poem_in_its_forms_only() -> None:
    jueju = "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。"
    four_lines = "a\nb\nc\nd"
    shares = form_shares([jueju, jueju, four_lines, "free verse\nthat rambles", ""])
    assert shares == {"wujue": 0.4, "quatrain": 0.2}  # a jueju's two lines are no English couplet
    assert form_shares([]) == {}
    assert describe_shares(shares) == "wujue 40% · quatrain 20%"
    assert describe_shares({}).startswith("none of the known forms")


def test_poet_corpora_show_reports_the_forms_of_tang300() -> None:
    result = poet("corpora", "show", "tang300", "--poems", "0")
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("poems in a form"))
    assert "wulv" in line and "wujue" in line and "quatrain" not in line
    dominant = next(line for line in result.stdout.splitlines() if line.startswith("dominant forms"))
    assert all(name in dominant for name in ("wulv", "qijue", "qilv", "wujue")) and "sonnet" not in dominant


def test_poet_generate_takes_acrostic_rhyme_and_metre_and_refuses_what_cannot_be(trained_run: Run) -> None:
    result = poet(
        "generate", trained_run.id, "--form", "quatrain", "--acrostic", "LOVE", "--rhyme", "-n", "3", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    from poet_tui.forms import choose_form

    form = choose_form("quatrain", "LOVE", rhyme=True)
    assert form is not None
    for record in map(json.loads, result.stdout.splitlines()):
        assert record["in_form"] is True and satisfies(record["text"], form)
        assert [line[0].upper() for line in record["text"].split("\n")] == list("LOVE")
    for flags, message in [
        (["--form", "quatrain", "--metre"], "--metre counts a sonnet's syllables"),
        (["--form", "haiku", "--rhyme"], "--rhyme works with the English forms"),
        (["--form", "sonnet", "--acrostic", "LOVE"], "a sonnet has 14 lines, so its acrostic needs 14 letters"),
        (["--acrostic", "春夏"], "a Chinese acrostic without --form needs 4 or 8 characters"),
    ]:
        refused = poet("generate", trained_run.id, *flags)
        assert refused.returncode == 2 and message in refused.stderr and "Traceback" not in refused.stderr, flags
