"""What a checkpoint must hold beyond the weights to continue a run exactly, as plain tensors and JSON.

The optimizer's moments, every RNG the run draws from, the hidden state carried between windows and the
running loss sum go into safetensors; counters go into the checkpoint's JSON. No pickle anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from poet_tui.errors import PoetError
from poet_tui.model import RecurrentState, RNNLanguageModel
from poet_tui.schedule import PlateauState


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
    rollbacks: int = 0  # NaN/Inf recoveries so far
    lr_scale: float = 1.0  # halved by each rollback
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


def rnn_state_to_tensors(state: RecurrentState | None) -> dict[str, torch.Tensor]:
    if state is None:
        return {}
    return {RNN_STATE_PREFIX + name: tensor for name, tensor in state.to_tensors().items()}


def rnn_state_from_tensors(tensors: dict[str, torch.Tensor], device: torch.device) -> RecurrentState | None:
    parts = {
        key.removeprefix(RNN_STATE_PREFIX): value.to(device)
        for key, value in tensors.items()
        if key.startswith(RNN_STATE_PREFIX)
    }
    return RecurrentState.from_tensors(parts) if parts else None


def check_training_tensors(
    tensors: dict[str, torch.Tensor], model: RNNLanguageModel, batch_size: int, source: Path
) -> None:
    """Names, shapes and dtypes of a training-state file, checked before any of it reaches the optimizer,
    the RNGs or the model: a damaged or forged file is refused in one sentence instead of failing mid-step."""
    parameters = list(model.parameters())

    def refuse(reason: str) -> None:
        raise PoetError(f"{source} is damaged ({reason}); resume from another checkpoint or start a new run.")

    for key, tensor in tensors.items():
        if key.startswith(OPTIMIZER_PREFIX):
            index, _, name = key.removeprefix(OPTIMIZER_PREFIX).partition(".")
            if not index.isdigit() or int(index) >= len(parameters) or name not in ("step", "exp_avg", "exp_avg_sq"):
                refuse(f"unexpected optimizer entry {key}")
            expected = () if name == "step" else tuple(parameters[int(index)].shape)
            if tuple(tensor.shape) != expected or not tensor.is_floating_point():
                refuse(f"{key} has shape {tuple(tensor.shape)}, not {expected}")
        elif key in ("rng.cpu", "rng.windows") or key.startswith("rng.cuda."):
            cpu_generator = not key.startswith("rng.cuda.")
            wrong_shape = cpu_generator and tensor.shape != torch.get_rng_state().shape
            if tensor.dtype != torch.uint8 or tensor.dim() != 1 or wrong_shape:
                refuse(f"{key} is not a random-generator state")
        elif key.startswith(RNN_STATE_PREFIX):
            config = model.config
            expected = (config.num_layers, batch_size, config.hidden_size)
            if key.removeprefix(RNN_STATE_PREFIX) not in ("hidden", "cell") or tuple(tensor.shape) != expected:
                refuse(f"{key} has shape {tuple(tensor.shape)}, not {expected}")
        elif key == "loss_sum":
            if tensor.shape != () or not tensor.is_floating_point():
                refuse("loss_sum is not a single number")
        else:
            refuse(f"unexpected entry {key}")
