"""A form (poet_tui/forms) as a logit mask over a model's vocabulary, kept in step with the tokens sampled.

Each token is tried as the text it writes: a char token is one character, a SentencePiece piece or a word
token is several, and a token is allowed only if every character of it keeps the poem finishable in its form
(so a piece that would cross a line end or overfill a line is masked). Tokens are tried along a trie of
their texts spelled in character classes (all the ideographs of a verse slot, or a letter in either case,
act alike), so alike tokens share the work; each mask is kept under its form state's key in a `MaskBook`
that every completion with the same tokenizer and form shares.

`settle` is the safety net after each draw: when the model gave the allowed tokens almost no probability
(or its logits are not numbers), the step is *forced* to the allowed token with the highest logit, and
counted, so a poem always ends in its form and the caller can say how much the form had to push."""

from __future__ import annotations

import math
import weakref

import torch

from poet_tui.errors import PoetError
from poet_tui.forms import Form, FormState, LineForm, require_characters
from poet_tui.tokenizers import Tokenizer

FORCED_BELOW = 1e-3  # a step is forced when the allowed tokens held less than this share of the probability
MASK_CACHE_BYTES = 64 * 2**20  # per tokenizer and form


class TokenTrie:
    """Token texts by character class: `children[c]` continues the text, `ends` are the tokens ending here."""

    __slots__ = ("children", "ends")

    def __init__(self) -> None:
        self.children: dict[str, TokenTrie] = {}
        self.ends: list[int] = []

    def add(self, text: str, token_id: int) -> None:
        node = self
        for character in text:
            node = node.children.setdefault(character, TokenTrie())
        node.ends.append(token_id)


