"""The benchmark cases. Each returns its figures; `run_case` adds what every case reports (device, memory, time).

- char-quality: time to quality on the nanoGPT char split (issue #4, target 1).
- sample-char: single-stream sampling speed and first-token latency (target 3).
- batch-probe: the largest batch that fits (`--batch-size auto`, target 4).
- wlm-baseline: pytorch/examples word_language_model itself, on this device (the yardstick of target 2).
- wlm-throughput: our engine at word_language_model's model size and tokens (target 2, speed).
- wlm-quality-char / wlm-quality-spm: our tokenizers at word_language_model's wall clock (target 2, quality).
- sample-form: the cost of a form per token, against free sampling with the same model (issue #11).
- horizons-wlm / horizons-nanogpt: ours against the peers' own loops at 60, 150 and 300 s (issue #17, horizons.py).
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

from poet_tui.bench.form_case import sample_form
from poet_tui.bench.fresh_process import call_in_fresh_process
from poet_tui.bench.harness import (
    MemoryMeter,
    WindowedEvaluationTrainer,
    describe_device,
    train_with_engine,
)
from poet_tui.bench.horizons import horizons_nanogpt, horizons_wlm
from poet_tui.bench.profiles import (
    CHAR_TARGET_NATS,
    CHAR_TARGET_SECONDS,
    FIRST_TOKEN_TARGET_MS,
    REFERENCE_EPOCHS,
    REFERENCE_H100_NATS_PER_CHAR,
    REFERENCE_H100_TOKENS_PER_S,
    SAMPLE_TARGET_MS,
    THROUGHPUT_TARGET_RATIO,
    Profile,
)
from poet_tui.bench.reference import ReferenceResult, train_reference
from poet_tui.bench.texts import BenchText, nanogpt_char_data, word_language_model_data
from poet_tui.config import ModelConfig, RunConfig, TokenizerConfig, TrainingConfig
from poet_tui.corpus import Document
from poet_tui.device import probe_batch_size
from poet_tui.events import EventLog
from poet_tui.model import RNNLanguageModel
from poet_tui.options import TokenizerKind
from poet_tui.runs import RunStore
from poet_tui.sample import CompletionStats, SamplingSettings, stream_completion
from poet_tui.tokenizers import CharTokenizer
from poet_tui.trainer import Trainer

FIGURES = ("tokens_per_s", "ms_per_token", "best_val", "time_to_best_s")  # every case reports these (or null)


@dataclass
class BenchContext:
    device: torch.device
    profile: Profile
    text: BenchText
    home: Path  # a throw-away POET_HOME for the runs the cases train
    command_started: float  # time.monotonic() when `poet bench` started (imports included)
    reference: ReferenceResult | None = None  # set by wlm-baseline; wlm-quality-* use its wall clock
    cases_done: int = 0

    @property
    def on_h100_profile(self) -> bool:
        """The issue's absolute targets are H100 figures: judge them only for the GPU profile on a CUDA device."""
        return self.profile.name == "gpu" and self.device.type == "cuda"


def run_config(
    context: BenchContext, model: dict[str, Any], training: dict[str, Any], kind: TokenizerKind = "char"
) -> RunConfig:
    return RunConfig(
        corpus=context.text.name,
        tokenizer=TokenizerConfig(kind=kind),
        model=ModelConfig(vocab_size=0, **model),
        training=TrainingConfig(**{**training, "device": context.device.type}),
    )


