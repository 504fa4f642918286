"""The `generate -i` REPL and the app's settings form never keep an invalid sampling setting: a refused value
leaves the previous one in place, and the refusal names the setting as that surface calls it."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Input

from poet_tui.app.sampling_form import FORM_NAMES, SamplingForm
from poet_tui.cli.generate_command import REPL_NAMES, apply_repl_command
from poet_tui.errors import PoetError
from poet_tui.sampling_settings import FLAG_NAMES, MAX_LENGTH, MAX_SEED, SamplingSettings


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (":temp -1", ":temp must be 0 (greedy) or more; it stays 0.80."),
        (":temp inf", ":temp must be a finite number, not inf; it stays 0.80."),
        (":temp nan", ":temp must be a finite number, not nan; it stays 0.80."),
        (":temp 1e999", ":temp must be a finite number, not inf; it stays 0.80."),
        (":temperature -0.5", ":temp must be 0 (greedy) or more; it stays 0.80."),
        (":temp", "':temp' needs a number, e.g. ':temp 0.7'; it stays 0.80."),
        (":temp warm", "':temp' needs a number, e.g. ':temp 0.7'; it stays 0.80."),
        (":len abc", "':len' needs a whole number, e.g. ':len 300'; it stays 200."),
        (":len 0", f":len must be between 1 and {MAX_LENGTH}; it stays 200."),
        (":len -3", f":len must be between 1 and {MAX_LENGTH}; it stays 200."),
        (":length 10000000", f":len must be between 1 and {MAX_LENGTH}; it stays 200."),
        (":len 2.5", "':len' needs a whole number, e.g. ':len 300'; it stays 200."),
        (":topk 1e999", "':topk' needs a whole number, e.g. ':topk 300'; it stays off."),
        (":topk -1", ":topk must be 0 (off) or more; it stays off."),
        (":topp 0", ":topp must be in (0, 1]; it stays 1.00."),
        (":topp 1.5", ":topp must be in (0, 1]; it stays 1.00."),
        (":topp nan", ":topp must be a finite number, not nan; it stays 1.00."),
        (":seed -1", f":seed must be between 0 and 2**63 - 1 ({MAX_SEED}); it stays random."),
        (f":seed {2**64}", f":seed must be between 0 and 2**63 - 1 ({MAX_SEED}); it stays random."),
        (":seed abc", "':seed' needs a whole number or off, e.g. ':seed 1'; it stays random."),
        (":poem maybe", "':poem' takes on or off; it stays on."),
        (":frobnicate 3", "unknown command ':frobnicate'; :help lists them."),
    ],
)
def test_a_refused_repl_command_keeps_every_setting(line: str, message: str) -> None:
    settings = SamplingSettings()
    before = asdict(settings)
    with pytest.raises(PoetError) as refused:
        apply_repl_command(line, settings)
    assert str(refused.value) == message
    assert asdict(settings) == before
    settings.validate()  # still usable for the next completion


def test_after_a_refusal_the_next_commands_work() -> None:
    settings = SamplingSettings()
    with pytest.raises(PoetError):
        apply_repl_command(":temp -1", settings)
    assert "temperature 0.50" in apply_repl_command(":temp 0.5", settings)
    with pytest.raises(PoetError, match=r"it stays 0\.50\.$"):
        apply_repl_command(":temp nan", settings)
    apply_repl_command(":len 40", settings)
    apply_repl_command(":topk 5", settings)
    apply_repl_command(":topp 0.9", settings)
    apply_repl_command(f":seed {MAX_SEED}", settings)
    apply_repl_command(":poem off", settings)
    assert settings == SamplingSettings(0.5, 5, 0.9, 40, MAX_SEED, False)
    assert "seed random" in apply_repl_command(":seed off", settings)
    assert settings.seed is None
    assert "top-k" in apply_repl_command(":settings", settings)


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("temperature", float("nan"), "must be a finite number, not nan."),
        ("temperature", float("inf"), "must be a finite number, not inf."),
        ("temperature", "0.8", "must be a finite number, not '0.8'."),
        ("temperature", True, "must be a finite number, not True."),
        ("top_k", 2.0, "must be a whole number, not 2.0."),
        ("top_k", None, "must be a whole number, not None."),
        ("top_p", float("-inf"), "must be a finite number, not -inf."),
        ("top_p", 10**400, f"must be a finite number, not {str(10**400)[:37]}...."),
        ("max_tokens", MAX_LENGTH + 1, f"must be between 1 and {MAX_LENGTH}."),
        ("max_tokens", "300", "must be a whole number, not '300'."),
        ("seed", MAX_SEED + 1, f"must be between 0 and 2**63 - 1 ({MAX_SEED})."),
        ("seed", False, "must be a whole number, not False."),
        ("stop_at_end_of_poem", "yes", "must be on or off."),
    ],
)
def test_each_surface_names_the_setting_its_own_way(field: str, value: Any, fragment: str) -> None:
    settings = SamplingSettings(**{field: value})
    for names in (FLAG_NAMES, REPL_NAMES, FORM_NAMES):
        assert settings.problem(names) == (field, f"{names[field]} {fragment}")
    with pytest.raises(PoetError, match=f"^{FLAG_NAMES[field]} "):
        settings.validate()
    with pytest.raises(PoetError, match=f"^{REPL_NAMES[field]} "):
        settings.validate(REPL_NAMES)


def test_good_settings_pass_at_their_limits() -> None:
    SamplingSettings(temperature=0, top_k=0, top_p=1, max_tokens=MAX_LENGTH, seed=MAX_SEED).validate()
    SamplingSettings(temperature=0.0, top_p=1e-9, max_tokens=1, seed=0, top_k=10**30).validate()


# ----- the app's settings form (F6) -----
class RecordingSettings(SamplingSettings):
    """Remembers every value any setting ever held: the generating thread may read at any moment."""

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        self.__dict__.setdefault("history", []).append((name, value))

    def every_state_was_valid(self) -> bool:
        replayed = SamplingSettings()
        for name, value in self.__dict__.get("history", []):
            setattr(replayed, name, value)
            if replayed.problem() is not None:
                return False
        return True


class FormApp(App[None]):
    def __init__(self, settings: SamplingSettings) -> None:
        super().__init__()
        self.settings = settings

    def compose(self) -> ComposeResult:
        yield SamplingForm(id="repl-settings")
        yield Input(id="elsewhere")

    def on_mount(self) -> None:
        self.query_one(SamplingForm).show(self.settings)


async def type_into(pilot: Any, key: str, text: str) -> None:
    """Focus the field and put the whole text in at once (as a paste does), so no prefix of it is stored first."""
    widget = pilot.app.query_one(f"#setting-{key}", Input)
    widget.focus()
    widget.value = text
    await pilot.pause()


@pytest.mark.parametrize(
    ("key", "text", "error"),
    [
        ("temperature", "-1", "Temp must be 0 (greedy) or more; it stays 0.80."),
        ("temperature", "1e999", "Temp must be a finite number, not inf; it stays 0.80."),
        ("temperature", "", "Temp needs a number; it stays 0.80."),
        ("top_p", "0", "Top-p must be in (0, 1]; it stays 1.00."),
        ("top_k", "-2", "Top-k must be 0 (off) or more; it stays off."),
        ("max_tokens", "0", f"Length must be between 1 and {MAX_LENGTH}; it stays 200."),
        ("seed", str(2**63), f"Seed must be between 0 and 2**63 - 1 ({MAX_SEED}); it stays random."),
    ],
)
def test_the_settings_form_keeps_the_previous_value_and_names_its_field(key: str, text: str, error: str) -> None:
    settings = RecordingSettings()
    before = asdict(settings)
    app = FormApp(settings)

    async def script() -> None:
        async with app.run_test() as pilot:
            form = app.query_one(SamplingForm)
            await type_into(pilot, key, text)
            assert form.error == error
            assert app.query_one(f"#setting-{key}", Input).has_class("-invalid")
            assert asdict(settings) == before
            assert settings.every_state_was_valid()
            # Leaving the field puts back the value in use; fixing it stores the fix.
            app.query_one("#elsewhere", Input).focus()
            await pilot.pause()
            assert form.error is None
            assert app.query_one(f"#setting-{key}", Input).value == form_text(before[key])
            await type_into(pilot, "temperature", "0.5")
            assert settings.temperature == 0.5 and form.error is None

    asyncio.run(script())


def form_text(value: Any) -> str:
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
