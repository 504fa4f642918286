"""A form (forms.py) as a logit mask over a model's vocabulary, kept in step with the tokens sampled."""

from __future__ import annotations

import torch

from poet_tui.errors import PoetError
from poet_tui.forms import Allowed, Form, FormState, require_characters
from poet_tui.tokenizers import Tokenizer


class FormConstraint:
    """Before each token, `mask()` forbids (-inf) every token that would break the form; `advance()` follows."""

    def __init__(self, form: Form, tokenizer: Tokenizer, device: torch.device) -> None:
        tokens = getattr(tokenizer, "tokens", None)
        if tokenizer.kind != "char" or tokens is None:
            raise PoetError(
                f"forms work with char models for now; this model's tokenizer is {tokenizer.kind}. "
                "Leave --form out, or train a char model."
            )
        self.form = form
        self.state = FormState(form)
        self.tokens: list[str] = list(tokens)
        self.end_id = tokenizer.end_of_document_id
        self.special_ids = {index for index, token in enumerate(self.tokens) if len(token) != 1}
        require_characters(form, [token for index, token in enumerate(self.tokens) if index not in self.special_ids])
        self.device = device
        self.masks: dict[Allowed, torch.Tensor] = {}
        self.finished = False

    def mask(self) -> torch.Tensor:
        """0 where a token keeps the form, -inf elsewhere; one tensor per kind of position, built once."""
        allowed = self.state.allowed()
        cached = self.masks.get(allowed)
        if cached is None:
            values = torch.full((len(self.tokens),), float("-inf"))
            for index, token in enumerate(self.tokens):
                if index not in self.special_ids and allowed.permits(token):
                    values[index] = 0.0
            if allowed.end or allowed.must_end:
                values[self.end_id] = 0.0
            cached = self.masks[allowed] = values.to(self.device)
        return cached

    def advance(self, token_id: int) -> None:
        if token_id == self.end_id:
            self.finished = True
            return
        for character in self.tokens[token_id]:
            self.state.advance(character)

    def follow_prompt(self, prompt: str) -> None:
        """The prompt may fill the start of the form; one that already breaks it is refused."""
        for position, character in enumerate(prompt):
            if not self.state.accept(character):
                raise PoetError(
                    f"the prompt does not fit the form {self.form.name} ({self.form.describe()}) at character "
                    f"{position + 1} ({character!r}); change the prompt or choose another form."
                )
