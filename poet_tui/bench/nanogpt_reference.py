"""karpathy/nanoGPT's CPU recipe for shakespeare_char, as the transformer baseline issue #17 measures against.

GitHub is out of reach here, so this is a faithful reference rather than their repository. Followed:
`model.py` (GPT, Block, CausalSelfAttention, MLP, LayerNorm, `_init_weights`, `get_num_params`,
`configure_optimizers`), `train.py` (defaults, `get_batch`, `estimate_loss`, `get_lr`, the training loop) and
`config/train_shakespeare_char.py`, with the README's CPU flags: `--device=cpu --compile=False --eval_iters=20
--log_interval=1 --block_size=64 --batch_size=12 --n_layer=4 --n_head=4 --n_embd=128 --max_iters=2000
--lr_decay_iters=2000 --dropout=0.0`.

Theirs: pre-norm blocks with LayerNorm (bias optional, off by default), causal self-attention through
`scaled_dot_product_attention`, a 4x GELU MLP, learned positions, the lm_head tied to the token embedding, weights
normal(0, 0.02) with the residual projections at 0.02 / sqrt(2 * n_layer), built in their order so seed 1337 gives
their initial weights; AdamW with weight decay 0.1 on tensors of two or more dimensions only, betas (0.9, 0.99),
fused only on CUDA; linear warmup then cosine decay to min_lr; gradient clipping at 1.0; random windows of the
train ids by `torch.randint`, the next batch drawn before the backward pass; `loss.item()` every iteration
(`--log_interval=1`); iterations 0 to max_iters inclusive; fp32 on the CPU. Their periodic `estimate_loss`
(every 250 iterations, 20 batches per split) is not run, but its random draws are, so the training batches are
the ones their run draws.

Ours: the stopping rule (time horizons on a training clock that pauses while our evaluation runs, or
`max_iterations`), the evaluation (texts.windowed_loss, on fixed windows shared with the RNN's yardstick), and on
CUDA bfloat16 autocast where supported (their dtype default), without compile or their TF32 switches.

Data: poet's char ids (`nanogpt_char_data`) put `<eod>` at 0 before the sorted alphabet, so its vocabulary is one
larger than theirs (66 for tinyshakespeare, never a target); ids - 1 with vocab_size - 1 are exactly their ids, and
then seed 1337 gives exactly their initial weights and batches.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, cast

import torch
import torch.nn.functional as functional
from torch import nn

from poet_tui.errors import PoetError


@dataclass(frozen=True)
class NanoGPTSettings:
    n_layer: int = 4  # --n_layer=4
    n_head: int = 4  # --n_head=4
    n_embd: int = 128  # --n_embd=128
    block_size: int = 64  # --block_size=64
    batch_size: int = 12  # --batch_size=12
    dropout: float = 0.0  # --dropout=0.0
    bias: bool = False  # train.py's default; neither the config nor the flags change it
    learning_rate: float = 1e-3  # config/train_shakespeare_char.py
    max_iters: int = 2000  # --max_iters=2000
    weight_decay: float = 0.1  # train.py
    beta1: float = 0.9  # train.py
    beta2: float = 0.99  # config/train_shakespeare_char.py
    grad_clip: float = 1.0  # train.py
    decay_lr: bool = True  # train.py
    warmup_iters: int = 100  # config/train_shakespeare_char.py
    lr_decay_iters: int = 2000  # --lr_decay_iters=2000
    min_lr: float = 1e-4  # config/train_shakespeare_char.py
    eval_interval: int = 250  # config/train_shakespeare_char.py (only its random draws are kept)
    eval_iters: int = 20  # --eval_iters=20
    gradient_accumulation_steps: int = 1  # config/train_shakespeare_char.py
    seed: int = 1337  # train.py: torch.manual_seed(1337 + seed_offset), one process
    max_iterations: int | None = None  # ours: stop after this many optimizer steps (tests, quick runs)


@dataclass(frozen=True)
class HorizonLoss:
    seconds: float  # training clock when evaluated (evaluation excluded)
    iterations: int  # optimizer steps done by then
    loss: float  # what `evaluate` returned


class LayerNorm(nn.Module):
    """nn.LayerNorm whose bias can be left out (eps 1e-5), as model.py's."""

    def __init__(self, width: int, bias: bool) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(width))
        self.bias = nn.Parameter(torch.zeros(width)) if bias else None

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return functional.layer_norm(inputs, self.weight.shape, self.weight, self.bias, 1e-5)