def char_quality(context: BenchContext, meter: MemoryMeter) -> dict[str, Any]:
    profile = context.profile
    # "Within 60 s from the command's start": when this is the first case its clock starts with the process.
    clock = context.command_started if context.cases_done == 0 else time.monotonic()
    data = nanogpt_char_data(context.text)
    limit: dict[str, Any]
    if profile.steps is not None:  # quick: a number of steps, evaluated every few, whatever the machine's speed
        steps = profile.steps
        limit = {"max_steps": steps.char_steps, "eval_every_steps": steps.char_eval_every, "eval_every_seconds": None}
        budget = f"{steps.char_steps} steps"
    else:
        budget_s = profile.char_seconds - profile.char_eval_margin_s
        limit, budget = {"max_minutes": budget_s / 60}, f"{budget_s:.1f} s"
    config = run_config(context, profile.char_model, {**profile.char_training, **limit})
    trainer_class = type("CharQualityTrainer", (WindowedEvaluationTrainer,), {"windowed": profile.windows})
    record = train_with_engine(config, data, context.home, clock, trainer_class)
    meter.note_rss(record.largest_rss)
    best = record.best()
    in_budget = [item.loss for item in record.evaluations if item.seconds <= CHAR_TARGET_SECONDS]
    kept = record.kept_best_loss()
    return {
        "tokens_per_s": record.steady_tokens_per_s(),
        "best_val": best.loss if best else None,
        "time_to_best_s": best.seconds if best else None,
        "target": f"best val <= {CHAR_TARGET_NATS} nats/char within {CHAR_TARGET_SECONDS:.0f} s (H100)",
        "target_met": (bool(in_budget) and min(in_budget) <= CHAR_TARGET_NATS) if context.on_h100_profile else None,
        "details": {
            "unit": "nats/char, mean over random 256-char windows from a zero state",
            "validation_windows": profile.windows.windows,
            "vocab_size": data.tokenizer.vocab_size,
            "clock": "from the command's start" if clock == context.command_started else "from the case's start",
            "budget": budget,
            "best_within_60s": min(in_budget) if in_budget else None,
            "kept_best_checkpoint_val": kept,
            "kept_best_is_best": kept is not None and best is not None and abs(kept - best.loss) < 1e-4,
            "evaluations": [[round(item.seconds, 2), round(item.loss, 4)] for item in record.evaluations],
            "steps": record.trainer.progress.step if record.trainer else None,
            "model": profile.char_model,
            "training": {key: profile.char_training[key] for key in ("batch_size", "bptt", "learning_rate")},
            "precision": "bf16" if record.trainer and record.trainer.bf16 else "fp32",
            "train_characters": int(data.train_stream.numel()),
            "validation_characters": data.validation_characters,
        },
    }


def sample_char(context: BenchContext, meter: MemoryMeter) -> dict[str, Any]:
    profile = context.profile
    tokenizer = CharTokenizer.build([Document(context.text.text)])
    torch.manual_seed(0)
    config = ModelConfig(vocab_size=tokenizer.vocab_size, **profile.sample_model)
    model = RNNLanguageModel(config).to(context.device).eval()
    prompt = context.text.text[:64]
    settings = SamplingSettings(temperature=0.8, max_tokens=profile.sample_tokens, seed=1, stop_at_end_of_poem=False)
    "".join(stream_completion(model, tokenizer, prompt, replace(settings, max_tokens=50)))  # warm-up (and capture)
    per_token, first_token, stepper = [], [], ""
    for _ in range(profile.sample_repeats):
        stats = CompletionStats()
        "".join(stream_completion(model, tokenizer, prompt, settings, stats))
        assert stats.finished is not None and stats.first_token_seconds is not None
        rest = stats.finished - stats.started - stats.first_token_seconds
        per_token.append(1000 * rest / max(1, stats.tokens - 1))
        first_token.append(1000 * stats.first_token_seconds)
        stepper = stats.stepper
    ms_per_token = statistics.median(per_token)
    first_ms = statistics.median(first_token)
    target_ms = SAMPLE_TARGET_MS[context.device.type]
    applies = context.device.type == "cpu" or context.on_h100_profile
    met = ms_per_token <= target_ms and (context.device.type == "cpu" or first_ms <= FIRST_TOKEN_TARGET_MS)
    where = "2 CPU cores" if context.device.type == "cpu" else "H100"
    target = f"<= {target_ms} ms/token for a {config.num_layers}x{config.hidden_size} char LSTM on {where}"
    if context.device.type != "cpu":
        target += f", first token <= {FIRST_TOKEN_TARGET_MS:.0f} ms"
    return {
        "tokens_per_s": 1000 / ms_per_token,
        "ms_per_token": ms_per_token,
        "target": target,
        "target_met": met if applies else None,
        "details": {
            "first_token_ms": first_ms,
            "stepper": stepper,
            "model": profile.sample_model,
            "tokens": profile.sample_tokens,
            "repeats_ms_per_token": [round(value, 4) for value in per_token],
            "prompt_characters": len(prompt),
        },
    }


