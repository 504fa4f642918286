"""The side panel of the REPL's token cursor (f8): the token under the cursor, how likely the model found it,
and the top-k alternatives it considered there, most likely first. ←/→ move over the tokens, ↑/↓ pick an
alternative, Enter branches from it (the pane regenerates from that position), escape goes back to the prompt.

Docked right over the transcript like the overlap panel, hidden while the cursor is not in use."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from poet_tui.app.lens_view import shown_token

if TYPE_CHECKING:
    from poet_tui.lens.scoring import Alternative, TokenScore

BAR_CELLS = 8


class TokenStep(Message):
    """Move the token cursor by `step` tokens (`to_end`: to the first or the last)."""

    def __init__(self, step: int, to_end: bool = False) -> None:
        super().__init__()
        self.step = step
        self.to_end = to_end


class CursorClosed(Message):
    """Escape in the panel: the token cursor is put away and the prompt has the focus again."""


class AlternativeList(OptionList):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "step(-1)", "Token", key_display="←→", tooltip="Previous / next token", id="lens.token"),
        Binding("right", "step(1)", "Next token", show=False, id="lens.token_next"),
        Binding("home", "ends(-1)", "First token", show=False, id="lens.first"),
        Binding("end", "ends(1)", "Last token", show=False, id="lens.last"),
        Binding("enter", "select", "Branch", tooltip="Regenerate from here with this alternative", id="lens.branch"),
        Binding("escape", "close", "Back", tooltip="Back to the prompt", id="lens.close"),
    ]

    def action_step(self, step: int) -> None:
        self.post_message(TokenStep(step))

    def action_ends(self, direction: int) -> None:
        self.post_message(TokenStep(direction, to_end=True))

    def action_close(self) -> None:
        self.post_message(CursorClosed())


def sorted_alternatives(token: TokenScore) -> list[Alternative]:
    """The alternatives, most likely first (the engine gives them so; sorting again costs nothing and is sure)."""
    return sorted(token.alternatives, key=lambda alternative: -alternative.probability)


def alternative_prompt(alternative: Alternative, drawn: bool) -> Content:
    filled = round(alternative.probability * BAR_CELLS)
    bar = "█" * filled + "·" * (BAR_CELLS - filled)
    return Content.assemble(
        (f"{alternative.probability:6.1%} ", "bold"),
        (bar, "$text-accent"),
        " ",
        shown_token(alternative.text),
        (" drawn" if drawn else "", "$text-muted italic"),
    )


class AlternativesPanel(Vertical):
    """What the model considered at the cursor's token; the pane fills it with `show_token`."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.alternatives: list[Alternative] = []

    def compose(self) -> ComposeResult:
        yield Static(id="lens-token")
        yield AlternativeList(id="lens-alternatives")
        yield Static(Content.styled("⏎ branch · ←→ token · esc back", "$text-muted"), id="lens-hint")

    def on_mount(self) -> None:
        self.border_title = "alternatives"

    def show_token(self, token: TokenScore | None, number: int = 0, count: int = 0) -> None:
        """Show `token` (the `number`th of `count`) and its alternatives; None hides the panel."""
        if token is None:
            self.display = False
            return
        self.display = True
        self.query_one("#lens-token", Static).update(
            Content.assemble(
                (f"token {number} of {count} ", "$text-muted"),
                (shown_token(token.text), "bold"),
                f"\np {token.probability:.1%} · {token.surprisal_bits:.2f} bits",
            )
        )
        options = self.query_one(AlternativeList)
        alternatives = sorted_alternatives(token)
        options.set_options(
            Option(alternative_prompt(alternative, alternative.token_id == token.token_id), id=str(index))
            for index, alternative in enumerate(alternatives)
        )
        options.highlighted = 0 if alternatives else None
        self.alternatives = alternatives

    def chosen(self, index: int) -> Alternative | None:
        return self.alternatives[index] if 0 <= index < len(self.alternatives) else None