class CausalSelfAttention(nn.Module):
    def __init__(self, settings: NanoGPTSettings) -> None:
        super().__init__()
        if settings.n_embd % settings.n_head:
            raise ValueError("n_embd must be a multiple of n_head")
        self.c_attn = nn.Linear(settings.n_embd, 3 * settings.n_embd, bias=settings.bias)
        self.c_proj = nn.Linear(settings.n_embd, settings.n_embd, bias=settings.bias)
        self.resid_dropout = nn.Dropout(settings.dropout)
        self.heads, self.dropout = settings.n_head, settings.dropout

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        batch, steps, width = inputs.shape
        query, key, value = (
            part.view(batch, steps, self.heads, width // self.heads).transpose(1, 2)
            for part in self.c_attn(inputs).split(width, dim=2)
        )
        attended = functional.scaled_dot_product_attention(
            query, key, value, dropout_p=self.dropout if self.training else 0.0, is_causal=True
        )
        return self.resid_dropout(self.c_proj(attended.transpose(1, 2).contiguous().view(batch, steps, width)))


class MLP(nn.Module):
    def __init__(self, settings: NanoGPTSettings) -> None:
        super().__init__()
        self.c_fc = nn.Linear(settings.n_embd, 4 * settings.n_embd, bias=settings.bias)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * settings.n_embd, settings.n_embd, bias=settings.bias)
        self.dropout = nn.Dropout(settings.dropout)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.c_proj(self.gelu(self.c_fc(inputs))))


class Block(nn.Module):
    def __init__(self, settings: NanoGPTSettings) -> None:
        super().__init__()
        self.ln_1 = LayerNorm(settings.n_embd, settings.bias)
        self.attn = CausalSelfAttention(settings)
        self.ln_2 = LayerNorm(settings.n_embd, settings.bias)
        self.mlp = MLP(settings)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        hidden = inputs + self.attn(self.ln_1(inputs))
        return hidden + self.mlp(self.ln_2(hidden))


class GPTModel(nn.Module):
    """model.py's GPT. Modules keep their names and order: the same seed gives the same weights."""

    def __init__(self, vocab_size: int, settings: NanoGPTSettings) -> None:
        super().__init__()
        self.block_size = settings.block_size
        self.transformer = nn.ModuleDict(
            {
                "wte": nn.Embedding(vocab_size, settings.n_embd),
                "wpe": nn.Embedding(settings.block_size, settings.n_embd),
                "drop": nn.Dropout(settings.dropout),
                "h": nn.ModuleList(Block(settings) for _ in range(settings.n_layer)),
                "ln_f": LayerNorm(settings.n_embd, settings.bias),
            }
        )
        self.lm_head = nn.Linear(settings.n_embd, vocab_size, bias=False)
        self.transformer["wte"].weight = self.lm_head.weight
        self.apply(initialise_weights)
        residual_std = 0.02 / math.sqrt(2 * settings.n_layer)
        for name, parameter in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(parameter, mean=0.0, std=residual_std)

    def non_embedding_parameter_count(self) -> int:
        """What nanoGPT prints as "number of parameters": all but the position embedding (wte counts, as lm_head)."""
        positions = cast(nn.Embedding, self.transformer["wpe"])
        return sum(parameter.numel() for parameter in self.parameters()) - positions.weight.numel()

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Logits for every position (their forward with targets; without, they keep only the last)."""
        steps = tokens.shape[1]
        if steps > self.block_size:
            raise ValueError(f"{steps} tokens do not fit the block size {self.block_size}")
        parts = self.transformer
        positions = torch.arange(steps, dtype=torch.long, device=tokens.device)
        hidden = parts["drop"](parts["wte"](tokens) + parts["wpe"](positions))
        for block in cast(nn.ModuleList, parts["h"]):
            hidden = block(hidden)
        return cast(torch.Tensor, self.lm_head(parts["ln_f"](hidden)))


def initialise_weights(module: nn.Module) -> None:
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Embedding):
        nn.init.normal_(module.weight, mean=0.0, std=0.02)


def configure_optimizer(model: GPTModel, settings: NanoGPTSettings, device: torch.device) -> torch.optim.AdamW:
    """Decay matrices and embeddings, not biases and norm gains; fused AdamW on CUDA only."""
    parameters = [parameter for parameter in model.parameters() if parameter.requires_grad]
    groups = [
        {
            "params": [parameter for parameter in parameters if parameter.dim() >= 2],
            "weight_decay": settings.weight_decay,
        },
        {"params": [parameter for parameter in parameters if parameter.dim() < 2], "weight_decay": 0.0},
    ]
    extra: dict[str, Any] = {"fused": True} if device.type == "cuda" else {}
    return torch.optim.AdamW(groups, lr=settings.learning_rate, betas=(settings.beta1, settings.beta2), **extra)


def nanogpt_learning_rate(iteration: int, settings: NanoGPTSettings) -> float:
    """train.py's get_lr: linear warmup to learning_rate, cosine down to min_lr at lr_decay_iters, then min_lr."""
    if not settings.decay_lr:
        return settings.learning_rate
    if iteration < settings.warmup_iters:
        return settings.learning_rate * (iteration + 1) / (settings.warmup_iters + 1)
    if iteration > settings.lr_decay_iters:
        return settings.min_lr
    ratio = (iteration - settings.warmup_iters) / (settings.lr_decay_iters - settings.warmup_iters)
    return settings.min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (settings.learning_rate - settings.min_lr)


