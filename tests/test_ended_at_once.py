"""A poem whose first token ends it is empty: `poet generate` (one poem, several, -i) says so in one sentence
with the way out, instead of printing an empty line for the user to puzzle over; a longer poem says nothing."""

from __future__ import annotations

from poet_tui.runs import Run
from poet_tui.sampling_settings import CompletionStats
from tests.helpers import always_end_at_once, poet


def test_only_a_poem_closed_by_its_first_token_ended_at_once() -> None:
    assert CompletionStats(tokens=1, stopped_at_end_of_poem=True).ended_at_once
    assert not CompletionStats(tokens=2, stopped_at_end_of_poem=True).ended_at_once
    assert not CompletionStats(tokens=1, stopped_at_end_of_poem=False).ended_at_once  # length 1 reached


def test_generate_says_why_a_poem_is_empty_and_how_to_go_on(trained_run: Run) -> None:
    result = poet("generate", trained_run.id, "--form", "free", setup=always_end_at_once)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "\n"
    assert "The model's first token ended the poem, so it wrote nothing" in result.stderr
    assert "another seed draws again" in result.stderr  # a fixed --seed would only draw the same again
    assert "--no-stop-at-end" in result.stderr and "Traceback" not in result.stderr

    several = poet("generate", trained_run.id, "--form", "free", "-n", "2", setup=always_end_at_once)
    assert several.returncode == 0, several.stderr
    assert "Poem 1: the model's first token" in several.stderr and "Poem 2: the model's first token" in several.stderr

    prompts = poet("generate", trained_run.id, "-i", "--form", "free", input_text="\n:quit\n", setup=always_end_at_once)
    assert prompts.returncode == 0, prompts.stderr
    assert "[1 token," in prompts.stdout
    assert "its first token ended the poem: another :seed, or :poem off]" in prompts.stdout


def test_a_poem_that_writes_on_says_nothing_of_the_kind(trained_run: Run) -> None:
    result = poet("generate", trained_run.id, "--no-stop-at-end", "--length", "5", "--form", "free")
    assert result.returncode == 0, result.stderr
    assert "first token ended" not in result.stderr and len(result.stdout) > 1

    written = poet(
        "generate", trained_run.id, "--form", "free", "--no-stop-at-end", "--length", "3", setup=always_end_at_once
    )
    assert written.returncode == 0 and "first token ended" not in written.stderr  # <eod> drawn, the stop off
