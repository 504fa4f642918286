"""Streaming on CUDA as one graph replay per token: the single step and the token choice, captured once.

Why: on a GPU a one-token step is dozens of tiny kernels whose launch cost, not their arithmetic, sets the
speed; a CUDA graph launches them all at once. The step is step.py's `single_step` and the choice is
choose.py's `TokenChooser` (its `scores_of` and `draw`), the very code the eager path runs. What changes per
token stays outside the graph: `TokenChooser.prepare` draws the noise from the completion's own generator into
the chooser's static buffer (so the same seed gives the same text as the eager path), and top-k / top-p are
decided eagerly by the same chooser on the graph's logits.

Unverified here: no GPU was lent to the task that wrote this (benchmarks/RESULTS.md). Any failure to capture
falls back to the eager path; `POET_CUDA_GRAPHS=0` turns graphs off.
"""

from __future__ import annotations

import os
import warnings
from typing import TYPE_CHECKING

import torch

from poet_tui.model.choose import TokenChooser
from poet_tui.model.state import RecurrentState
from poet_tui.model.step import single_step

if TYPE_CHECKING:
    from poet_tui.model.network import RNNLanguageModel
    from poet_tui.sampling_settings import SamplingSettings

WARMUP_STEPS = 3


class StaticStep:
    """The step with every input and output in a fixed buffer: what a graph captures, and what it replays.

    `run()` reads `token` and `state`, writes `logits`, the chosen `choice`, the new state (in place) and the
    choice back into `token`, so consecutive replays chain without the host touching the device. Its chooser's
    buffers (noise, 1/T, mask) are captured too; each completion lends it its own generator and mask.
    """

    def __init__(self, model: RNNLanguageModel, state: RecurrentState) -> None:
        self.model = model
        self.key = model.step_cache.weights(model).key
        device = state.hidden.device
        self.token = torch.zeros((1, 1), dtype=torch.long, device=device)
        self.state = state.clone()
        self.chooser = TokenChooser(model.config.vocab_size, device, torch.Generator(device=device))
        self.chooser.keep_mask_buffer()
        self.logits = torch.zeros(model.config.vocab_size, device=device)
        self.choice = torch.zeros((), dtype=torch.long, device=device)

    def run(self) -> None:
        logits, new_state = single_step(self.model, self.model.step_cache.weights(self.model), self.token, self.state)
        self.state.copy_(new_state)
        self.logits.copy_(logits.view(-1))
        self.choice.copy_(self.chooser.draw(self.chooser.scores_of(self.logits)))
        self.token.view(-1).copy_(self.choice)

    def begin(self, state: RecurrentState, chooser: TokenChooser) -> None:
        """A new completion: its state, its generator and its mask (none: nothing forbidden)."""
        self.state.copy_(state)
        self.chooser.generator = chooser.generator
        self.chooser.set_mask(chooser.mask)


class GraphStepper:
    """Replays a captured StaticStep per token; `next_token` is the same contract as sample.EagerStepper."""

    name = "cuda-graph"

    def __init__(self, step: StaticStep, graph: torch.cuda.CUDAGraph | None) -> None:
        self.step = step
        self.graph = graph
        self.last_logits = step.logits  # the captured buffers: valid after each replay
        self.perturbed = step.chooser.scores

    def replay(self) -> None:
        if self.graph is None:  # the same buffers without a graph: how the logic is tested on a CPU
            self.step.run()
        else:
            self.graph.replay()

    def set_mask(self, mask: torch.Tensor | None) -> None:
        """Into the captured chooser's own mask buffer, which the graph reads at the next replay."""
        self.step.chooser.set_mask(mask)

    def next_token(self, token_id: int, settings: SamplingSettings) -> int:
        step, chooser = self.step, self.step.chooser
        with torch.inference_mode():
            step.token.fill_(token_id)
            if settings.top_k > 0 or settings.top_p < 1.0:
                self.replay()
                return chooser.choose(step.logits, settings)
            chooser.prepare(settings)
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


class GraphCache:
    """The model's captured step (`RNNLanguageModel.graph_cache`), or the fact that capturing failed."""

    def __init__(self) -> None:
        self.captured: tuple[StaticStep, torch.cuda.CUDAGraph] | None = None
        self.failed = False


def graph_stepper(model: RNNLanguageModel, state: RecurrentState, chooser: TokenChooser) -> GraphStepper | None:
    """A stepper replaying a graph kept on the model (captured again after its weights change), or None."""
    cache = model.graph_cache
    if not isinstance(cache, GraphCache):
        cache = model.graph_cache = GraphCache()
    if not graphs_enabled() or cache.failed:
        return None
    try:
        with torch.inference_mode():
            if cache.captured is None or cache.captured[0].key != model.step_cache.weights(model).key:
                cache.captured = None
                step = StaticStep(model, state)
                cache.captured = (step, capture(step))
            step, graph = cache.captured
            step.begin(state, chooser)
        return GraphStepper(step, graph)
    except Exception as error:  # no graphs on this driver / build / op: stream eagerly instead, once told
        cache.failed, cache.captured = True, None
        warnings.warn(f"CUDA graph capture failed ({error}); streaming without it.", RuntimeWarning, stacklevel=2)
        return None
