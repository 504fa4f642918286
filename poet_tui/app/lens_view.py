"""How the REPL's lens looks (issue #18): a background colour per token from its probability or its surprisal
in bits, or per token from one hidden unit's activation (Karpathy's red/blue view), the token under the cursor
marked, and the one-line legend that names the scale.

Pure functions over plain numbers, so the colours can be tested without a model. Each token's span may carry a
click action (`token(N)`) so the mouse can put the cursor on it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

from textual.color import Color
from textual.content import Content, Span
from textual.style import Style

LensMode = Literal["off", "confidence", "surprisal", "cells"]
MODES: tuple[LensMode, ...] = ("off", "confidence", "surprisal", "cells")
MODE_NAMES: dict[LensMode, str] = {
    "off": "off",
    "confidence": "confidence (probability of each token)",
    "surprisal": "surprisal (bits per token)",
    "cells": "cell activation",
}

# Dark backgrounds that keep the default text readable in light and dark themes (as overlap_view's palette).
# Confidence: red where the model hardly expected the token, green where it was sure.
CONFIDENCE_SCALE: tuple[tuple[float, str, str], ...] = (
    (0.05, "#8b1e1e", "<5%"),
    (0.20, "#8a4b12", "<20%"),
    (0.50, "#6b6414", "<50%"),
    (0.80, "#35622a", "<80%"),
    (1.01, "#1d4f3c", "≥80%"),
)
# Surprisal: calm blue for the expected, hot red where the model was surprised.
SURPRISAL_SCALE: tuple[tuple[float, str, str], ...] = (
    (1.0, "#1c2f4a", "<1"),
    (2.0, "#2d4f6e", "1–2"),
    (4.0, "#6b5a1a", "2–4"),
    (8.0, "#8a4b12", "4–8"),
    (float("inf"), "#8b1e1e", "≥8"),
)
NEGATIVE, POSITIVE = Color.parse("#1f4e9a"), Color.parse("#a12525")
NEUTRAL = Color.parse("#3a3a3a")
ACTIVATION_STEPS = 5  # shades each side of zero
ACTIVATION_RANGE = 1.0  # the engine's traces are tanh(c) or h: always in [-1, 1], drawn on that fixed scale
CURSOR = Style.parse("bold reverse")


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


def activation_colour(activation: float, scale: float) -> str:
    """Blue below zero, red above, in ACTIVATION_STEPS shades each side, full at ±`scale`."""
    share = max(-1.0, min(1.0, activation / scale)) if scale > 0 else 0.0
    step = round(abs(share) * ACTIVATION_STEPS)
    if step == 0:
        return NEUTRAL.hex.lower()
    return NEUTRAL.blend(POSITIVE if share > 0 else NEGATIVE, step / ACTIVATION_STEPS).hex.lower()


def token_colour(token: ScoredToken, mode: LensMode) -> str:
    return confidence_colour(token.probability) if mode == "confidence" else surprisal_colour(token.surprisal_bits)


def click_style(colour: str, index: int | None) -> Style:
    background = Style.parse(f"on {colour}")
    return background if index is None else background + Style.from_meta({"@click": f"token({index})"})


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
            spans.append(Span(low - offset, high - offset, f"on {activation_colour(activation, scale)}"))
    return Content(text, spans)


def swatches(scale: tuple[tuple[float, str, str], ...]) -> list[tuple[str, str]]:
    return [(f" {label} ", f"on {colour}") for _limit, colour, label in scale]


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
