"""The recurrent state carried between windows and tokens, as one explicit type.

nn.LSTM wants `(h, c)` and nn.GRU wants `h`; that difference is translated here, at the one place the model
hands a state to torch, so nothing else asks which cell it holds."""

from __future__ import annotations

from dataclasses import dataclass

import torch

TorchState = torch.Tensor | tuple[torch.Tensor, torch.Tensor]


@dataclass(frozen=True)
class RecurrentState:
    """h for every layer, (layers, batch, hidden), and for an LSTM its cell c of the same shape."""

    hidden: torch.Tensor
    cell: torch.Tensor | None = None

    @classmethod
    def zeros(cls, lstm: bool, layers: int, batch: int, hidden_size: int, device: torch.device | str) -> RecurrentState:
        hidden = torch.zeros((layers, batch, hidden_size), device=device)
        return cls(hidden, hidden.clone() if lstm else None)

    @classmethod
    def from_torch(cls, state: TorchState) -> RecurrentState:
        if isinstance(state, tuple):
            return cls(state[0], state[1])
        return cls(state)

    def to_torch(self) -> TorchState:
        """What nn.LSTM (a pair) or nn.GRU (one tensor) takes."""
        return self.hidden if self.cell is None else (self.hidden, self.cell)

    def parts(self) -> tuple[torch.Tensor, ...]:
        return (self.hidden,) if self.cell is None else (self.hidden, self.cell)

    def detach(self) -> RecurrentState:
        """Cut the graph at a window boundary (truncated BPTT) while keeping the values."""
        return RecurrentState(self.hidden.detach(), None if self.cell is None else self.cell.detach())

    def empty_like(self) -> RecurrentState:
        return RecurrentState(torch.empty_like(self.hidden), None if self.cell is None else torch.empty_like(self.cell))

    def copy_(self, other: RecurrentState) -> None:
        """Overwrite in place (a CUDA graph's static buffers)."""
        for mine, theirs in zip(self.parts(), other.parts(), strict=True):
            mine.copy_(theirs)

    def clone(self) -> RecurrentState:
        return RecurrentState(self.hidden.clone(), None if self.cell is None else self.cell.clone())

    def to_tensors(self) -> dict[str, torch.Tensor]:
        """Named tensors for a checkpoint's training state."""
        return {"hidden": self.hidden} if self.cell is None else {"hidden": self.hidden, "cell": self.cell}

    @classmethod
    def from_tensors(cls, tensors: dict[str, torch.Tensor]) -> RecurrentState:
        return cls(tensors["hidden"], tensors.get("cell"))
