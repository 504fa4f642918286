"""Which device to train on, and how much memory it and this process use (NVML when there is a GPU)."""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from poet_tui.config import ModelConfig
from poet_tui.errors import PoetError


def resolve_device(requested: str = "auto") -> torch.device:
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested == "cuda":
        if not torch.cuda.is_available():
            raise PoetError("--device cuda was asked for but no CUDA GPU is visible to PyTorch; use --device cpu.")
        return torch.device("cuda")
    if requested == "cpu":
        return torch.device("cpu")
    raise PoetError(f"unknown device '{requested}'; use auto, cpu or cuda.")


def use_bf16(device: torch.device, precision: str) -> bool:
    """bf16 autocast on CUDA GPUs that support it; fp32 on the CPU, where bf16 RNNs are slower."""
    if precision == "fp32" or device.type != "cuda":
        if precision == "bf16" and device.type != "cuda":
            raise PoetError("--precision bf16 needs a CUDA GPU; use --precision fp32 on the CPU.")
        return False
    if precision == "bf16" and not torch.cuda.is_bf16_supported():
        raise PoetError("this GPU does not support bf16; use --precision fp32.")
    return torch.cuda.is_bf16_supported()


def device_label(device: torch.device) -> str:
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index}"
    return "cpu"


def process_rss() -> int:
    try:
        import psutil

        return int(psutil.Process(os.getpid()).memory_info().rss)
    except Exception:  # psutil missing or the platform refuses: memory is informative, never fatal
        return 0


def memory_snapshot(device: torch.device) -> dict[str, int]:
    """Bytes: the process's resident memory, and on CUDA torch's allocated / reserved / peak."""
    snapshot = {"rss": process_rss()}
    if device.type == "cuda":
        snapshot["gpu_allocated"] = int(torch.cuda.memory_allocated(device))
        snapshot["gpu_reserved"] = int(torch.cuda.memory_reserved(device))
        snapshot["gpu_peak"] = int(torch.cuda.max_memory_allocated(device))
    return snapshot


@dataclass(frozen=True)
class GPUStatus:
    name: str
    memory_used: int
    memory_total: int
    utilization_percent: int | None


def gpu_status(index: int = 0) -> GPUStatus | None:
    """NVML's view of a GPU (the whole card, all processes); None where there is no NVIDIA driver."""
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception:
        return None
    try:
        handle = pynvml.nvmlDeviceGetHandleByIndex(index)
        name = pynvml.nvmlDeviceGetName(handle)
        memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
        try:
            utilization: int | None = int(pynvml.nvmlDeviceGetUtilizationRates(handle).gpu)
        except Exception:
            utilization = None
        return GPUStatus(
            name=name.decode() if isinstance(name, bytes) else str(name),
            memory_used=int(memory.used),
            memory_total=int(memory.total),
            utilization_percent=utilization,
        )
    except Exception:
        return None
    finally:
        with contextlib.suppress(Exception):
            pynvml.nvmlShutdown()


def describe_devices() -> dict[str, Any]:
    """A summary for `poet` to print or show: what PyTorch sees and what NVML says."""
    status = gpu_status()
    return {
        "cuda_available": torch.cuda.is_available(),
        "cuda_devices": torch.cuda.device_count() if torch.cuda.is_available() else 0,
        "gpu": None if status is None else status.__dict__,
        "rss": process_rss(),
    }


# ----- `--batch-size auto`: the largest batch whose training step fits in a share of the GPU's free memory -----
CPU_AUTO_BATCH_SIZE = 32  # on the CPU memory is rarely the limit and speed stops growing after a few dozen rows


@dataclass(frozen=True)
class BatchProbe:
    """What `--batch-size auto` chose and why: each trial is (batch size, peak bytes or None, fitted)."""

    batch_size: int
    method: str  # "measured" (CUDA) or "cpu-default"
    budget_bytes: int | None = None
    peak_bytes: int | None = None
    trials: tuple[tuple[int, int | None, bool], ...] = ()