def batch_probe(context: BenchContext, meter: MemoryMeter) -> dict[str, Any]:
    profile = context.profile
    vocab = CharTokenizer.build([Document(context.text.text)]).vocab_size
    config = ModelConfig(vocab_size=vocab, **profile.char_model)
    bptt = int(profile.char_training["bptt"])
    probe = probe_batch_size(config, bptt, context.device, fraction=0.8)
    return {
        "target": "largest batch whose training step fits in 80% of free GPU memory",
        "target_met": None,
        "details": {
            "batch_size": probe.batch_size,
            "method": probe.method,
            "budget_bytes": probe.budget_bytes,
            "peak_bytes_at_batch": probe.peak_bytes,
            "trials": [list(trial) for trial in probe.trials],
            "model": profile.char_model,
            "bptt": bptt,
        },
    }


def wlm_baseline(context: BenchContext, meter: MemoryMeter) -> dict[str, Any]:
    data = word_language_model_data(context.text)
    result = call_in_fresh_process(train_reference, data, context.device, context.profile.reference)
    context.reference = result
    settings = context.profile.reference
    return {
        "tokens_per_s": result.tokens_per_s,
        "best_val": result.validation_nats_per_char,
        "time_to_best_s": result.wall_s,
        "target": f"reference: {REFERENCE_H100_TOKENS_PER_S:.0f} tokens/s, {REFERENCE_H100_NATS_PER_CHAR} nats/char "
        f"after {REFERENCE_EPOCHS} epochs on H100",
        "target_met": None,
        "details": {
            "what": "pytorch/examples word_language_model's model and loop, run here (reference.py)",
            "epochs": result.epochs,
            "validation_nats_per_token": result.validation_loss,
            "vocab_size": data.tokenizer.vocab_size,
            "model": {"size": settings.size, "layers": settings.layers, "tied": True, "dropout": settings.dropout},
            "batch_size": settings.batch_size,
            "bptt": settings.bptt,
            "wall_s": result.wall_s,
        },
    }


def wlm_throughput(context: BenchContext, meter: MemoryMeter) -> dict[str, Any]:
    """Our Trainer's own step, timed after a warm-up, at word_language_model's model size and tokens."""
    profile, settings = context.profile, context.profile.reference
    data = word_language_model_data(context.text)
    model = {
        "embedding_size": settings.size,
        "hidden_size": settings.size,
        "num_layers": settings.layers,
        "dropout": settings.dropout,
        "tied": True,
    }
    training = {"batch_size": profile.ours_word_batch, "bptt": settings.bptt, "max_steps": 10**9, "warmup_steps": 0}
    config = run_config(context, model, training, kind="word")
    config.model.vocab_size = data.tokenizer.vocab_size
    run, lock = RunStore(context.home / "runs").create(config, context.text.name)
    lock.release()  # the bench's own private store: nothing else trains there
    trainer = Trainer(config, run, data, EventLog(None), lambda: False, time.monotonic())
    for _ in range(3):  # cuDNN autotuning, allocator growth, first AdamW step
        trainer.train_step()
    float(trainer.loss_sum.item())
    started, tokens_before, steps_before = time.perf_counter(), trainer.progress.tokens, trainer.progress.step
    timed_steps = profile.steps.throughput_steps if profile.steps is not None else None
    while (
        trainer.progress.step - steps_before < timed_steps
        if timed_steps is not None
        else time.perf_counter() - started < profile.ours_word_seconds
    ):
        trainer.train_step()
    float(trainer.loss_sum.item())  # waits for the GPU
    seconds = time.perf_counter() - started
    tokens_per_s = (trainer.progress.tokens - tokens_before) / seconds
    baseline = context.reference.tokens_per_s if context.reference else None
    return {
        "tokens_per_s": tokens_per_s,
        "target": f">= {THROUGHPUT_TARGET_RATIO:.0f}x word_language_model's tokens/s at its model size "
        f"(H100: >= {THROUGHPUT_TARGET_RATIO * REFERENCE_H100_TOKENS_PER_S:.0f})",
        "target_met": tokens_per_s >= THROUGHPUT_TARGET_RATIO * REFERENCE_H100_TOKENS_PER_S
        if context.on_h100_profile
        else None,
        "details": {
            "ratio_to_baseline_here": tokens_per_s / baseline if baseline else None,
            "ratio_to_h100_reference": tokens_per_s / REFERENCE_H100_TOKENS_PER_S,
            "batch_size": profile.ours_word_batch,
            "precision": "bf16" if trainer.bf16 else "fp32",
            "steps_timed": trainer.progress.step - 3,
            "seconds_timed": seconds,
            "model": model,
            "vocab_size": data.tokenizer.vocab_size,
        },
    }


