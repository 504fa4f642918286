"""Streaming generation: prime the prompt in one forward pass, then one step per token, state carried.

`stream_completion` re-reads its `SamplingSettings` before every token, so a caller (the REPL pane) can
change temperature, length or top-k/top-p while a completion is streaming and the rest of it obeys.
"""

from __future__ import annotations

import random
import time
from collections.abc import Generator
from typing import Protocol

import torch

from poet_tui.errors import PoetError
from poet_tui.forms import Form
from poet_tui.model import RecurrentState, RNNLanguageModel, TokenChooser
from poet_tui.sampling_settings import CompletionStats, SamplingSettings
from poet_tui.tokenizers import Tokenizer, describe_symbols

__all__ = ["CompletionStats", "SamplingSettings", "complete", "stream_completion"]

POEM_SEPARATOR = "\n\n"


def prompt_token_ids(tokenizer: Tokenizer, prompt: str) -> list[int]:
    """`<eod>` (a poem starts here) and the prompt; refuses symbols the model never saw."""
    missing = tokenizer.unknown_symbols(prompt)
    if missing:
        kind = "characters" if tokenizer.kind == "char" else "words"
        raise PoetError(f"the prompt has {kind} this model never saw: {describe_symbols(missing)}; leave them out.")
    return [tokenizer.end_of_document_id, *tokenizer.encode(prompt)]


def choose_next_token(logits: torch.Tensor, settings: SamplingSettings, generator: torch.Generator) -> int:
    """Temperature, then top-k, then top-p (nucleus), then a draw from the generator."""
    return TokenChooser(logits.numel(), logits.device, generator).choose(logits, settings)


def make_generator(device: torch.device, seed: int | None) -> torch.Generator:
    generator = torch.Generator(device=device)
    generator.manual_seed(seed if seed is not None else random.SystemRandom().randrange(2**63))
    return generator


class EagerStepper:
    """Feeds one token through `model(...)` (its single-step path, model/step.py) and lets the chooser pick."""

    name = "eager"

    def __init__(self, model: RNNLanguageModel, state: RecurrentState, chooser: TokenChooser) -> None:
        self.model = model
        self.state = state
        self.chooser = chooser
        device = chooser.noise.device
        self.token = torch.zeros((1, 1), dtype=torch.long, device=device)
        self.last_logits = torch.zeros(model.config.vocab_size, device=device)
        self.perturbed = chooser.scores
        # One token is too little work to split across cores: on the CPU, OpenMP's fork/join costs more than it
        # saves, and on a busy machine a descheduled helper thread stalls every op (2 CPU cores here: 0.16 to
        # 1.4 ms/token with 2 threads, 0.11 ms/token with 1). The count is restored before each token is handed
        # back, so the caller's own work keeps every core.
        self.threads = 1 if device.type == "cpu" else None

    def next_token(self, token_id: int, settings: SamplingSettings) -> int:
        previous = torch.get_num_threads()
        if self.threads is not None:
            torch.set_num_threads(self.threads)
        try:
            with torch.inference_mode():
                self.token.fill_(token_id)
                logits, self.state = self.model(self.token, self.state)
                self.last_logits = logits.view(-1)
                return self.chooser.choose(self.last_logits, settings)
        finally:
            if self.threads is not None:
                torch.set_num_threads(previous)

    def set_mask(self, mask: torch.Tensor | None) -> None:
        self.chooser.set_mask(mask)


class Stepper(Protocol):
    name: str
    last_logits: torch.Tensor  # the logits the last token was chosen from
    perturbed: torch.Tensor  # and its scores with the draw's noise (Gumbel-max: the winner is their argmax)

    def next_token(self, token_id: int, settings: SamplingSettings) -> int: ...

    def set_mask(self, mask: torch.Tensor | None) -> None: ...


def make_stepper(model: RNNLanguageModel, state: RecurrentState, chooser: TokenChooser, graphs: bool = True) -> Stepper:
    """A CUDA graph replay per token where one can be captured (model/graph.py), else the eager single step."""
    if graphs and chooser.noise.device.type == "cuda":
        from poet_tui.model.graph import graph_stepper

        stepper = graph_stepper(model, state, chooser)
        if stepper is not None:
            return stepper
    return EagerStepper(model, state, chooser)


