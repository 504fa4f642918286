"""Token streams cut into training windows: stateful truncated BPTT, or random windows."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from poet_tui.errors import PoetError


@dataclass
class BatchPosition:
    """Where the stateful reader is: enough to resume on exactly the next window."""

    epoch: int = 0
    offset: int = 0


def require_one_batch(token_count: int, batch_size: int, bptt: int) -> None:
    """Refuse a training stream too short for one batch of `batch_size` threads of `bptt` + 1 tokens."""
    needed = batch_size * (bptt + 1)
    if token_count < needed:
        raise PoetError(
            f"the training text has {token_count} tokens, fewer than one batch needs "
            f"(batch size {batch_size} × (bptt {bptt} + 1) = {needed}); lower --batch-size or --bptt, "
            "or use a bigger corpus."
        )


class StatefulBatches:
    """The stream cut into `batch_size` parallel threads read left to right, `bptt` tokens at a time.

    Thread b holds tokens [b·L, (b+1)·L]; window k of every thread follows window k-1, so the hidden state
    carried from one window to the next sees a continuous text (char-rnn's and word_language_model's scheme).
    """

    def __init__(self, stream: torch.Tensor, batch_size: int, bptt: int, device: torch.device | str) -> None:
        require_one_batch(stream.numel(), batch_size, bptt)
        self.batch_size = batch_size
        self.bptt = bptt
        self.thread_length = (stream.numel() - 1) // batch_size
        usable = self.thread_length * batch_size
        inputs = stream[:usable].view(batch_size, self.thread_length)
        targets = stream[1 : usable + 1].view(batch_size, self.thread_length)
        self.inputs = inputs.to(device=device, dtype=torch.long)
        self.targets = targets.to(device=device, dtype=torch.long)
        self.position = BatchPosition()

    @property
    def windows_per_epoch(self) -> int:
        return -(-self.thread_length // self.bptt)

    @property
    def tokens_per_epoch(self) -> int:
        return self.thread_length * self.batch_size

    def next_window(self) -> tuple[torch.Tensor, torch.Tensor, bool]:
        """The next (inputs, targets) and whether it starts an epoch (the caller then resets the state)."""
        starts_epoch = self.position.offset == 0
        start = self.position.offset
        end = min(start + self.bptt, self.thread_length)
        window = (self.inputs[:, start:end], self.targets[:, start:end])
        if end >= self.thread_length:
            self.position = BatchPosition(self.position.epoch + 1, 0)
        else:
            self.position = BatchPosition(self.position.epoch, end)
        return window[0], window[1], starts_epoch

    def epoch_progress(self) -> float:
        return self.position.epoch + self.position.offset / self.thread_length


class RandomWindows:
    """Independent windows at random offsets, each read from a zero state; a seeded generator keeps it repeatable."""

    def __init__(self, stream: torch.Tensor, batch_size: int, bptt: int, device: torch.device | str, seed: int) -> None:
        if stream.numel() < bptt + 2:
            raise PoetError(
                f"the training text has {stream.numel()} tokens, fewer than one window of --bptt {bptt}; "
                "lower --bptt or use a bigger corpus."
            )
        self.stream = stream.to(device=device, dtype=torch.long)
        self.batch_size = batch_size
        self.bptt = bptt
        self.generator = torch.Generator()
        self.generator.manual_seed(seed)
        self.windows_drawn = 0
        self.position = BatchPosition()

    @property
    def tokens_per_epoch(self) -> int:
        return self.stream.numel() - 1

    @property
    def windows_per_epoch(self) -> int:
        return max(1, self.tokens_per_epoch // (self.batch_size * self.bptt))

    def next_window(self) -> tuple[torch.Tensor, torch.Tensor, bool]:
        starts = torch.randint(0, self.stream.numel() - self.bptt - 1, (self.batch_size,), generator=self.generator)
        offsets = starts.to(self.stream.device)[:, None] + torch.arange(self.bptt, device=self.stream.device)
        self.windows_drawn += 1
        epoch, offset = divmod(self.windows_drawn, self.windows_per_epoch)
        self.position = BatchPosition(epoch, offset)
        return self.stream[offsets], self.stream[offsets + 1], True

    def epoch_progress(self) -> float:
        return self.windows_drawn / self.windows_per_epoch


def unseen_token_ids(stream: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """The ids of the vocabulary that the training stream never contains (as input or as target)."""
    present = torch.zeros(vocab_size, dtype=torch.bool)
    present[stream.to("cpu", torch.long)] = True
    return torch.nonzero(~present).flatten()


def evaluation_threads(stream: torch.Tensor, threads: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Cut a validation stream into parallel threads whose targets cover every token after the first once.

    Returns inputs and targets of shape (threads, length), padded, and a mask of real positions.
    """
    predicted = stream.numel() - 1
    threads = max(1, min(threads, predicted))
    length = -(-predicted // threads)
    inputs = torch.zeros(threads * length, dtype=torch.long)
    targets = torch.zeros(threads * length, dtype=torch.long)
    mask = torch.zeros(threads * length, dtype=torch.bool)
    inputs[:predicted] = stream[:-1]
    targets[:predicted] = stream[1:]
    mask[:predicted] = True
    return inputs.view(threads, length), targets.view(threads, length), mask.view(threads, length)
