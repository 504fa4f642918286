"""What `poet --version` says: the package, and the PyTorch it runs on (its build, CUDA, the device `auto` picks),
the three things a bug report needs first."""

from __future__ import annotations

import platform
from importlib import metadata

from poet_tui import __version__


def version_report() -> str:
    """Several lines: poet-tui and Python, torch and its CUDA build, the device training would use."""
    import torch

    from poet_tui.device import resolve_device

    cuda_build = torch.version.cuda
    build = f"built for CUDA {cuda_build}" if cuda_build else "CPU build"
    device = resolve_device("auto")
    if device.type == "cuda":
        used = f"cuda ({torch.cuda.get_device_name(0)}; {torch.cuda.device_count()} visible)"
    elif cuda_build:
        used = "cpu (this torch has CUDA, but no GPU is visible to it)"
    else:
        used = "cpu (no CUDA in this torch)"
    return "\n".join(
        (
            f"poet-tui {__version__} (Python {platform.python_version()})",
            f"torch {torch.__version__} ({build})",
            f"device {used}: what --device auto trains on",
            f"textual {installed('textual')} · safetensors {installed('safetensors')} · "
            f"sentencepiece {installed('sentencepiece')}",
        )
    )


def installed(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"