def equal_wall_clock(context: BenchContext) -> tuple[float, str]:
    """word_language_model's wall clock: measured here by wlm-baseline, else derived from the H100 figures."""
    if context.reference is not None:
        return context.reference.wall_s, "wlm-baseline measured here"
    train_tokens = word_language_model_data(context.text).train_stream.numel()
    return REFERENCE_EPOCHS * train_tokens / REFERENCE_H100_TOKENS_PER_S, "6 epochs at 83k tokens/s (H100 figures)"


def wlm_quality(tokenizer: TokenizerKind) -> Callable[[BenchContext, MemoryMeter], dict[str, Any]]:
    def case(context: BenchContext, meter: MemoryMeter) -> dict[str, Any]:
        profile = context.profile
        data = word_language_model_data(context.text, tokenizer, spm_vocab_size=profile.spm_vocab_size)
        budget: float | None
        if profile.steps is not None:  # quick: a number of steps, not a clock that a loaded machine would shrink
            budget, source = None, f"{profile.steps.quality_steps} steps (quick profile)"
            limit: dict[str, Any] = {"max_steps": profile.steps.quality_steps}
        else:
            budget, source = equal_wall_clock(context)
            limit = {"max_minutes": budget / 60}
        training = {**profile.char_training, **profile.quality_training, **limit}
        training["eval_every_seconds"] = None  # one evaluation, at the end of the budget
        config = run_config(context, profile.char_model, training, kind=tokenizer)
        record = train_with_engine(config, data, context.home, time.monotonic())
        meter.note_rss(record.largest_rss)
        best = record.best()
        nats_per_char = best.nats_per_char if best else None
        if profile.steps is not None:  # the target is at equal wall clock: a step budget has nothing to compare
            yardstick = None
        elif context.reference is not None:
            yardstick = context.reference.validation_nats_per_char
        else:
            yardstick = REFERENCE_H100_NATS_PER_CHAR if context.on_h100_profile else None
        return {
            "tokens_per_s": record.steady_tokens_per_s(),
            "best_val": nats_per_char,
            "time_to_best_s": best.seconds if best else None,
            "target": "lower validation nats/char than word_language_model at equal wall clock",
            "target_met": None if yardstick is None or nats_per_char is None else nats_per_char < yardstick,
            "details": {
                "tokenizer": tokenizer,
                "vocab_size": data.tokenizer.vocab_size,
                "budget_s": budget,
                "budget_from": source,
                "compared_with_nats_per_char": yardstick,
                "validation_nats_per_token": best.loss if best else None,
                "model": profile.char_model,
                "steps": record.trainer.progress.step if record.trainer else None,
            },
        }

    return case


CASES: dict[str, Callable[[BenchContext, MemoryMeter], dict[str, Any]]] = {
    "char-quality": char_quality,
    "sample-char": sample_char,
    "batch-probe": batch_probe,
    "wlm-baseline": wlm_baseline,
    "wlm-throughput": wlm_throughput,
    "wlm-quality-char": wlm_quality("char"),
    "wlm-quality-spm": wlm_quality("spm"),
    "sample-form": sample_form,
    "horizons-wlm": horizons_wlm,
    "horizons-nanogpt": horizons_nanogpt,
}
CASE_NAMES = tuple(CASES)


def run_case(name: str, context: BenchContext) -> dict[str, Any]:
    """One case, with the fields every case reports in the same order (None where a figure does not apply)."""
    started = time.monotonic()
    meter = MemoryMeter.start(context.device)
    fields = CASES[name](context, meter)
    memory = meter.result()
    result: dict[str, Any] = {"case": name, **describe_device(context.device), "profile": context.profile.name}
    for key in FIGURES:
        result[key] = rounded(fields.pop(key, None))
    result.update(memory)
    result["wall_s"] = round(time.monotonic() - started, 2)
    result["target"] = fields.pop("target", None)
    result["target_met"] = fields.pop("target_met", None)
    result["corpus"] = context.text.name
    result["details"] = {key: rounded(value) for key, value in fields.pop("details", {}).items()}
    context.cases_done += 1
    return result


def rounded(value: Any) -> Any:
    if isinstance(value, float):  # JSON has no NaN: a figure that could not be measured is null
        return round(value, 5 if abs(value) < 100 else 1) if math.isfinite(value) else None
    return value
