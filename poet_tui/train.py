"""Starting and resuming training runs: corpus → tokenizer → token streams → a run directory → the loop.

The loop itself is trainer.py; this module decides what data and which checkpoint it starts from.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from poet_tui.atomic import atomic_write_text, remove_stale_temp_files
from poet_tui.checkpoint import CheckpointFiles, settle_checkpoint_directory
from poet_tui.combined_corpus import recorded_parts, run_corpus
from poet_tui.config import RunConfig, save_run_config
from poet_tui.corpus import Corpus, corpus_fingerprint, guess_language
from poet_tui.corpus_mixture import training_split
from poet_tui.corpus_registry import find_corpus, resolve_corpus
from poet_tui.data import require_one_batch
from poet_tui.device import device_label, probe_batch_size, require_model_fits, resolve_device, use_bf16
from poet_tui.errors import PoetError
from poet_tui.events import EventLog
from poet_tui.form_adherence import corpus_forms
from poet_tui.options import DEFAULT_BUDGET_MINUTES
from poet_tui.overlap import OverlapIndex
from poet_tui.run_lock import RunLock
from poet_tui.runs import Run, RunStore
from poet_tui.sample_novelty import built_index
from poet_tui.tokenizers import (
    Tokenizer,
    build_tokenizer,
    count_characters,
    encode_documents,
    load_tokenizer,
)
from poet_tui.trainer import Trainer


@dataclass
class PreparedData:
    """The corpus as the model sees it: token streams, the character count bits/char divides by, the share
    of the training poems in each known form (what form adherence is measured against), and the overlap index
    of the training text (what a sample's novelty is measured against; None: no novelty is reported)."""

    corpus: Corpus
    tokenizer: Tokenizer
    train_stream: torch.Tensor
    validation_stream: torch.Tensor
    validation_characters: int
    forms: dict[str, float] = field(default_factory=dict)
    overlap: OverlapIndex | None = None


def prepare_data(config: RunConfig, corpus: Corpus, tokenizer: Tokenizer | None = None) -> PreparedData:
    """A combined corpus's training text is an epoch drawn by weight (corpus_mixture.py); the tokenizer still
    learns from every part."""
    split = training_split(corpus, config.training.validation_fraction, config.seed)
    if tokenizer is None:
        tokenizer = build_tokenizer(
            config.tokenizer.kind,
            split.vocabulary,
            corpus.documents,
            vocab_size=config.tokenizer.vocab_size,
            min_count=config.tokenizer.min_count,
            spm_model_type=config.tokenizer.spm_model,
            language=guess_language(corpus.documents),
        )
    return PreparedData(
        corpus=corpus,
        tokenizer=tokenizer,
        train_stream=torch.tensor(encode_documents(tokenizer, split.train), dtype=torch.int32),
        validation_stream=torch.tensor(encode_documents(tokenizer, split.validation), dtype=torch.int32),
        validation_characters=count_characters(split.validation),
        forms=corpus_forms([document.text for document in split.train]),
        overlap=built_index(split.indexed_texts),
    )


def choose_batch_size(config: RunConfig, data: PreparedData) -> str:
    """`--batch-size auto`: probe once; run.toml then records the number, so a resume does not probe again."""
    training = config.training
    device = resolve_device(training.device)
    most = max(1, (data.train_stream.numel() - 1) // (training.bptt + 1))
    probe = probe_batch_size(
        config.model, training.bptt, device, fraction=0.8, bf16=use_bf16(device, training.precision), limit=most
    )
    training.batch_size = probe.batch_size
    training.auto_batch_size = False
    return f"--batch-size auto chose {probe.batch_size} ({probe.method})"


def apply_default_budget(config: RunConfig) -> None:
    training = config.training
    if training.max_steps is None and training.max_minutes is None and training.epochs is None:
        training.max_minutes = DEFAULT_BUDGET_MINUTES


def train(
    config: RunConfig,
    listener: Callable[[dict[str, Any]], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    store: RunStore | None = None,
) -> tuple[Run, str]:
    """Start a new run; returns the run and why it ended (a `done` reason)."""
    start_time = time.monotonic()
    config.validate()
    apply_default_budget(config)
    events = EventLog(None, listener)
    try:
        resolve_device(config.training.device)
        corpus = resolve_corpus(config.corpus)
        if find_corpus(config.corpus) is None:
            config.corpus = corpus.source  # a path: keep it absolute so resuming works from any directory
        config.corpus_source = corpus.source
        config.corpus_fingerprint = corpus_fingerprint(corpus)
        config.corpus_parts, config.corpus_part_fingerprints = recorded_parts(corpus)
        data = prepare_data(config, corpus)
        config.model.vocab_size = data.tokenizer.vocab_size
        require_model_fits(config.model, resolve_device(config.training.device), "the model the flags ask for")
        batch_notice = choose_batch_size(config, data) if config.training.auto_batch_size else None
        # Refuse a corpus smaller than one batch before anything is written.
        require_one_batch(data.train_stream.numel(), config.training.batch_size, config.training.bptt)
        run, lock = (store or RunStore()).create(config, corpus.name)
    except PoetError as error:
        events.emit("error", message=str(error))
        raise
    try:
        data.tokenizer.save(run.directory)
        events.attach(run.metrics_path)
    except (OSError, PoetError) as error:
        lock.release()
        shutil.rmtree(run.directory, ignore_errors=True)  # a run that never started leaves nothing behind
        message = error_sentence(error, f"could not set up run {run.id}")
        events.emit("error", message=message)
        raise PoetError(message) from None
    if batch_notice:
        events.emit("notice", kind="batch_size", batch_size=config.training.batch_size, message=batch_notice)
    return run, execute(config, run, lock, data, events, should_stop, start_time, resume_from=None)


def error_sentence(error: OSError | PoetError, what: str) -> str:
    if isinstance(error, PoetError):
        return str(error)
    return f"{what} ({error.strerror or error}); free some space or make the data home writable, then try again."


def resume(
    run: Run,
    listener: Callable[[dict[str, Any]], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    budget_overrides: dict[str, Any] | None = None,
) -> str:
    """Continue a run from its latest checkpoint: weights, optimizer, schedule, RNG, data position and step."""
    start_time = time.monotonic()
    events = EventLog(None, listener)
    lock: RunLock | None = None
    try:
        lock = run.lock()  # before anything is read: one run, one trainer
        run.require_no_links()
        config = run.config()
        for key, value in (budget_overrides or {}).items():
            setattr(config.training, key, value)
        config.validate()
        files = run.checkpoint("latest")
        if files is None:
            raise PoetError(f"run {run.id} has no 'latest' checkpoint to resume from; start a new run instead.")
        corpus = run_corpus(config, run.id, ", so it cannot continue exactly; start a new run on it instead.")
        if config.corpus_fingerprint and corpus_fingerprint(corpus) != config.corpus_fingerprint:
            raise PoetError(
                f"the corpus '{config.corpus}' has changed since run {run.id} started, so it cannot continue "
                "exactly; start a new run on it instead."
            )
        require_model_fits(config.model, resolve_device(config.training.device), str(run.config_path))
        data = prepare_data(config, corpus, load_tokenizer(run.directory))
        events.attach(run.metrics_path)
    except (PoetError, OSError) as error:
        if lock is not None:
            lock.release()
        message = error_sentence(error, f"could not open run {run.id}")
        events.emit("error", message=message)
        raise PoetError(message) from None
    return execute(
        config, run, lock, data, events, should_stop, start_time, resume_from=files, save_config=bool(budget_overrides)
    )


def execute(
    config: RunConfig,
    run: Run,
    lock: RunLock,
    data: PreparedData,
    events: EventLog,
    should_stop: Callable[[], bool],
    start_time: float,
    resume_from: CheckpointFiles | None,
    save_config: bool = False,
) -> str:
    """Train while holding the run's lock; the lock (and the pid file beside it) go when this returns."""
    try:
        atomic_write_text(run.pid_path, str(os.getpid()))
        remove_stale_temp_files(run.directory, run.checkpoints_dir)
        settle_checkpoint_directory(run.checkpoints_dir)
        trainer = Trainer(config, run, data, events, should_stop, start_time)
        if resume_from is not None:
            trainer.restore(resume_from)
            reached = trainer.budget_reason()
            if reached is not None:
                raise PoetError(already_reached(run, reached, trainer.progress.step))
            if save_config:
                save_run_config(config, run.config_path)  # only once the new budget is known to be usable
        events.emit(
            "start",
            run=run.id,
            time=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            device=device_label(trainer.device),
            params=trainer.model.parameter_count(),
            config=config.to_dict(),
            precision="bf16" if trainer.bf16 else "fp32",
            train_tokens=int(data.train_stream.numel()),
            validation_tokens=int(data.validation_stream.numel()),
            validation_characters=data.validation_characters,
            tokens_per_epoch=trainer.batches.tokens_per_epoch,
            resumed_from_step=trainer.progress.step if resume_from is not None else None,
            run_dir=str(run.directory),
            forms=data.forms,
        )
        if resume_from is None:
            # A step-0 checkpoint: a run killed before its first evaluation can still resume, and a NaN
            # before then has a good state to roll back to.
            trainer.checkpoint("latest", "latest", None, None, with_state=True)
        reason = trainer.run_loop()
        events.emit(
            "done", step=trainer.progress.step, reason=reason, best_val_loss=trainer.progress.best_validation_loss
        )
        return reason
    except PoetError as error:
        events.emit("error", message=str(error))
        raise
    except OSError as error:
        message = error_sentence(error, f"run {run.id} could not write to {run.directory}")
        events.emit("error", message=message)
        raise PoetError(message) from None
    except Exception as error:
        events.emit("error", message=f"training failed unexpectedly: {type(error).__name__}: {error}")
        raise
    finally:
        events.close()
        with contextlib.suppress(OSError):
            run.pid_path.unlink(missing_ok=True)
        lock.release()


BUDGET_FLAGS = {"max_steps": "--max-steps", "max_minutes": "--max-minutes", "epochs": "--epochs"}


def already_reached(run: Run, reason: str, step: int) -> str:
    flag = BUDGET_FLAGS.get(reason, "--max-steps, --max-minutes or --epochs")
    return (
        f"run {run.id} already reached its budget ({reason.replace('_', ' ')}, at step {step}); "
        f"give a larger {flag} to continue it."
    )
