"""Forms in the REPLs: the choice both REPLs hold (never one that cannot be written), the default a model's corpus
suggests, and `poet generate -i` driven through stdin. Poems are checked with `satisfies`, never by their text."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from poet_tui.cli.generate_command import apply_repl_command
from poet_tui.cli.repl_forms import ReplForm
from poet_tui.errors import PoetError
from poet_tui.form_choice import FormChoice, corpus_form_shares, default_form_name, default_note, in_words_of
from poet_tui.forms import parse_form, satisfies
from poet_tui.runs import Run
from poet_tui.sampling_settings import SamplingSettings
from tests.helpers import loaded_among, modules_loaded_by, poet


# ----- the default form from a checkpoint's metadata -----
@pytest.mark.parametrize(
    ("forms", "expected"),
    [
        ({"wulv": 0.62, "wujue": 0.2}, "wulv"),
        ({"sonnet": 0.99}, "sonnet"),
        ({"quatrain": 0.5, "haiku": 0.1}, "quatrain"),  # exactly half is mostly
        ({"couplets:3": 0.7}, "couplets:3"),
        ({"wulv": 0.27, "wujue": 0.12, "qijue": 0.19, "qilv": 0.16}, "free"),  # mixed, like tang300
        ({"wulv": 0.49}, "free"),
        ({}, "free"),
        (None, "free"),
        ("wulv", "free"),
        ([["wulv", 0.9]], "free"),
        ({"wulv": float("nan")}, "free"),
        ({"wulv": float("inf")}, "free"),
        ({"wulv": 1.5}, "free"),
        ({"wulv": -0.5}, "free"),
        ({"wulv": True}, "free"),
        ({"wulv": "0.9"}, "free"),
        ({"wulv": 10**400}, "free"),
        ({"limerick": 0.9}, "free"),  # a form this version does not know
        ({"free": 0.9}, "free"),
        ({"Sonnet": 0.9}, "free"),  # names are written as `corpora show` writes them
        ({"couplets:0": 0.9, "couplets:x": 0.8, "couplets:²": 0.9, "couplets:" + "9" * 5000: 0.9}, "free"),
        ({"limerick": 0.9, "sonnet": 0.6}, "sonnet"),  # a damaged entry is left out, the rest still count
    ],
)
def test_the_default_form_is_the_one_most_of_the_corpus_is_in(forms: Any, expected: str) -> None:
    metadata = {"step": 10, "model": {}, "forms": forms}
    assert default_form_name(metadata) == expected
    assert all(0 <= share <= 1 and math.isfinite(share) for share in corpus_form_shares(metadata).values())


def test_metadata_without_forms_is_free_verse() -> None:
    assert default_form_name({"step": 1}) == "free" and default_note({"step": 1}) is None
    assert default_note({"forms": {"wulv": 0.62}}) == "this model's corpus is mostly wulv (62% of its poems)"


def test_the_choice_is_torch_free() -> None:
    """The app holds a form choice before torch has loaded in the background."""
    assert loaded_among(modules_loaded_by("poet_tui.form_choice"), "torch") == []


# ----- the choice: only ever one that can be written -----
def test_switching_form_keeps_the_options_that_fit_and_says_why_the_others_went() -> None:
    choice = FormChoice.of("quatrain", acrostic="LOVE", rhyme=True)
    assert choice.describe() == "quatrain (acrostic LOVE, rhyme)"
    sonnet, dropped = choice.with_form("sonnet")
    assert (sonnet.name, sonnet.acrostic, sonnet.rhyme) == ("sonnet", "", True)
    assert dropped == ["acrostic off: a sonnet has 14 lines, so its acrostic needs 14 letters, not 4."]
    couplets, dropped = choice.with_form("couplets:2")
    assert couplets == FormChoice("couplets:2", "LOVE", True, couplets=2) and dropped == []
    wulv, dropped = couplets.with_form("wulv")
    assert wulv.form() == parse_form("wulv") and len(dropped) == 2
    with pytest.raises(PoetError, match="there is no form named 'nope'"):
        choice.with_form("nope")
    with pytest.raises(PoetError, match="--metre counts a sonnet's syllables"):
        FormChoice.of("quatrain", metre=True)
    # Counts that str.isdigit() takes and int() does not are refused like any other bad count.
    for count in ("²", "9" * 5000, "٣"):  # only ASCII digits: a count is typed, not pasted from a script
        with pytest.raises(PoetError, match="needs a number of couplets between 1 and 500"):
            FormChoice.of(f"couplets:{count}")
    assert FormChoice.of("couplets:04").name == "couplets:4"


def test_cycling_visits_every_form_and_comes_back_to_free() -> None:
    choice, seen = FormChoice(couplets=4), []
    for _ in range(10):
        choice = choice.with_form(choice.next_name())[0]
        seen.append(choice.name)
    assert seen == ["wulv", "qilv", "wujue", "qijue", "sonnet", "haiku", "quatrain", "couplets:4", "free", "wulv"]


def test_a_refusal_names_the_setting_as_each_surface_does() -> None:
    message = "--metre counts a sonnet's syllables (9 to 11 a line); use it with --form sonnet."
    repl = {name: f":{name}" for name in ("form", "metre")}
    assert (
        in_words_of(message, repl) == ":metre counts a sonnet's syllables (9 to 11 a line); use it with :form sonnet."
    )


# ----- the `-i` REPL's form commands -----
@pytest.mark.parametrize(
    ("line", "message"),
    [
        (":form nope", "there is no form named 'nope'; choose one of free, wulv, qilv, wujue, qijue, sonnet, haiku, "
         "quatrain, couplets:N; it stays quatrain."),
        (":form couplets:0", "'couplets:0' needs a number of couplets between 1 and 500, e.g. couplets:4; it stays "
         "quatrain."),
        (":form", "':form' takes one of free, wulv, qilv, wujue, qijue, sonnet, haiku, quatrain, couplets:N; it stays "
         "quatrain."),
        (":acrostic LO", "a quatrain has 4 lines, so its acrostic needs 4 letters, not 2; it stays off."),
        (":acrostic 春夏秋冬", "an English acrostic takes letters only, e.g. :acrostic LOVE; it stays off."),
        (":acrostic", "':acrostic' takes the letters (e.g. LOVE) or characters (春夏秋冬), or off; it stays off."),
        (":metre on", ":metre counts a sonnet's syllables (9 to 11 a line); use it with :form sonnet; it stays off."),
        (":rhyme maybe", "':rhyme' takes on or off; it stays off."),
    ],
)  # fmt: skip
def test_a_refused_form_command_leaves_the_form_as_it_was(line: str, message: str) -> None:
    form = ReplForm(FormChoice.of("quatrain"))
    before = form.choice
    with pytest.raises(PoetError) as refused:
        apply_repl_command(line, SamplingSettings(), form)
    assert str(refused.value) == message
    assert form.choice == before


def test_form_commands_change_the_form_and_settings_show_it() -> None:
    settings, form = SamplingSettings(), ReplForm()
    assert apply_repl_command(":settings", settings, form).endswith("· form free")
    assert "form couplets:2 · a poem ends when its form is complete" in apply_repl_command(
        ":form couplets:2", settings, form
    )
    apply_repl_command(":acrostic LOVE", settings, form)
    apply_repl_command(":rhyme on", settings, form)
    assert form.choice == FormChoice("couplets:2", "LOVE", rhyme=True)
    assert "form couplets:2 (acrostic LOVE, rhyme)" in apply_repl_command(":settings", settings, form)
    answer = apply_repl_command(":form sonnet", settings, form)
    assert "acrostic off: a sonnet has 14 lines" in answer and form.choice.rhyme
    apply_repl_command(":rhyme off", settings, form)
    apply_repl_command(":form free", settings, form)
    assert form.choice.form() is None and "form free" in apply_repl_command(":settings", settings, form)
    assert ":form NAME|free" in apply_repl_command(":help", settings, form)


# ----- `poet generate -i` through stdin -----
def poem_after(stdout: str, prompt: str, nth: int = 0) -> str:
    """The prompt and its completion as the REPL printed them (the completion ends where its stats begin)."""
    start = [index for index in range(len(stdout)) if stdout.startswith("› " + prompt, index)][nth] + 2
    return stdout[start : stdout.index("\n[", start)]


def test_repl_writes_in_the_form_asked_for_and_keeps_it_after_a_bad_one(trained_run: Run) -> None:
    result = poet(
        "generate", trained_run.id, "-i", "--seed", "5",
        input_text=":form couplets:2\nThe\n:form nope\nA\n:quit\n",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "there is no form named 'nope'" in result.stdout and "it stays couplets:2." in result.stdout
    couplets = parse_form("couplets:2")
    assert couplets is not None
    for prompt in ("The", "A"):
        poem = poem_after(result.stdout, prompt)
        assert poem.startswith(prompt) and satisfies(poem, couplets), poem
    assert "Traceback" not in result.stdout + result.stderr


def test_repl_takes_form_flags_refuses_what_it_cannot_write_and_stays_up(trained_run: Run) -> None:
    result = poet(
        "generate", trained_run.id, "-i", "--form", "quatrain", "--acrostic", "LOVE", "--seed", "2",
        input_text="\n:form wulv\nThe\n:quit\n",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "form quatrain (acrostic LOVE)" in result.stdout.splitlines()[0]
    quatrain = FormChoice.of("quatrain", acrostic="LOVE").form()
    assert quatrain is not None and satisfies(poem_after(result.stdout, ""), quatrain)
    assert "acrostic off: the acrostic of a wulv is written in CJK characters" in result.stdout
    assert "this model never saw '，', '。', CJK characters, so it cannot write the form wulv." in result.stdout
    refused = poet("generate", trained_run.id, "-i", "--metre")
    assert refused.returncode == 2 and "--metre counts a sonnet's syllables" in refused.stderr


def test_repl_starts_in_the_form_most_of_the_corpus_is_in(trained_run: Run) -> None:
    files = trained_run.checkpoint("best")
    assert files is not None
    metadata = json.loads(files.metadata.read_text(encoding="utf-8"))
    files.metadata.write_text(json.dumps({**metadata, "forms": {"quatrain": 0.8}}), encoding="utf-8")
    result = poet("generate", trained_run.id, "-i", "--seed", "1", input_text="\n:form free\n:quit\n")
    assert result.returncode == 0, result.stderr
    assert "form quatrain" in result.stdout.splitlines()[0]
    assert "This model's corpus is mostly quatrain (80% of its poems)" in result.stdout
    quatrain = parse_form("quatrain")
    assert quatrain is not None and satisfies(poem_after(result.stdout, ""), quatrain)
    assert "› form free\n" in result.stdout
    # A form given on the command line wins over the corpus's.
    chosen = poet("generate", trained_run.id, "-i", "--form", "free", input_text=":quit\n")
    assert "form free" in chosen.stdout.splitlines()[0] and "mostly" not in chosen.stdout


def forcing_every_step() -> None:
    """In the child: every step counts as forced (the allowed tokens always hold less than twice the mass)."""
    import poet_tui.form_constraint

    poet_tui.form_constraint.FORCED_BELOW = 2.0


def test_repl_says_how_many_steps_the_form_forced(trained_run: Run) -> None:
    # --top-p below 1 sets the mask before every draw, so every step weighs the allowed share (the lazy draw,
    # without top-p, weighs it only where a draw breaks the form: how many do depends on the sampled text).
    result = poet(
        "generate", trained_run.id, "-i", "--form", "couplets:1", "--seed", "3", "--top-p", "0.999",
        input_text="The\n:quit\n", setup=forcing_every_step,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    stats = result.stdout[result.stdout.index("\n[") :]
    assert "steps forced by the form]" in stats
    plain = poet("generate", trained_run.id, "-i", "--seed", "3", input_text=":len 5\nThe\n:quit\n")
    assert "forced" not in plain.stdout