def stream_completion(
    model: RNNLanguageModel,
    tokenizer: Tokenizer,
    prompt: str,
    settings: SamplingSettings,
    stats: CompletionStats | None = None,
    form: Form | None = None,
    prompt_ids: list[int] | None = None,
) -> Generator[str, None, None]:
    """Yield the completion of `prompt` one decoded piece at a time (the prompt itself is not repeated).

    The prompt is primed in one forward pass; after that each token is one step with the state carried. Grad
    mode is switched off per step rather than across `yield`, so the caller's code between pieces runs as usual.
    With a `form`, each token is drawn among those that keep the poem in it, and the completion ends exactly when
    the form is complete (the length setting does not cut it short).
    With `prompt_ids` (the exact tokens to read, normally starting with `<eod>`: a branch of an earlier
    completion) the prompt is not tokenized again; a form then follows the text those tokens decode to.
    """
    settings.validate()
    device = next(model.parameters()).device
    if prompt_ids is None:
        prompt_ids = prompt_token_ids(tokenizer, prompt)
    else:
        if not prompt_ids or not all(0 <= token_id < model.config.vocab_size for token_id in prompt_ids):
            raise PoetError(
                f"a completion starts from one or more token ids below {model.config.vocab_size} (<eod> starts a poem)."
            )
        prompt = tokenizer.decode(prompt_ids)
    stats = stats if stats is not None else CompletionStats()
    chooser = TokenChooser(model.config.vocab_size, device, make_generator(device, settings.seed))
    constraint = None
    if form is not None:
        from poet_tui.form_constraint import FormConstraint

        constraint = FormConstraint(form, tokenizer, device)
        constraint.follow_prompt(prompt)
        chooser.set_mask(constraint.prepare(settings.top_k, settings.top_p))
    decoder = tokenizer.stream_decoder()
    end_of_document = tokenizer.end_of_document_id
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            logits, state = model(torch.tensor([prompt_ids], device=device))
            token_id = chooser.choose(logits[0, -1], settings)
            if constraint is not None:
                token_id = constraint.settle(token_id, logits[0, -1], chooser.scores, settings.temperature)
        stepper: Stepper | None = None
        while True:
            stats.tokens += 1
            stats.token_ids.append(token_id)
            if stats.first_token_seconds is None:
                stats.first_token_seconds = time.perf_counter() - stats.started
            if constraint is not None:
                constraint.advance(token_id)
                stats.forced_steps = constraint.forced
            if token_id == end_of_document:
                if settings.stop_at_end_of_poem or constraint is not None:
                    stats.stopped_at_end_of_poem = True
                    break
                piece = POEM_SEPARATOR
            else:
                piece = decoder.feed(token_id)
            if piece:
                yield piece
            if constraint is None and stats.tokens >= settings.max_tokens:  # re-read: it may change mid-stream
                break
            if stepper is None:  # built after the first token is out, so a graph capture never delays it
                # A model in training (the sample at each evaluation) changes before the next completion: a graph
                # captured for it would be thrown away, so it streams eagerly.
                stepper = make_stepper(model, state, chooser, graphs=not was_training)
                stats.stepper = stepper.name
            if constraint is not None:
                stepper.set_mask(constraint.prepare(settings.top_k, settings.top_p))
            token_id = stepper.next_token(token_id, settings)
            if constraint is not None:
                with torch.inference_mode():
                    token_id = constraint.settle(token_id, stepper.last_logits, stepper.perturbed, settings.temperature)
                stats.forced_steps = constraint.forced
    finally:
        stats.finished = time.perf_counter()
        if was_training:
            model.train()


def complete(
    model: RNNLanguageModel, tokenizer: Tokenizer, prompt: str, settings: SamplingSettings, form: Form | None = None
) -> str:
    return "".join(stream_completion(model, tokenizer, prompt, settings, form=form))
