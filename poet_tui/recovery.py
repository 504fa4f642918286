"""Recovering a training session instead of losing it: NaN/Inf losses and running out of memory.

Both are reported as `notice` events so every reader (the CLI's display, the app) can say what happened.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import torch

from poet_tui import pausing
from poet_tui.config import save_run_config
from poet_tui.data import BatchPosition, StatefulBatches
from poet_tui.errors import PoetError

if TYPE_CHECKING:
    from poet_tui.trainer import Trainer

MAX_ROLLBACKS = 3


def roll_back(trainer: Trainer) -> None:
    """NaN/Inf: return to the last good checkpoint with half the learning rate; give up after 3 times."""
    bad_step = trainer.progress.step
    files = trainer.run.checkpoint("latest")
    rollbacks, scale = trainer.progress.rollbacks + 1, trainer.progress.lr_scale / 2
    if rollbacks > MAX_ROLLBACKS or files is None:
        kept = f"the last good checkpoint (step {trainer.last_saved_step}) is kept" if files else "nothing was saved"
        raise PoetError(
            f"the loss became NaN or infinite at step {bad_step} even after {MAX_ROLLBACKS} rollbacks with a "
            f"halved learning rate; {kept}. Try a lower --lr or a --grad-clip."
        )
    elapsed = trainer.elapsed()
    trainer.restore(files)
    trainer.previous_elapsed = elapsed - (time.monotonic() - trainer.start_time) + pausing.clock.paused_seconds
    trainer.progress.rollbacks, trainer.progress.lr_scale = rollbacks, scale
    trainer.base_tokens_per_s_mark = (time.perf_counter() - pausing.clock.paused_seconds, trainer.progress.tokens)
    trainer.events.emit(
        "notice",
        kind="nan_rollback",
        step=bad_step,
        message=(
            f"the loss was NaN or infinite by this step; rolled back to step {trainer.progress.step} "
            f"and scaled the learning rate by {scale:g} (rollback {rollbacks} of {MAX_ROLLBACKS})"
        ),
    )


def recover_from_out_of_memory(trainer: Trainer) -> None:
    """Halve the batch and go on from the same point of the epoch; save the new size so a resume agrees."""
    old_size = trainer.training.batch_size
    new_size = old_size // 2
    trainer.optimizer.zero_grad(set_to_none=True)
    trainer.rnn_state = None
    if trainer.device.type == "cuda":
        torch.cuda.empty_cache()
    if new_size < 1:
        raise PoetError("out of memory even with batch size 1; use a smaller model (--hidden, --layers) or --bptt.")
    trainer.training.batch_size = new_size
    if isinstance(trainer.batches, StatefulBatches):
        position = trainer.batches.position
        fraction = position.offset / trainer.batches.thread_length
        trainer.batches = StatefulBatches(trainer.data.train_stream, new_size, trainer.training.bptt, trainer.device)
        trainer.batches.position = BatchPosition(position.epoch, int(fraction * trainer.batches.thread_length))
    else:
        trainer.batches.batch_size = new_size
    save_run_config(trainer.config, trainer.run.config_path)
    trainer.events.emit(
        "notice",
        kind="out_of_memory",
        step=trainer.progress.step,
        batch_size=new_size,
        message=f"out of memory at batch size {old_size}; halved it to {new_size} and retried the step",
    )
    if trainer.loss_is_finite():
        trainer.checkpoint("latest", "latest", None, None, with_state=True)
