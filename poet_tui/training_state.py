"""What a checkpoint must hold beyond the weights to continue a run exactly, as plain tensors and JSON.

The optimizer's moments, every RNG the run draws from, the hidden state carried between windows and the
running loss sum go into safetensors; counters go into the checkpoint's JSON. No pickle anywhere.
"""

from __future__ import annotations

from typing import Any

import torch

from poet_tui.errors import PoetError
from poet_tui.model import RNNState, state_from_tensors, state_tensors

OPTIMIZER_PREFIX = "optimizer."
RNN_STATE_PREFIX = "rnn_state."


def optimizer_to_tensors(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], list[dict[str, Any]]]:
    state_dict = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    for parameter_id, parameter_state in state_dict["state"].items():
        for name, value in parameter_state.items():
            tensor = value if torch.is_tensor(value) else torch.tensor(value)
            tensors[f"{OPTIMIZER_PREFIX}{parameter_id}.{name}"] = tensor
    groups = [
        {key: list(value) if isinstance(value, tuple) else value for key, value in group.items()}
        for group in state_dict["param_groups"]
    ]
    return tensors, groups


def restore_optimizer(optimizer: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], groups: list[dict]) -> None:
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, tensor in tensors.items():
        if key.startswith(OPTIMIZER_PREFIX):
            parameter_id, name = key.removeprefix(OPTIMIZER_PREFIX).split(".", 1)
            state.setdefault(int(parameter_id), {})[name] = tensor
    restored_groups = [
        {key: tuple(value) if key == "betas" else value for key, value in group.items()} for group in groups
    ]
    try:
        optimizer.load_state_dict({"state": state, "param_groups": restored_groups})
    except (ValueError, KeyError, RuntimeError) as error:
        raise PoetError(f"the checkpoint's optimizer state does not fit this model ({error}).") from None


def random_state_tensors(device: torch.device) -> dict[str, torch.Tensor]:
    tensors = {"rng.cpu": torch.get_rng_state()}
    if device.type == "cuda":
        for index, rng_state in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng.cuda.{index}"] = rng_state
    return tensors


def restore_random_state(tensors: dict[str, torch.Tensor], device: torch.device) -> None:
    if "rng.cpu" in tensors:
        torch.set_rng_state(tensors["rng.cpu"])
    if device.type == "cuda":
        cuda_states = [tensors[key] for key in sorted(tensors) if key.startswith("rng.cuda.")]
        if cuda_states and len(cuda_states) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(cuda_states)


def rnn_state_to_tensors(state: RNNState | None) -> dict[str, torch.Tensor]:
    if state is None:
        return {}
    return {RNN_STATE_PREFIX + name: tensor for name, tensor in state_tensors(state).items()}


def rnn_state_from_tensors(tensors: dict[str, torch.Tensor], device: torch.device) -> RNNState | None:
    parts = {
        key.removeprefix(RNN_STATE_PREFIX): value.to(device)
        for key, value in tensors.items()
        if key.startswith(RNN_STATE_PREFIX)
    }
    return state_from_tensors(parts) if parts else None
