"""Which device to train on, and how much memory it and this process use (NVML when there is a GPU)."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import Any

import torch

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
