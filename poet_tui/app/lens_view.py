"""How the REPL's lens looks (issue #18): a background colour per token from its probability or its surprisal
in bits, or per token from one hidden unit's activation (Karpathy's red/blue view), the token under the cursor
marked, and the one-line legend that names the scale.

Pure functions over plain numbers, so the colours can be tested without a model. Each token's span carries its
index in its style's meta (TOKEN_META) so a click can put the cursor on it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

from textual.content import Content, Span
from textual.style import Style

from poet_tui.lens.colours import SURPRISAL_STEPS, readable_text_colour
from poet_tui.lens.colours import activation_colour as engine_activation_colour

LensMode = Literal["off", "confidence", "surprisal", "cells"]
MODES: tuple[LensMode, ...] = ("off", "confidence", "surprisal", "cells")
MODE_NAMES: dict[LensMode, str] = {
    "off": "off",
    "confidence": "confidence (probability of each token)",
    "surprisal": "surprisal (bits per token)",
    "cells": "cell activation",
}

# The engine's colours (poet_tui/lens/colours.py), shared with `poet lens` and its HTML page: surprisal from green
# to red in five steps, and the same five for confidence the other way round (sure is green, unlikely is red);
# a unit's activation from blue through white to red. Each token's text is black or white, whichever reads.
_GREEN, _LIGHT_GREEN, _YELLOW, _ORANGE, _RED = (step.colour for step in SURPRISAL_STEPS)
CONFIDENCE_SCALE: tuple[tuple[float, str, str], ...] = (
    (0.05, _RED, "<5%"),
    (0.20, _ORANGE, "<20%"),
    (0.50, _YELLOW, "<50%"),
    (0.80, _LIGHT_GREEN, "<80%"),
    (1.01, _GREEN, "≥80%"),
)
SURPRISAL_SCALE: tuple[tuple[float, str, str], ...] = tuple(
    (step.below_bits, step.colour, label)
    for step, label in zip(SURPRISAL_STEPS, ("<1", "1–2", "2–4", "4–8", "≥8"), strict=True)
)
ACTIVATION_STEPS = 5  # legend blocks each side of zero
ACTIVATION_RANGE = 1.0  # the engine's traces are tanh(c) or h: always in [-1, 1], drawn on that fixed scale
CURSOR = Style.parse("bold reverse")
TOKEN_META = "lens-token"  # the index of the scored token under the mouse, read by a click


class ScoredToken(Protocol):
    """What the lens reads of a `poet_tui.lens.scoring.TokenScore`."""

    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def probability(self) -> float: ...
    @property
    def surprisal_bits(self) -> float: ...


def binned(value: float, scale: tuple[tuple[float, str, str], ...]) -> str:
    for limit, colour, _label in scale:
        if value < limit:
            return colour
    return scale[-1][1]


def confidence_colour(probability: float) -> str:
    return binned(probability, CONFIDENCE_SCALE)


def surprisal_colour(bits: float) -> str:
    return binned(bits, SURPRISAL_SCALE)


def activation_colour(activation: float, scale: float = ACTIVATION_RANGE) -> str:
    """Blue below zero, white at zero, red above, full at ±`scale` (the engine's scale)."""
    return engine_activation_colour(activation / scale if scale > 0 else 0.0)


def on(colour: str) -> str:
    """A background and the text colour that reads on it."""
    return f"{readable_text_colour(colour)} on {colour}"


def token_colour(token: ScoredToken, mode: LensMode) -> str:
    return confidence_colour(token.probability) if mode == "confidence" else surprisal_colour(token.surprisal_bits)


def click_style(colour: str, index: int | None) -> Style:
    background = Style.parse(on(colour))
    # Not "@click": Textual draws such spans in its link colour, over the text colour that reads on the background.
    return background if index is None else background + Style.from_meta({TOKEN_META: index})


def scored_content(
    text: str, offset: int, tokens: Sequence[ScoredToken], mode: LensMode, cursor: int | None = None
) -> Content:
    """`text` (characters `offset`… of the scored text) with each token in it coloured by `mode`, clickable.

    The spans are built in one list: stylizing token by token would copy the spans once per token."""
    end = offset + len(text)
    spans: list[Span] = []
    for index, token in enumerate(tokens):
        low, high = max(token.start, offset), min(token.end, end)
        if high > low:
            spans.append(Span(low - offset, high - offset, click_style(token_colour(token, mode), index)))
            if index == cursor:
                spans.append(Span(low - offset, high - offset, CURSOR))
    return Content(text, spans)


def traced_content(text: str, offset: int, trace: Sequence[tuple[int, int, float]], scale: float) -> Content:
    """`text` with each token coloured red/blue by the chosen unit's activation there."""
    end = offset + len(text)
    spans: list[Span] = []
    for start, stop, activation in trace:
        low, high = max(start, offset), min(stop, end)
        if high > low:
            spans.append(Span(low - offset, high - offset, on(activation_colour(activation, scale))))
    return Content(text, spans)


def swatches(scale: tuple[tuple[float, str, str], ...]) -> list[tuple[str, str]]:
    return [(f" {label} ", on(colour)) for _limit, colour, label in scale]


def legend(
    mode: LensMode, bits_per_char: float | None = None, unit: str | None = None, scale: float = ACTIVATION_RANGE
) -> Content:
    """One line: the mode, its colour scale, and the figure that goes with it (bits/char, or which unit)."""
    parts: list[str | tuple[str, str]] = []
    if mode == "confidence":
        parts += [("lens: probability ", "bold"), *swatches(CONFIDENCE_SCALE)]
    elif mode == "surprisal":
        parts += [("lens: surprisal, bits ", "bold"), *swatches(SURPRISAL_SCALE)]
    elif mode == "cells":
        parts += [("lens: cell ", "bold"), (unit or "no unit chosen (f9)", "")]
        if unit is not None:  # blocks drawn in the colour, so the scale survives a wrapped line at 80 columns
            steps = range(-ACTIVATION_STEPS, ACTIVATION_STEPS + 1)
            shades = [activation_colour(scale * step / ACTIVATION_STEPS, scale) for step in steps]
            parts += [(f" {-scale:+g} ", "$text-muted"), *[("█", shade) for shade in shades]]
            parts.append((f" {scale:+g}", "$text-muted"))
    if bits_per_char is not None and mode in ("confidence", "surprisal"):
        parts.append((f" · {bits_per_char:.2f} bits/char", "bold"))
    return Content.assemble(*parts)


def shown_token(text: str) -> str:
    """A token as the alternatives panel names it: quoted, with a line end or a space made visible."""
    return "“" + text.replace("\n", "⏎").replace(" ", "␣").replace("\t", "⇥") + "”"
