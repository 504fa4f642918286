"""One training session's loop: steps, evaluation, samples, checkpoints, and recovery from NaN, OOM and
failed writes. Everything a reader needs goes out as events; the loop never prints."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as functional

from poet_tui import pausing
from poet_tui.checkpoint import (
    CheckpointFiles,
    load_model,
    read_metadata,
    read_tensor_file,
    require_matching_vocabulary,
    save_checkpoint,
)
from poet_tui.config import RunConfig
from poet_tui.cpu_memory import keep_freed_memory
from poet_tui.data import RandomWindows, StatefulBatches, evaluation_threads, unseen_token_ids
from poet_tui.device import memory_snapshot, resolve_device, use_bf16
from poet_tui.errors import PoetError
from poet_tui.events import EventLog
from poet_tui.form_adherence import form_adherence
from poet_tui.forms import dominant_forms
from poet_tui.model import RecurrentState, RNNLanguageModel
from poet_tui.recovery import recover_from_out_of_memory, roll_back
from poet_tui.runs import Run
from poet_tui.sample import SamplingSettings, complete
from poet_tui.sample_novelty import novelty_field
from poet_tui.schedule import learning_rate, training_progress
from poet_tui.training_state import (
    Progress,
    check_training_tensors,
    optimizer_to_tensors,
    random_state_tensors,
    restore_optimizer,
    restore_random_state,
    rnn_state_from_tensors,
    rnn_state_to_tensors,
)
from poet_tui.training_threads import TrainingThreads

if TYPE_CHECKING:
    from poet_tui.train import PreparedData

EVALUATION_THREADS = 64
OUT_OF_MEMORY_ERRORS = (torch.OutOfMemoryError, MemoryError)


class NonFiniteLoss(Exception):
    """The loss (or the validation loss) became NaN or infinite: the model must not be saved as is."""


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
        self.threads = TrainingThreads(self.training.threads, self.device.type)
        self.bf16 = use_bf16(self.device, self.training.precision)
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True
        else:
            keep_freed_memory()  # big logits are reused, not faulted in afresh each step (cpu_memory.py)
        torch.manual_seed(config.seed)
        config.model.vocab_size = data.tokenizer.vocab_size
        self.model = RNNLanguageModel(config.model).to(self.device)
        self.unseen_tokens = (
            unseen_token_ids(data.train_stream, config.model.vocab_size).to(self.device)
            if self.training.hold_unseen_tokens
            else None
        )
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
        self.validation_predicted = int(mask.sum())
        self.dominant_forms = dominant_forms(data.forms)  # what form adherence is measured against; none: not at all
        self.progress = Progress()
        self.rnn_state: RecurrentState | None = None
        self.loss_sum = torch.zeros((), device=self.device)
        self.previous_elapsed = 0.0
        self.last_saved_step: int | None = None
        self.rolled_back_since_last_step = False
        self.rolled_back_from_step = 0
        self.last_evaluation_time = time.monotonic()
        self.base_tokens_per_s_mark = (time.perf_counter() - pausing.clock.paused_seconds, 0)

    # ----- resuming -----
    def restore(self, files: CheckpointFiles) -> None:
        metadata = read_metadata(files)
        if not metadata.get("has_training_state") or "training" not in metadata:
            raise PoetError(f"{files.metadata} has no training state to resume from; resume from 'latest'.")
        model, _ = load_model(files, self.device)
        require_matching_vocabulary(files, model.config.vocab_size, self.data.tokenizer.vocab_size, self.run.id)
        if model.config != self.model.config:
            raise PoetError(f"{files.metadata} describes another model than run {self.run.id}'s run.toml.")
        self.model.load_state_dict(model.state_dict())
        tensors = read_tensor_file(files.training_state, metadata["step"])
        check_training_tensors(tensors, self.model, self.training.batch_size, files.training_state)
        restore_optimizer(self.optimizer, tensors, metadata["training"]["optimizer_groups"])
        restore_random_state(tensors, self.device)
        self.rnn_state = rnn_state_from_tensors(tensors, self.device)
        self.loss_sum = tensors.get("loss_sum", torch.zeros(())).to(self.device)
        self.progress = Progress.from_dict(metadata["training"]["progress"])
        self.progress.best_validation_loss = self.best_loss_on_disk(self.progress.best_validation_loss)
        self.previous_elapsed = self.progress.elapsed_seconds
        self.last_saved_step = self.progress.step
        if isinstance(self.batches, StatefulBatches):
            if self.progress.offset > self.batches.thread_length:
                raise PoetError(f"{files.metadata} points past the end of the training data; it is damaged.")
            self.batches.position.epoch = self.progress.epoch
            self.batches.position.offset = self.progress.offset
        else:
            self.batches.windows_drawn = self.progress.windows_drawn
            if "rng.windows" in tensors:
                self.batches.generator.set_state(tensors["rng.windows"])

    def best_loss_on_disk(self, fallback: float | None) -> float | None:
        """The baseline a new best must beat is `best`'s own loss, not what `latest` remembered: after a
        resume a worse model must never overwrite the best one."""
        files = self.run.checkpoint("best")
        if files is None:
            return fallback
        try:
            best = read_metadata(files).get("val_loss")
        except PoetError:
            return fallback
        if best is None:
            return fallback
        return best if fallback is None else min(best, fallback)

    # ----- the loop -----
    def elapsed(self) -> float:
        """Seconds spent training in this run, across resumes, without the time it spent paused."""
        return self.previous_elapsed + (time.monotonic() - self.start_time) - pausing.clock.paused_seconds

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
        rate *= self.progress.lr_scale
        for group in self.optimizer.param_groups:
            group["lr"] = rate
        with self.autocast():
            logits, state = self.model(inputs, self.rnn_state)
            loss = functional.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1))
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.unseen_tokens is not None:
            self.model.hold_tokens(self.unseen_tokens)
        if self.training.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.training.grad_clip)
        self.optimizer.step()
        self.rnn_state = state.detach()
        self.loss_sum += loss.detach()
        self.progress.step += 1
        self.rolled_back_since_last_step = False
        self.progress.logged_steps += 1
        self.progress.tokens += targets.numel()
        self.current_lr = rate

    def log_step(self) -> None:
        """One host sync per log interval: read the accumulated loss, report speed and memory."""
        now = time.perf_counter() - pausing.clock.paused_seconds
        mark_time, mark_tokens = self.base_tokens_per_s_mark
        loss = float(self.loss_sum.item()) / max(1, self.progress.logged_steps)
        if not math.isfinite(loss):
            raise NonFiniteLoss
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
            **self.threads.event_fields(),
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
        return total_nats / self.validation_predicted, bits_per_character(total_nats, self.data.validation_characters)

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
            "forms": self.data.forms,
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
        try:
            save_checkpoint(files, self.model, metadata, tensors)
        except OSError as error:
            kept = (
                f"the previous checkpoint (step {self.last_saved_step}) is intact"
                if self.last_saved_step is not None
                else "no earlier checkpoint exists"
            )
            raise PoetError(
                f"could not save the {kind} checkpoint in {files.directory} ({error.strerror or error}); "
                f"{kept}. Free some space or make the folder writable, then resume the run."
            ) from None
        if kind != "best":
            self.last_saved_step = self.progress.step
        self.events.emit("checkpoint", step=self.progress.step, kind=kind, path=str(files.weights))

    def loss_is_finite(self) -> bool:
        return bool(torch.isfinite(self.loss_sum).item())

    def evaluate_and_save(self) -> bool:
        """Evaluate, keep the best apart from the latest, show a sample; True when early stopping says stop."""
        if not self.loss_is_finite():
            raise NonFiniteLoss
        validation_loss, validation_bpc = self.evaluate()
        if not math.isfinite(validation_loss):
            raise NonFiniteLoss
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
        adherence = form_adherence(
            self.model, self.data.tokenizer, self.dominant_forms, self.config.seed, progress.step
        )
        quality = {} if adherence is None else {"form_adherence": round(adherence, 4)}
        # drawn before the eval event, which carries its novelty (own seeded generator: nothing else changes)
        settings = SamplingSettings(
            temperature=0.8, max_tokens=self.training.sample_length, seed=(self.config.seed + progress.step) % 2**63
        )
        sample = complete(self.model, self.data.tokenizer, "", settings)
        novelty = novelty_field(self.data.overlap, sample)
        self.events.emit(
            "eval",
            step=progress.step,
            val_loss=round(validation_loss, 5),
            val_ppl=round(math.exp(min(validation_loss, 50.0)), 3),
            val_bpc=round(validation_bpc, 5),
            best=improved,
            **quality,
            **novelty,
        )
        if improved:
            self.checkpoint("best", "best", validation_loss, validation_bpc, with_state=False)
        self.checkpoint("latest", "latest", validation_loss, validation_bpc, with_state=True)
        self.events.emit("sample", step=progress.step, text=sample, **novelty)
        patience = self.training.patience
        return patience is not None and progress.evaluations_without_improvement >= patience

    def run_loop(self) -> str:
        """Train until the budget, a stop request or early stopping; the caller's thread count is put back after."""
        with self.threads.for_the_loop():
            return self.loop()

    def loop(self) -> str:
        self.last_evaluation_time = time.monotonic()
        self.model.train()
        while True:
            reason = self.budget_reason()
            if reason is not None:
                if self.rolled_back_since_last_step:
                    raise PoetError(self.budget_spent_after_rollback(reason))
                if self.progress.last_evaluation_step != self.progress.step:
                    self.guarded(self.evaluate_and_save)
                    if self.rolled_back_since_last_step:
                        continue  # the last evaluation rolled back: train again if the budget allows it
                return reason
            if self.should_stop():
                if self.loss_is_finite():  # never save a model the last steps broke; the last good one stays
                    self.checkpoint("latest", "latest", None, None, with_state=True)
                return "stopped"
            try:
                self.threads.run_step(self.train_step)
            except OUT_OF_MEMORY_ERRORS:
                recover_from_out_of_memory(self)
                continue
            if self.guarded(self.after_step):
                return "early_stop"

    def after_step(self) -> bool:
        """Log, evaluate and checkpoint when due; True when early stopping says stop."""
        training, step = self.training, self.progress.step
        if step % training.log_every_steps == 0:
            self.log_step()
        due_by_time = training.eval_every_seconds is not None and (
            time.monotonic() - self.last_evaluation_time >= training.eval_every_seconds
        )
        if step % training.eval_every_steps == 0 or due_by_time:
            self.last_evaluation_time = time.monotonic()
            if self.evaluate_and_save():
                return True
        if training.checkpoint_every_steps and step % training.checkpoint_every_steps == 0:
            if not self.loss_is_finite():
                raise NonFiniteLoss
            self.checkpoint(f"step-{step:08d}", "periodic", None, None, with_state=True)
        return False

    def guarded(self, action: Callable[[], bool | None]) -> bool:
        try:
            return bool(action())
        except NonFiniteLoss:
            self.rolled_back_from_step = self.progress.step
            roll_back(self)
            self.rolled_back_since_last_step = True
            return False

    def budget_spent_after_rollback(self, reason: str) -> str:
        """A NaN at the budget's last evaluation rolled the run back, and no budget is left to redo the steps."""
        return (
            f"the loss became NaN or infinite at step {self.rolled_back_from_step}, the end of the run's budget "
            f"({reason.replace('_', ' ')}); it was rolled back to step {self.progress.step}, whose checkpoint is "
            "kept. Resume with a larger budget and a lower --lr."
        )


def bits_per_character(total_nats: float, characters: int) -> float:
    """Total validation loss in bits over the characters of the validation text: one scale for every tokenizer."""
    return total_nats / math.log(2) / max(1, characters)