class MaskBook:
    """For one tokenizer and form: the class trie of its tokens and every mask built so far, by state key."""

    def __init__(self, form: Form, texts: list[str | None], end_id: int, device: torch.device) -> None:
        self.form = form
        self.end_id = end_id
        self.device = device
        self.vocab_size = len(texts)
        self.horizon = max((len(text) for text in texts if text), default=1)
        classes = FormState(form)
        self.trie = TokenTrie()
        for token_id, text in enumerate(texts):
            if text and token_id != end_id:
                self.trie.add("".join(classes.character_class(character) for character in text), token_id)
        starts = [token_id != end_id and text is not None and text[:1] == "\n" for token_id, text in enumerate(texts)]
        self.starts_line = torch.tensor(starts, device=device)
        self.masks: dict[tuple[object, ...], torch.Tensor] = {}
        self.tensors: dict[tuple[int, ...], torch.Tensor] = {}
        self.limit = max(64, MASK_CACHE_BYTES // (4 * max(self.vocab_size, 1)))

    def allowed_ids(self, state: FormState) -> list[int]:
        """Every token whose whole text the form accepts from here, and the end when the poem is complete."""
        allowed = [self.end_id] if state.complete() else []
        if state.must_end():
            return allowed
        stack = [(self.trie, state)]
        while stack:
            node, at = stack.pop()
            for character, child in node.children.items():
                if not child.children and at.letter_surely_fits(character):
                    allowed.extend(child.ends)  # a one-letter token deep inside a line: no trial needed
                    continue
                trial = at.copy()
                if trial.try_accept(character):
                    allowed.extend(child.ends)
                    if child.children:
                        stack.append((child, trial))
        return allowed

    def mask(self, state: FormState) -> torch.Tensor:
        key = state.key(self.horizon)
        cached = self.masks.get(key)
        if cached is None:
            allowed = self.allowed_ids(state)
            if not allowed:  # the state machine promises a next character; a vocabulary could still lack it
                raise PoetError(
                    f"this model's vocabulary has no token that continues the form {self.form.name} here; "
                    "try another form or a model trained on text in it."
                )
            # many states allow the same tokens (every letter but one, say): one tensor for each such set
            chosen = tuple(allowed)
            cached = self.tensors.get(chosen)
            if cached is None:
                values = torch.full((self.vocab_size,), float("-inf"))
                values[allowed] = 0.0
                cached = self.tensors[chosen] = values.to(self.device)
            if len(self.masks) >= self.limit:
                self.masks.clear()
            if len(self.tensors) >= self.limit:
                self.tensors.clear()
            self.masks[key] = cached
        return cached


BOOKS: weakref.WeakKeyDictionary[Tokenizer, dict[tuple[Form, str], MaskBook]] = weakref.WeakKeyDictionary()


def mask_book(form: Form, tokenizer: Tokenizer, texts: list[str | None], device: torch.device) -> MaskBook:
    """The shared book for this tokenizer, form and device (built on first use, dropped with the tokenizer)."""
    books = BOOKS.setdefault(tokenizer, {})
    key = (form, str(device))
    book = books.get(key)
    if book is None:
        book = books[key] = MaskBook(form, texts, tokenizer.end_of_document_id, device)
    return book


class FormConstraint:
    """Before each token, `mask()` forbids (-inf) every token that would break the form; `advance()` follows."""

    def __init__(self, form: Form, tokenizer: Tokenizer, device: torch.device) -> None:
        texts = tokenizer.token_texts()
        line_count_only = isinstance(form, LineForm) and not (form.syllables or form.rhyme_scheme or form.acrostic)
        if tokenizer.kind == "word" and not line_count_only:
            raise PoetError(
                "a word model keeps forms by line count only (sonnet, quatrain, couplets:N, without --rhyme, "
                "--metre or --acrostic); train a char or spm model for the rest."
            )
        require_characters(form, sorted({character for text in texts if text for character in text}))
        self.form = form
        self.state = FormState(form)
        self.texts = texts
        self.end_id = tokenizer.end_of_document_id
        self.book = mask_book(form, tokenizer, texts, device)
        self.current: torch.Tensor | None = None
        self.lazy = False
        self.finished = False
        self.forced = 0

    def mask(self) -> torch.Tensor:
        """0 where a token keeps the form, -inf elsewhere."""
        self.current = self.book.mask(self.state)
        return self.current

    def prepare(self, top_k: int, top_p: float) -> torch.Tensor | None:
        """The mask to set before the next draw, or None: draw from every token and check after (`settle`).

        With the Gumbel-max draw, the token that wins among all tokens, when the form allows it, is the very
        token that would win among the allowed ones with the same noise; only when it breaks the form is the
        mask needed, and the allowed winner is then read from the same perturbed scores. So most steps never
        build a mask, and the poem is drawn from exactly the masked distribution. Top-k and top-p must rank
        the allowed tokens only, so with them the mask is set first."""
        self.lazy = top_k == 0 and top_p >= 1.0
        self.current = None
        return None if self.lazy else self.mask()

    def allows(self, token_id: int) -> bool:
        """Whether the token keeps the poem finishable in its form (what its mask entry would say)."""
        if token_id == self.end_id:
            return self.state.complete()
        text = self.texts[token_id] if 0 <= token_id < len(self.texts) else None
        if not text or self.state.must_end():
            return False
        trial = self.state.copy()
        return all(trial.try_accept(character) for character in text)

    def settle(self, token_id: int, logits: torch.Tensor, perturbed: torch.Tensor, temperature: float) -> int:
        """The token this step writes: the drawn one when the form allows it, else the allowed winner of the same
        draw (`perturbed`: the scores with their Gumbel noise), or, when the model left the allowed tokens
        almost no probability (or its logits are not numbers), the allowed token with the highest logit: a
        forced step, counted."""
        scaled = logits.view(-1).float()
        if temperature > 0:
            scaled = scaled / temperature
        if self.lazy and self.allows(token_id) and math.isfinite(float(scaled[token_id])):  # NaN draws are no draw
            return self.follow_layout(token_id, scaled, self.mask()) if self.state.choosing_layout() else token_id
        mask = self.current if self.current is not None else self.mask()
        total, allowed = torch.logsumexp(torch.stack((scaled, scaled + mask)), 1).tolist()
        share = allowed - total
        drawn_allowed = float(mask[token_id]) == 0.0
        if not (math.isfinite(share) and share >= math.log(FORCED_BELOW)):
            self.forced += 1
            safe = torch.nan_to_num(logits.view(-1).float(), nan=-1e30, posinf=1e30, neginf=-1e30) + mask
            return int(torch.argmax(safe))
        if not drawn_allowed:  # the lazy draw broke the form: the allowed winner of the same noise
            token_id = int(torch.argmax(torch.nan_to_num(perturbed.view(-1).float(), nan=-1e30) + mask))
        if self.state.choosing_layout():
            return self.follow_layout(token_id, scaled, mask)
        return token_id

    def follow_layout(self, token_id: int, scaled: torch.Tensor, mask: torch.Tensor) -> int:
        """The layout the model prefers, by all its probability for a line break against all of it for the
        next verse (not by the one ideograph an acrostic allows, which could make a line break look likelier
        than the corpus's layout): the drawn token if it agrees, else the likeliest allowed token that does."""
        starts_line = self.book.starts_line
        line_break = torch.logsumexp(scaled.masked_fill(~starts_line, float("-inf")), 0)
        go_on = torch.logsumexp(scaled.masked_fill(starts_line, float("-inf")), 0)
        wants_line = bool(line_break > go_on)
        if bool(starts_line[token_id]) == wants_line:
            return token_id
        agreeing = mask.masked_fill(starts_line if not wants_line else ~starts_line, float("-inf"))
        if not bool(torch.isfinite(agreeing).any()):
            return token_id  # the vocabulary cannot write the preferred layout here
        return int(torch.argmax(scaled + agreeing))

    def advance(self, token_id: int) -> None:
        if token_id == self.end_id:
            self.finished = True
            return
        for character in self.texts[token_id] or "":
            self.state.advance(character)

    def follow_prompt(self, prompt: str) -> None:
        """The prompt may fill the start of the form (fixed slots); one that already breaks it is refused."""
        for position, character in enumerate(prompt):
            if not self.state.accept(character):
                raise PoetError(
                    f"the prompt does not fit the form {self.form.name} ({self.form.describe()}) at character "
                    f"{position + 1} ({character!r}); change the prompt or choose another form."
                )
