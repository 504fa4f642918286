"""The lens's two colour scales, one place for every view (terminal, HTML page, app): surprisal in bits on a
green-to-red scale of a few named steps, and a unit's activation in [-1, 1] from blue through white to red
(Karpathy's view). Plain data, no torch."""

from __future__ import annotations

from typing import NamedTuple


class SurprisalStep(NamedTuple):
    below_bits: float  # the step holds surprisals under this (and at or above the step before)
    colour: str  # hex, for a background
    label: str


SURPRISAL_STEPS: tuple[SurprisalStep, ...] = (
    SurprisalStep(1.0, "#1a9850", "< 1 bit"),
    SurprisalStep(2.0, "#91cf60", "1–2"),
    SurprisalStep(4.0, "#fee08b", "2–4"),
    SurprisalStep(8.0, "#fc8d59", "4–8"),
    SurprisalStep(float("inf"), "#d73027", "≥ 8 bits"),
)


def surprisal_colour(bits: float) -> str:
    for step in SURPRISAL_STEPS:
        if bits < step.below_bits:
            return step.colour
    return SURPRISAL_STEPS[-1].colour


def activation_colour(activation: float) -> str:
    """-1 full blue, 0 white, +1 full red; values outside [-1, 1] are clamped (a raw cell state can pass them)."""
    value = max(-1.0, min(1.0, activation))
    fade = round(255 * (1 - abs(value)))
    red, green, blue = (255, fade, fade) if value >= 0 else (fade, fade, 255)
    return f"#{red:02x}{green:02x}{blue:02x}"


def readable_text_colour(background: str) -> str:
    """Black on light backgrounds, white on dark ones."""
    red, green, blue = (int(background[index : index + 2], 16) for index in (1, 3, 5))
    return "#000000" if 0.299 * red + 0.587 * green + 0.114 * blue > 128 else "#ffffff"


ACTIVATION_LEGEND: tuple[tuple[float, str], ...] = ((-1.0, "−1"), (-0.5, "−0.5"), (0.0, "0"), (0.5, "0.5"), (1.0, "1"))