def search_batch_size(
    fits: Callable[[int], tuple[bool, int | None]], start: int, limit: int, refine_steps: int = 2
) -> tuple[int, list[tuple[int, int | None, bool]]]:
    """Double from `start` until a trial fails or `limit` is reached, then bisect between the last fit and the
    first failure `refine_steps` times; if `start` itself fails, halve down to 1. Returns the largest size that
    fitted (1 when none did: the trainer's own out-of-memory handling has the last word) and every trial made."""
    trials: list[tuple[int, int | None, bool]] = []

    def attempt(size: int) -> bool:
        ok, peak = fits(size)
        trials.append((size, peak, ok))
        return ok

    size, failed = max(1, min(start, limit)), None
    while not attempt(size):
        if size == 1:
            return 1, trials
        size, failed = size // 2, size
    best = size
    while failed is None and best < limit:
        size = min(best * 2, limit)
        if attempt(size):
            best = size
        else:
            failed = size
    for _ in range(refine_steps if failed is not None else 0):
        middle = (best + failed) // 2  # type: ignore[operator]
        if middle <= best:
            break
        if attempt(middle):
            best = middle
        else:
            failed = middle
    return best, trials


def training_step_peak(model: Any, optimizer: Any, batch: int, bptt: int, bf16: bool) -> int | None:
    """Peak bytes allocated by one real training step at this batch size, or None when it ran out of memory."""
    import torch.nn.functional as functional

    device = next(model.parameters()).device
    vocab = model.config.vocab_size
    torch.cuda.reset_peak_memory_stats(device)
    try:
        tokens = torch.randint(0, vocab, (batch, bptt + 1), device=device)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=bf16):
            logits, _ = model(tokens[:, :-1])
            loss = functional.cross_entropy(logits.float().reshape(-1, vocab), tokens[:, 1:].reshape(-1))
        loss.backward()
        optimizer.step()
        torch.cuda.synchronize(device)
        return int(torch.cuda.max_memory_allocated(device))
    except torch.cuda.OutOfMemoryError:
        return None
    finally:
        optimizer.zero_grad(set_to_none=True)


def fits_in_budget(
    model: Any, optimizer: Any, bptt: int, bf16: bool, baseline: int, budget: int, batch: int
) -> tuple[bool, int | None]:
    peak = training_step_peak(model, optimizer, batch, bptt, bf16)
    torch.cuda.empty_cache()
    if peak is None:
        return False, None
    return peak - baseline <= budget, peak - baseline


def probe_batch_size(
    model_config: Any,
    bptt: int,
    device: torch.device,
    fraction: float = 0.8,
    bf16: bool = True,
    start: int = 8,
    limit: int = 8192,
) -> BatchProbe:
    """Try real training steps (forward, backward, AdamW) at growing batch sizes under
    `torch.cuda.max_memory_allocated` and keep the largest whose peak stays under `fraction` of the memory that
    was free when the probe began. Unverified on a GPU in the task that wrote it (see benchmarks/RESULTS.md)."""
    if device.type != "cuda":
        return BatchProbe(max(1, min(CPU_AUTO_BATCH_SIZE, limit)), "cpu-default")
    from poet_tui.model import RNNLanguageModel

    torch.cuda.synchronize(device)
    torch.cuda.empty_cache()
    free, _total = torch.cuda.mem_get_info(device)
    budget = int(free * fraction)
    baseline = torch.cuda.memory_allocated(device)
    model = RNNLanguageModel(model_config).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-6, fused=True)

    fits = functools.partial(fits_in_budget, model, optimizer, bptt, bf16, baseline, budget)
    best, trials = search_batch_size(fits, start, limit)
    del fits, optimizer, model
    torch.cuda.empty_cache()
    peak = next((peak for size, peak, ok in trials if ok and size == best), None)
    return BatchProbe(best, "measured", budget, peak, tuple(trials))


def available_memory(device: torch.device) -> int | None:
    """Memory a model could still use on this device: free GPU memory, or available RAM."""
    if device.type == "cuda":
        try:
            free, _ = torch.cuda.mem_get_info(device)
        except RuntimeError:
            return None
        return int(free)
    from poet_tui.model_size import cpu_available_bytes

    return cpu_available_bytes()


def require_model_fits(config: ModelConfig, device: torch.device, where: str) -> None:
    """Refuse, before a tensor exists, a model too big for what this device has free."""
    from poet_tui.model_size import model_size_problem

    problem = model_size_problem(config, available_memory(device))
    if problem is not None:
        raise PoetError(f"{where} describes {problem}; choose a smaller model.")