def draw_batch(ids: torch.Tensor, settings: NanoGPTSettings, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """get_batch: batch_size random windows from the global generator, targets shifted by one."""
    starts = torch.randint(ids.numel() - settings.block_size, (settings.batch_size,))
    offsets = torch.arange(settings.block_size + 1)
    windows = ids[starts[:, None] + offsets].to(device=device, dtype=torch.long)
    return windows[:, :-1], windows[:, 1:]


def skip_estimate_loss_draws(train_ids: torch.Tensor, validation_ids: torch.Tensor, settings: NanoGPTSettings) -> None:
    """Consume the random numbers estimate_loss would (eval_iters batches per split), keeping their batch order."""
    for ids in (train_ids, validation_ids):
        for _ in range(settings.eval_iters):
            torch.randint(ids.numel() - settings.block_size, (settings.batch_size,))


@torch.no_grad()
def autocast_for(device: torch.device) -> Callable[[], AbstractContextManager[Any]]:
    """train.py's ctx: nothing on the CPU (fp32); bfloat16 autocast on CUDA where supported, else fp32 (ours)."""
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return lambda: torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return nullcontext


def train_nanogpt(
    train_ids: torch.Tensor,
    validation_ids: torch.Tensor,
    vocab_size: int,
    settings: NanoGPTSettings,
    horizons_s: Sequence[float],
    evaluate: Callable[[GPTModel], float],
    device: torch.device,
    clock: Callable[[], float] = time.perf_counter,
) -> list[HorizonLoss]:
    """Train as train.py does and evaluate when the training clock first passes each horizon (in order).

    The clock is read once before the first iteration, once after each, and once after each evaluation, whose
    time it leaves out. Training stops after the last horizon, or after the last iteration (max_iters inclusive,
    or `max_iterations`), when one evaluation more records the time actually reached. The global random state is
    seeded as train.py seeds it and put back afterwards."""
    shortest = min(train_ids.numel(), validation_ids.numel())
    if shortest <= settings.block_size:
        raise PoetError(
            f"a split has {shortest} tokens, fewer than one {settings.block_size}-token block plus its target; "
            "give `poet bench --corpus` a bigger text."
        )
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        return run_nanogpt(train_ids, validation_ids, vocab_size, settings, sorted(horizons_s), evaluate, device, clock)


def run_nanogpt(
    train_ids: torch.Tensor,
    validation_ids: torch.Tensor,
    vocab_size: int,
    settings: NanoGPTSettings,
    horizons: list[float],
    evaluate: Callable[[GPTModel], float],
    device: torch.device,
    clock: Callable[[], float],
) -> list[HorizonLoss]:
    devices = [device] if device.type == "cuda" else []
    torch.manual_seed(settings.seed)
    model = GPTModel(vocab_size, settings).to(device)
    optimizer = configure_optimizer(model, settings, device)
    autocast = autocast_for(device)
    last_iteration = settings.max_iters + 1 if settings.max_iterations is None else settings.max_iterations
    records: list[HorizonLoss] = []

    def record(seconds: float, iterations: int, reached: int) -> float:
        """Evaluate once for the horizons reached; returns when the clock resumes."""
        model.eval()
        with torch.no_grad(), torch.random.fork_rng(devices=devices):  # the training batches stay theirs
            loss = evaluate(model)
        model.train()
        records.extend(HorizonLoss(seconds, iterations, loss) for _ in range(reached))
        return clock()

    model.train()
    inputs, targets = draw_batch(train_ids, settings, device)
    elapsed, resumed, iteration = 0.0, clock(), 0
    while iteration < last_iteration and len(records) < len(horizons):
        for group in optimizer.param_groups:
            group["lr"] = nanogpt_learning_rate(iteration, settings)
        if iteration % settings.eval_interval == 0:
            skip_estimate_loss_draws(train_ids, validation_ids, settings)
        for _ in range(settings.gradient_accumulation_steps):
            with autocast():
                logits = model(inputs)
                loss = functional.cross_entropy(logits.view(-1, logits.shape[-1]), targets.reshape(-1))
                loss = loss / settings.gradient_accumulation_steps
            inputs, targets = draw_batch(train_ids, settings, device)
            loss.backward()
        if settings.grad_clip != 0.0:
            nn.utils.clip_grad_norm_(model.parameters(), settings.grad_clip)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        loss.item()  # --log_interval=1 reads the loss every iteration (a CUDA sync point too)
        iteration += 1
        now = clock()
        seconds = elapsed + (now - resumed)
        reached = sum(1 for horizon in horizons[len(records) :] if seconds >= horizon)
        if reached:
            elapsed, resumed = seconds, record(seconds, iteration, reached)
        else:
            elapsed, resumed = seconds, now
    if len(records) < len(horizons):
        record(elapsed, iteration, 1)
    return records
