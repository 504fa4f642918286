"""The training loop: stateful truncated BPTT, AdamW, evaluation, samples, checkpoints and events.

Everything a reader needs to follow a run goes out as events (see events.py); the loop never prints.
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as functional

from poet_tui.checkpoint import CheckpointFiles, load_model, read_metadata, read_tensor_file, save_checkpoint
from poet_tui.config import RunConfig, save_run_config
from poet_tui.corpus import Corpus, split_documents
from poet_tui.corpus_registry import find_corpus, resolve_corpus
from poet_tui.data import RandomWindows, StatefulBatches, evaluation_threads
from poet_tui.device import device_label, memory_snapshot, resolve_device, use_bf16
from poet_tui.errors import PoetError
from poet_tui.events import EventLog
from poet_tui.model import RNNLanguageModel, RNNState, detach_state
from poet_tui.runs import Run, RunStore
from poet_tui.sample import SamplingSettings, complete
from poet_tui.schedule import PlateauState, learning_rate, training_progress
from poet_tui.tokenizers import (
    Tokenizer,
    build_tokenizer,
    count_characters,
    encode_documents,
    load_tokenizer,
)
from poet_tui.training_state import (
    optimizer_to_tensors,
    random_state_tensors,
    restore_optimizer,
    restore_random_state,
    rnn_state_from_tensors,
    rnn_state_to_tensors,
)

EVALUATION_THREADS = 64
DEFAULT_MAX_MINUTES = 10.0


def corpus_fingerprint(corpus: Corpus) -> str:
    digest = hashlib.sha256()
    for document in corpus.documents:
        digest.update(document.text.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


@dataclass
class PreparedData:
    """The corpus as the model sees it: token streams and the character count bits/char divides by."""

    corpus: Corpus
    tokenizer: Tokenizer
    train_stream: torch.Tensor
    validation_stream: torch.Tensor
    validation_characters: int


def prepare_data(config: RunConfig, corpus: Corpus, tokenizer: Tokenizer | None = None) -> PreparedData:
    split = split_documents(corpus.documents, config.training.validation_fraction, config.seed)
    if tokenizer is None:
        tokenizer = build_tokenizer(
            config.tokenizer.kind,
            split.train,
            corpus.documents,
            vocab_size=config.tokenizer.vocab_size,
            min_count=config.tokenizer.min_count,
            spm_model_type=config.tokenizer.spm_model,
            language=corpus.stats().language,
        )
    return PreparedData(
        corpus=corpus,
        tokenizer=tokenizer,
        train_stream=torch.tensor(encode_documents(tokenizer, split.train), dtype=torch.int32),
        validation_stream=torch.tensor(encode_documents(tokenizer, split.validation), dtype=torch.int32),
        validation_characters=count_characters(split.validation),
    )


@dataclass
class Progress:
    """Counters that, with the tensors of training_state.py, let a resumed run continue exactly."""

    step: int = 0
    tokens: int = 0
    elapsed_seconds: float = 0.0
    best_validation_loss: float | None = None
    evaluations_without_improvement: int = 0
    last_evaluation_step: int = -1
    epoch: int = 0
    offset: int = 0
    windows_drawn: int = 0
    logged_steps: int = 0
    plateau: PlateauState = field(default_factory=PlateauState)

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["plateau"] = dict(self.plateau.__dict__)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Progress:
        values = dict(data)
        values["plateau"] = PlateauState(**values.get("plateau", {}))
        known = set(cls.__dataclass_fields__)
        return cls(**{key: value for key, value in values.items() if key in known})


class Trainer:
    def __init__(
        self,
        config: RunConfig,
        run: Run,
        data: PreparedData,
        events: EventLog,
        should_stop: Callable[[], bool],
        start_time: float,
    ) -> None:
        self.config = config
        self.training = config.training
        self.run = run
        self.data = data
        self.events = events
        self.should_stop = should_stop
        self.start_time = start_time
        self.device = resolve_device(self.training.device)
        self.bf16 = use_bf16(self.device, self.training.precision)
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True
        torch.manual_seed(config.seed)
        config.model.vocab_size = data.tokenizer.vocab_size
        self.model = RNNLanguageModel(config.model).to(self.device)
        self.optimizer = torch.optim.AdamW(
            self.model.parameters(),
            lr=self.training.learning_rate,
            weight_decay=self.training.weight_decay,
            betas=(0.9, 0.99),
            fused=self.device.type == "cuda",
        )
        if self.training.random_windows:
            self.batches: StatefulBatches | RandomWindows = RandomWindows(
                data.train_stream, self.training.batch_size, self.training.bptt, self.device, config.seed
            )
        else:
            self.batches = StatefulBatches(data.train_stream, self.training.batch_size, self.training.bptt, self.device)
        inputs, targets, mask = evaluation_threads(data.validation_stream, EVALUATION_THREADS)
        self.validation = (inputs.to(self.device), targets.to(self.device), mask.to(self.device))
        self.progress = Progress()
        self.rnn_state: RNNState | None = None
        self.loss_sum = torch.zeros((), device=self.device)
        self.previous_elapsed = 0.0
        self.base_tokens_per_s_mark = (time.perf_counter(), 0)

    # ----- resuming -----
    def restore(self, files: CheckpointFiles) -> None:
        metadata = read_metadata(files)
        if not metadata.get("has_training_state"):
            raise PoetError(f"{files.metadata} has no training state to resume from; resume from 'latest'.")
        model, _ = load_model(files, self.device)
        if model.config.vocab_size != self.data.tokenizer.vocab_size:
            raise PoetError(
                f"the checkpoint's vocabulary ({model.config.vocab_size}) does not match the run's tokenizer "
                f"({self.data.tokenizer.vocab_size}); it belongs to another run."
            )
        self.model.load_state_dict(model.state_dict())
        tensors = read_tensor_file(files.training_state, metadata["step"])
        restore_optimizer(self.optimizer, tensors, metadata["training"]["optimizer_groups"])
        restore_random_state(tensors, self.device)
        self.rnn_state = rnn_state_from_tensors(tensors, self.device)
        self.loss_sum = tensors.get("loss_sum", torch.zeros(())).to(self.device)
        self.progress = Progress.from_dict(metadata["training"]["progress"])
        self.previous_elapsed = self.progress.elapsed_seconds
        if isinstance(self.batches, StatefulBatches):
            self.batches.position.epoch = self.progress.epoch
            self.batches.position.offset = self.progress.offset
        else:
            self.batches.windows_drawn = self.progress.windows_drawn
            if "rng.windows" in tensors:
                self.batches.generator.set_state(tensors["rng.windows"])

    # ----- the loop -----
    def elapsed(self) -> float:
        return self.previous_elapsed + (time.monotonic() - self.start_time)

    def epoch_progress(self) -> float:
        return self.batches.epoch_progress()

    def budget_reason(self) -> str | None:
        training, progress = self.training, self.progress
        if training.max_steps is not None and progress.step >= training.max_steps:
            return "max_steps"
        if training.epochs is not None and self.epoch_progress() >= training.epochs:
            return "epochs"
        if training.max_minutes is not None and self.elapsed() >= training.max_minutes * 60:
            return "max_minutes"
        return None

    def autocast(self) -> Any:
        return torch.autocast("cuda", dtype=torch.bfloat16) if self.bf16 else nullcontext()

    def train_step(self) -> None:
        inputs, targets, starts_fresh = self.batches.next_window()
        if starts_fresh or self.rnn_state is None:
            self.rnn_state = self.model.initial_state(inputs.shape[0], self.device)
        progress_fraction = training_progress(self.training, self.progress.step, self.epoch_progress(), self.elapsed())
        rate = learning_rate(self.training, self.progress.step, progress_fraction, self.progress.plateau)
        for group in self.optimizer.param_groups:
            group["lr"] = rate
        with self.autocast():
            logits, state = self.model(inputs, self.rnn_state)
            loss = functional.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1))
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.training.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.training.grad_clip)
        self.optimizer.step()
        self.rnn_state = detach_state(state)
        self.loss_sum += loss.detach()
        self.progress.step += 1
        self.progress.logged_steps += 1
        self.progress.tokens += targets.numel()
        self.current_lr = rate

    def log_step(self) -> None:
        """One host sync per log interval: read the accumulated loss, report speed and memory."""
        now = time.perf_counter()
        mark_time, mark_tokens = self.base_tokens_per_s_mark
        loss = float(self.loss_sum.item()) / max(1, self.progress.logged_steps)
        tokens_per_s = (self.progress.tokens - mark_tokens) / max(1e-9, now - mark_time)
        self.events.emit(
            "step",
            step=self.progress.step,
            epoch=round(self.epoch_progress(), 4),
            tokens=self.progress.tokens,
            loss=round(loss, 5),
            lr=self.current_lr,
            tokens_per_s=round(tokens_per_s, 1),
            elapsed_s=round(self.elapsed(), 2),
            mem=memory_snapshot(self.device),
        )
        self.loss_sum.zero_()
        self.progress.logged_steps = 0
        self.base_tokens_per_s_mark = (now, self.progress.tokens)

    @torch.no_grad()
    def evaluate(self) -> tuple[float, float]:
        """Loss over the whole validation split: nats per token, and bits per character of its text."""
        self.model.eval()
        inputs, targets, mask = self.validation
        state = self.model.initial_state(inputs.shape[0], self.device)
        total = torch.zeros((), device=self.device, dtype=torch.float64)
        window = max(self.training.bptt, 64)
        for start in range(0, inputs.shape[1], window):
            with self.autocast():
                logits, state = self.model(inputs[:, start : start + window], state)
            losses = functional.cross_entropy(
                logits.float().reshape(-1, logits.shape[-1]),
                targets[:, start : start + window].reshape(-1),
                reduction="none",
            )
            total += (losses * mask[:, start : start + window].reshape(-1)).sum().double()
        self.model.train()
        total_nats = float(total.item())
        predicted = int(mask.sum().item())
        return total_nats / predicted, bits_per_character(total_nats, self.data.validation_characters)

    def checkpoint(
        self, stem: str, kind: str, validation_loss: float | None, validation_bpc: float | None, with_state: bool
    ) -> None:
        files = CheckpointFiles(self.run.checkpoints_dir, stem)
        self.progress.elapsed_seconds = self.elapsed()
        if isinstance(self.batches, StatefulBatches):
            self.progress.epoch = self.batches.position.epoch
            self.progress.offset = self.batches.position.offset
        else:
            self.progress.windows_drawn = self.batches.windows_drawn
        metadata: dict[str, Any] = {
            "step": self.progress.step,
            "kind": kind,
            "epoch": round(self.epoch_progress(), 4),
            "val_loss": validation_loss,
            "val_bpc": validation_bpc,
            "corpus": self.config.corpus,
            "tokenizer": self.config.tokenizer.kind,
            "vocab_size": self.data.tokenizer.vocab_size,
            "run": self.run.id,
        }
        tensors = None
        if with_state:
            optimizer_tensors, groups = optimizer_to_tensors(self.optimizer)
            tensors = {
                **optimizer_tensors,
                **random_state_tensors(self.device),
                **rnn_state_to_tensors(self.rnn_state),
                "loss_sum": self.loss_sum,
            }
            if isinstance(self.batches, RandomWindows):
                tensors["rng.windows"] = self.batches.generator.get_state()
            metadata["training"] = {"progress": self.progress.to_dict(), "optimizer_groups": groups}
        save_checkpoint(files, self.model, metadata, tensors)
        self.events.emit("checkpoint", step=self.progress.step, kind=kind, path=str(files.weights))

    def evaluate_and_save(self) -> bool:
        """Evaluate, keep the best apart from the latest, show a sample; True when early stopping says stop."""
        validation_loss, validation_bpc = self.evaluate()
        progress = self.progress
        improved = progress.best_validation_loss is None or validation_loss < progress.best_validation_loss
        if improved:
            progress.best_validation_loss = validation_loss
            progress.evaluations_without_improvement = 0
        else:
            progress.evaluations_without_improvement += 1
        if self.training.schedule == "plateau":
            progress.plateau.observe(improved)
        progress.last_evaluation_step = progress.step
        self.events.emit(
            "eval",
            step=progress.step,
            val_loss=round(validation_loss, 5),
            val_ppl=round(math.exp(min(validation_loss, 50.0)), 3),
            val_bpc=round(validation_bpc, 5),
            best=improved,
        )
        if improved:
            self.checkpoint("best", "best", validation_loss, validation_bpc, with_state=False)
        self.checkpoint("latest", "latest", validation_loss, validation_bpc, with_state=True)
        settings = SamplingSettings(
            temperature=0.8, max_tokens=self.training.sample_length, seed=self.config.seed + progress.step
        )
        self.events.emit("sample", step=progress.step, text=complete(self.model, self.data.tokenizer, "", settings))
        patience = self.training.patience
        return patience is not None and progress.evaluations_without_improvement >= patience

    def run_loop(self) -> str:
        training = self.training
        last_evaluation_time = time.monotonic()
        self.model.train()
        while True:
            reason = self.budget_reason()
            if reason is not None:
                if self.progress.last_evaluation_step != self.progress.step:
                    self.evaluate_and_save()
                return reason
            if self.should_stop():
                self.checkpoint("latest", "latest", None, None, with_state=True)
                return "stopped"
            self.train_step()
            step = self.progress.step
            if step % training.log_every_steps == 0:
                self.log_step()
            due_by_time = training.eval_every_seconds is not None and (
                time.monotonic() - last_evaluation_time >= training.eval_every_seconds
            )
            if step % training.eval_every_steps == 0 or due_by_time:
                last_evaluation_time = time.monotonic()
                if self.evaluate_and_save():
                    return "early_stop"
            if training.checkpoint_every_steps and step % training.checkpoint_every_steps == 0:
                self.checkpoint(f"step-{step:08d}", "periodic", None, None, with_state=True)


def bits_per_character(total_nats: float, characters: int) -> float:
    """Total validation loss in bits over the characters of the validation text: one scale for every tokenizer."""
    return total_nats / math.log(2) / max(1, characters)


def apply_default_budget(config: RunConfig) -> None:
    training = config.training
    if training.max_steps is None and training.max_minutes is None and training.epochs is None:
        training.max_minutes = DEFAULT_MAX_MINUTES


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
        data = prepare_data(config, corpus)
        config.model.vocab_size = data.tokenizer.vocab_size
        # Refuse a corpus smaller than one batch before anything is written.
        StatefulBatches(data.train_stream, config.training.batch_size, config.training.bptt, "cpu")
        run = (store or RunStore()).create(config, corpus.name)
    except PoetError as error:
        events.emit("error", message=str(error))
        raise
    data.tokenizer.save(run.directory)
    events.attach(run.metrics_path)
    return run, execute(config, run, data, events, should_stop, start_time, resume_from=None)


def resume(
    run: Run,
    listener: Callable[[dict[str, Any]], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    budget_overrides: dict[str, Any] | None = None,
) -> str:
    """Continue a run from its latest checkpoint: weights, optimizer, schedule, RNG, data position and step."""
    start_time = time.monotonic()
    events = EventLog(None, listener)
    try:
        if run.training_pid() is not None:
            raise PoetError(f"run {run.id} is already training (pid {run.training_pid()}); stop it first.")
        config = run.config()
        for key, value in (budget_overrides or {}).items():
            setattr(config.training, key, value)
        config.validate()
        files = run.checkpoint("latest")
        if files is None:
            raise PoetError(f"run {run.id} has no 'latest' checkpoint to resume from; start a new run instead.")
        corpus = resolve_corpus(config.corpus)
        if config.corpus_fingerprint and corpus_fingerprint(corpus) != config.corpus_fingerprint:
            raise PoetError(
                f"the corpus '{config.corpus}' has changed since run {run.id} started, so it cannot continue "
                "exactly; start a new run on it instead."
            )
        data = prepare_data(config, corpus, load_tokenizer(run.directory))
    except PoetError as error:
        events.emit("error", message=str(error))
        raise
    if budget_overrides:
        save_run_config(config, run.config_path)
    events.attach(run.metrics_path)
    return execute(config, run, data, events, should_stop, start_time, resume_from=files)


def execute(
    config: RunConfig,
    run: Run,
    data: PreparedData,
    events: EventLog,
    should_stop: Callable[[], bool],
    start_time: float,
    resume_from: CheckpointFiles | None,
) -> str:
    from poet_tui.atomic import atomic_write_text

    atomic_write_text(run.pid_path, str(os.getpid()))
    try:
        trainer = Trainer(config, run, data, events, should_stop, start_time)
        if resume_from is not None:
            trainer.restore(resume_from)
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
        )
        reason = trainer.run_loop()
        events.emit(
            "done", step=trainer.progress.step, reason=reason, best_val_loss=trainer.progress.best_validation_loss
        )
        return reason
    except PoetError as error:
        events.emit("error", message=str(error))
        raise
    except Exception as error:
        events.emit("error", message=f"training failed unexpectedly: {type(error).__name__}: {error}")
        raise
    finally:
        events.close()
        run.pid_path.unlink(missing_ok=True)
