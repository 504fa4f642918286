"""Issue #17's horizons: poet-tui against the peers' own training loops at the same training seconds.

- horizons-wlm: pytorch/examples word_language_model (reference.py, its upstream defaults and its 650-unit tied
  model) against our engine on its 90/5/5 line split and its own tokens and yardstick (validation nats per
  character of the validation text). Ours trains once per horizon with that horizon as its budget (the cosine
  schedule ends there, as `poet train --max-minutes` does); theirs trains once and is read at every horizon.
- horizons-nanogpt: nanoGPT's CPU recipe (nanogpt_reference.py) against `--preset auto`'s char model for the
  same budget, on nanoGPT's shakespeare_char split, both scored on the same fixed 64-character windows.

Every clock leaves evaluation out. The ratios are ours over theirs: below 1 is ahead.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from poet_tui.bench.fresh_process import call_in_fresh_process
from poet_tui.bench.harness import (
    ColumnEvaluationTrainer,
    MemoryMeter,
    WindowedEvaluationTrainer,
    WindowedValidation,
    train_with_engine,
)
from poet_tui.bench.nanogpt_reference import NanoGPTSettings, train_nanogpt
from poet_tui.bench.reference import MEDIUM_TIED, UPSTREAM_DEFAULTS, ReferenceSettings, train_reference
from poet_tui.bench.texts import nanogpt_char_data, window_starts, windowed_loss, word_language_model_data
from poet_tui.budget_presets import auto_settings

if TYPE_CHECKING:
    from poet_tui.bench.cases import BenchContext

NANOGPT_BLOCK = 64  # the recipe's block_size: its estimate_loss scores windows this long


@dataclass(frozen=True)
class HorizonPlan:
    wlm_horizons_s: tuple[float, ...]
    nanogpt_horizons_s: tuple[float, ...]
    word_model: dict[str, Any]  # ours on word_language_model's tokens
    word_training: dict[str, Any]
    references: tuple[tuple[str, ReferenceSettings], ...] = (
        ("wlm-200", UPSTREAM_DEFAULTS),
        ("wlm-650-tied", MEDIUM_TIED),
    )
    nanogpt: NanoGPTSettings = field(default_factory=NanoGPTSettings)
    windows: int = 256  # fixed 64-char windows of nanoGPT's validation split, scored for both models
    char_override: dict[str, Any] | None = None  # quick profile: tiny char settings instead of the auto row


def horizons_wlm(context: BenchContext, meter: MemoryMeter) -> dict[str, Any]:
    from poet_tui.bench.cases import run_config

    plan = horizon_plan(context)
    data = word_language_model_data(context.text)
    ours: list[dict[str, Any]] = []
    for horizon in plan.wlm_horizons_s:
        config = run_config(context, plan.word_model, {**plan.word_training, **evaluate_once(horizon)}, kind="word")
        record = train_with_engine(config, data, context.home, time.monotonic(), ColumnEvaluationTrainer)
        meter.note_rss(record.largest_rss)
        best = record.best()
        steps = record.trainer.progress.step if record.trainer else 0
        nats = best.nats_per_char if best else None
        ours.append({"seconds": horizon, "nats_per_char": nats, "steps": steps})
    theirs: dict[str, list[dict[str, Any]]] = {}
    for name, settings in plan.references:
        budget = replace(settings, max_seconds=None, max_batches=None)
        result = call_in_fresh_process(train_reference, data, context.device, budget, plan.wlm_horizons_s)
        theirs[name] = [
            {"seconds": item.seconds, "epochs": item.epochs, "nats_per_char": item.validation_nats_per_char}
            for item in result.horizons
        ]
    rows = side_by_side(plan.wlm_horizons_s, ours, theirs)
    return summary(
        context,
        rows,
        "lower validation nats/char than word_language_model (2 x 200 and 2 x 650 tied) at every horizon",
        {
            "yardstick": "word_language_model's: its tokens (whitespace words + <eos>, vocabulary of all splits) and "
            "its evaluate (10 columns, state carried, 35-token pieces) for both, in nats per character of the "
            "validation text",
            "ours": {
                "model": plan.word_model,
                "training": plan.word_training,
                "tokenizer": "its words",
            },
            "vocab_size": data.tokenizer.vocab_size,
        },
    )


def horizons_nanogpt(context: BenchContext, meter: MemoryMeter) -> dict[str, Any]:
    from poet_tui.bench.cases import run_config

    plan = horizon_plan(context)
    data = nanogpt_char_data(context.text)
    starts = window_starts(data.validation_stream.numel(), plan.windows, NANOGPT_BLOCK, seed=1337)
    windowed = WindowedValidation(windows=plan.windows, length=NANOGPT_BLOCK, batch=64)
    trainer_class = type("NanoGPTYardstickTrainer", (WindowedEvaluationTrainer,), {"windowed": windowed})
    ours: list[dict[str, Any]] = []
    characters = int(data.train_stream.numel())
    for horizon in plan.nanogpt_horizons_s:
        model, training, label = char_settings(plan, horizon, characters)
        config = run_config(context, model, {**training, **evaluate_once(horizon)})
        record = train_with_engine(config, data, context.home, time.monotonic(), trainer_class)
        meter.note_rss(record.largest_rss)
        best = record.best()
        steps = record.trainer.progress.step if record.trainer else 0
        ours.append({"seconds": horizon, "nats_per_char": best.loss if best else None, "steps": steps, "row": label})
    # poet's char ids put <eod> at 0 before the alphabet; one less is nanoGPT's own ids (nanogpt_reference.py)
    their_train, their_validation = data.train_stream.long() - 1, data.validation_stream.long() - 1
    readings = train_nanogpt(
        their_train,
        their_validation,
        data.tokenizer.vocab_size - 1,
        plan.nanogpt,
        plan.nanogpt_horizons_s,
        lambda model: windowed_loss(model, their_validation, starts, NANOGPT_BLOCK, 64),
        context.device,
    )
    theirs = {
        "nanogpt": [
            {"seconds": item.seconds, "iterations": item.iterations, "nats_per_char": item.loss} for item in readings
        ]
    }
    rows = side_by_side(plan.nanogpt_horizons_s, ours, theirs)
    return summary(
        context,
        rows,
        "lower validation nats/char than nanoGPT's CPU recipe at every horizon",
        {
            "yardstick": f"mean loss over every position of {plan.windows} fixed random {NANOGPT_BLOCK}-char windows "
            "of nanoGPT's validation split (seed 1337), each read from a zero state: nanoGPT's estimate_loss on "
            "fixed windows",
            "ours": "--preset auto's char row for each budget" if plan.char_override is None else plan.char_override,
            "nanogpt": {
                "n_layer": plan.nanogpt.n_layer,
                "n_embd": plan.nanogpt.n_embd,
                "block": plan.nanogpt.block_size,
            },
        },
    )


def horizon_plan(context: BenchContext) -> HorizonPlan:
    plan = context.profile.horizons
    assert plan is not None, "every profile has a horizon plan"
    return plan


def evaluate_once(horizon_s: float) -> dict[str, Any]:
    """The horizon is the budget; one evaluation after it, outside it (as the references' clocks leave theirs out)."""
    return {"max_minutes": horizon_s / 60, "eval_every_seconds": None, "eval_every_steps": 10**9}


def char_settings(plan: HorizonPlan, horizon_s: float, characters: int) -> tuple[dict[str, Any], dict[str, Any], str]:
    """Model and training settings of our char run for one horizon: `--preset auto`'s row, as `poet train` would."""
    from poet_tui.bench.profiles import COMMON_TRAINING

    if plan.char_override is not None:
        return plan.char_override["model"], plan.char_override["training"], "quick"
    choice = auto_settings(horizon_s / 60, characters, "cpu")
    model = {key.removeprefix("model."): value for key, value in choice.settings.items() if key.startswith("model.")}
    training = {
        **COMMON_TRAINING,
        "random_windows": False,
        **{
            key.removeprefix("training."): value
            for key, value in choice.settings.items()
            if key.startswith("training.")
        },
    }
    return model, training, choice.sentence


def section_of(settings: dict[str, Any], section: str) -> dict[str, Any]:
    """`model.hidden_size: 384` → `hidden_size: 384`, for the keys of one section."""
    prefix = f"{section}."
    return {key.removeprefix(prefix): value for key, value in settings.items() if key.startswith(prefix)}


def side_by_side(
    horizons: tuple[float, ...], ours: list[dict[str, Any]], theirs: dict[str, list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    rows = []
    for index, horizon in enumerate(horizons):
        row: dict[str, Any] = {"horizon_s": horizon, "ours": ours[index]}
        for name, readings in theirs.items():
            reading = readings[index]
            row[name] = reading
            mine, other = ours[index]["nats_per_char"], reading["nats_per_char"]
            row[f"ratio_to_{name}"] = mine / other if mine is not None and other else None
        rows.append(row)
    return rows


def summary(context: BenchContext, rows: list[dict[str, Any]], target: str, details: dict[str, Any]) -> dict[str, Any]:
    ratios = [value for row in rows for key, value in row.items() if key.startswith("ratio_to_")]
    ahead = bool(ratios) and all(value is not None and value < 1 for value in ratios)
    last = rows[-1]["ours"] if rows else {}
    return {
        "best_val": last.get("nats_per_char"),
        "time_to_best_s": last.get("seconds"),
        "target": target,
        "target_met": None if context.profile.steps is not None else ahead,  # quick: tiny models, nothing to judge
        "details": {**details, "horizons": rows, "worst_ratio": max(ratios, default=None)},
    }
