"""Streaming on CUDA as one graph replay per token: the single step and the Gumbel-max draw, captured once.

Why: on a GPU a one-token step is dozens of tiny kernels whose launch cost, not their arithmetic, sets the
speed; a CUDA graph launches them all at once. What changes per token stays outside the graph: the exponential
noise is drawn eagerly from the completion's own generator into a static buffer (so the same seed gives the
same text as the eager path), and top-k / top-p fall back to the eager sampler on the graph's logits.

Unverified here: no GPU was lent to the task that wrote this (benchmarks/RESULTS.md). Any failure to capture
falls back to the eager path; `POET_CUDA_GRAPHS=0` turns graphs off.
"""

from __future__ import annotations

import os
import warnings
from typing import TYPE_CHECKING

import torch

from poet_tui.fast_step import single_step

if TYPE_CHECKING:
    from poet_tui.model import RNNLanguageModel, RNNState
    from poet_tui.sample import SamplingSettings, TokenSampler

WARMUP_STEPS = 3


def state_parts(state: RNNState) -> tuple[torch.Tensor, ...]:
    return state if isinstance(state, tuple) else (state,)


class StaticStep:
    """The step with every input and output in a fixed buffer: what a graph captures, and what it replays.

    `run()` reads `token` and `state`, writes `logits`, the drawn `choice`, the new state (in place) and the
    choice back into `token`, so consecutive replays chain without the host touching the device.
    """

    def __init__(self, model: RNNLanguageModel, state: RNNState) -> None:
        self.model = model
        self.key = model.step_weights().key
        device = state_parts(state)[0].device
        self.token = torch.zeros((1, 1), dtype=torch.long, device=device)
        self.state = tuple(part.clone() for part in state_parts(state))
        self.noise = torch.ones(model.config.vocab_size, device=device)
        self.inverse_temperature = torch.ones((), device=device)
        self.logits = torch.zeros(model.config.vocab_size, device=device)
        self.choice = torch.zeros((), dtype=torch.long, device=device)

    def run(self) -> None:
        state: RNNState = self.state if len(self.state) == 2 else self.state[0]  # type: ignore[assignment]
        logits, new_state = single_step(self.model, self.model.step_weights(), self.token, state)
        for static, new in zip(self.state, state_parts(new_state), strict=True):
            static.copy_(new)
        self.logits.copy_(logits.view(-1))
        scores = self.logits * self.inverse_temperature - self.noise.log()
        self.choice.copy_(scores.argmax())
        self.token.view(-1).copy_(self.choice)

    def load(self, state: RNNState) -> None:
        for static, part in zip(self.state, state_parts(state), strict=True):
            static.copy_(part)


class GraphStepper:
    """Replays a captured StaticStep per token; `next_token` is the same contract as sample.EagerStepper."""

    name = "cuda-graph"

    def __init__(self, step: StaticStep, graph: torch.cuda.CUDAGraph | None, sampler: TokenSampler) -> None:
        self.step = step
        self.graph = graph
        self.sampler = sampler

    def replay(self) -> None:
        if self.graph is None:  # the same buffers without a graph: how the logic is tested on a CPU
            self.step.run()
        else:
            self.graph.replay()

    def next_token(self, token_id: int, settings: SamplingSettings) -> int:
        step = self.step
        with torch.inference_mode():
            step.token.fill_(token_id)
            if settings.top_k > 0 or settings.top_p < 1.0:
                self.replay()
                return self.sampler.choose(step.logits, settings)
            if settings.temperature > 0:
                step.noise.exponential_(generator=self.sampler.generator)
                step.inverse_temperature.fill_(1.0 / settings.temperature)
            else:  # greedy: log(1) = 0 leaves the argmax of the logits
                step.noise.fill_(1.0)
                step.inverse_temperature.fill_(1.0)
            self.replay()
            return int(step.choice)


def capture(step: StaticStep) -> torch.cuda.CUDAGraph:
    """Warm up on a side stream (as torch.cuda.graphs asks), then record one step."""
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(WARMUP_STEPS):
            step.run()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        step.run()
    torch.cuda.synchronize()
    return graph


def graphs_enabled() -> bool:
    return os.environ.get("POET_CUDA_GRAPHS", "1") != "0"


def graph_stepper(model: RNNLanguageModel, state: RNNState, sampler: TokenSampler) -> GraphStepper | None:
    """A stepper replaying a graph kept on the model (captured again after its weights change), or None."""
    if not graphs_enabled() or model.__dict__.get("_cuda_graph_failed"):
        return None
    try:
        with torch.inference_mode():
            cached = model.__dict__.get("_cuda_graph")
            if cached is None or cached[0].key != model.step_weights().key:
                model.__dict__["_cuda_graph"] = None
                step = StaticStep(model, state)
                cached = (step, capture(step))
                model.__dict__["_cuda_graph"] = cached
            step, graph = cached
            step.load(state)
        return GraphStepper(step, graph, sampler)
    except Exception as error:  # no graphs on this driver / build / op: stream eagerly instead, once told
        model.__dict__["_cuda_graph_failed"] = True
        model.__dict__["_cuda_graph"] = None
        warnings.warn(f"CUDA graph capture failed ({error}); streaming without it.", RuntimeWarning, stacklevel=2)
        return None
