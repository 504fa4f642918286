"""The numbers behind a readable loss plot: round ticks (1, 2 or 5 times a power of ten), a smoothed training
curve, the recent part of a run, and the log scale. Pure functions: no widget, no plotting library."""

from __future__ import annotations

import math

Points = list[tuple[int, float]]

RECENT_SHARE = 0.25  # zoom-to-recent shows the last quarter of the steps...
RECENT_MIN_POINTS = 8  # ...and never fewer points than this


def nice_step(span: float, most: int) -> float:
    """The smallest 1, 2 or 5 × 10^k that cuts `span` into at most `most` intervals."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    rough = span / max(1, most)
    power = 10.0 ** math.floor(math.log10(rough))
    for factor in (1.0, 2.0, 5.0, 10.0):
        if factor * power >= rough * (1 - 1e-9):
            return factor * power
    return 10.0 * power


def nice_ticks(low: float, high: float, most: int = 6, *, whole: bool = False, finest: float = 0.0) -> list[float]:
    """Round values inside [low, high], at most `most` of them (integers only when `whole`, never closer than
    `finest`); one value when the range is a single point."""
    if high < low:
        low, high = high, low
    if high - low < 1e-12:
        return [round(low) if whole else low]
    step = max(nice_step(high - low, most), 1.0 if whole else finest)
    first = math.ceil(low / step - 1e-9)
    last = math.floor(high / step + 1e-9)
    return [round(index * step, 10) for index in range(first, last + 1)]


def decimals_for(step: float) -> int:
    """How many decimals tell apart ticks `step` apart: 0 for whole steps, never more than 2."""
    if step >= 1:
        return 0
    return min(2, max(0, -math.floor(math.log10(step) + 1e-9)))


def loss_labels(values: list[float]) -> list[str]:
    """Loss ticks with as few decimals as tell them apart (at most 2): `1.5 2 2.5` reads `1.5 2.0 2.5`."""
    if len(values) < 2:
        return [f"{value:.2f}" for value in values]
    places = max(decimals_for(abs(values[1] - values[0])), 1)
    return [f"{value:.{min(places, 2)}f}" for value in values]


def step_label(step: float) -> str:
    """A step count as a tick: `800`, `1,200`, `15k`, `2.5M`."""
    value = round(step)
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if abs(value) >= 100_000:
        return f"{value / 1000:g}k"
    return f"{value:,}"


def step_ticks(first: int, last: int, most: int = 6) -> tuple[list[float], list[str]]:
    values = nice_ticks(first, last, most, whole=True)
    return values, [step_label(value) for value in values]


def loss_ticks(low: float, high: float, most: int = 5, *, log: bool = False) -> tuple[list[float], list[str]]:
    """Ticks for the loss axis and their labels. On a log scale the values are still round losses, placed at
    their logarithm (the plot draws log10 of each loss)."""
    if not log:
        values = nice_ticks(low, high, most, finest=0.01)  # two decimals tell them apart
        return values, loss_labels(values)
    low, high = max(low, 1e-6), max(high, 1e-6)
    values = [value for value in nice_ticks(low, high, most, finest=0.01) if value > 0]
    if high / low >= 10:  # over a decade: 1, 2, 5 × 10^k read better than evenly spaced values
        values = [
            factor * 10.0**power
            for power in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
            for factor in (1, 2, 5)
            if low <= factor * 10.0**power <= high
        ]
    labels = [f"{value:g}" if value >= 1 else f"{value:.2g}" for value in values] if high / low >= 10 else None
    return [math.log10(value) for value in values], labels or loss_labels(values)


def padded(low: float, high: float, share: float = 0.05, least: float = 0.02) -> tuple[float, float]:
    """A range with a little room at each end, so no point sits on the frame, and at least `least` wide, so
    a flat curve is not blown up into noise."""
    middle, half = (low + high) / 2, max((high - low) * (1 + 2 * share), least) / 2
    return middle - half, middle + half


def smoothed(points: Points, span: float | None = None) -> Points:
    """An exponential moving average of the curve (bias-corrected at the start, as TensorBoard does), so the
    trend shows through the noise. `span` is in points; by default a tenth of the curve, at least 1."""
    if span is None:
        span = max(1.0, len(points) / 10)
    if span <= 1 or len(points) < 3:
        return list(points)
    keep = 1 - 2 / (span + 1)
    average, weight, result = 0.0, 0.0, []
    for step, value in points:
        average = keep * average + (1 - keep) * value
        weight = keep * weight + (1 - keep)
        result.append((step, average / weight))
    return result


def recent(points: Points, first_step: int) -> Points:
    return [point for point in points if point[0] >= first_step]


def recent_start(points: Points) -> int | None:
    """The first step zoom-to-recent shows: the last quarter of the steps, at least RECENT_MIN_POINTS points."""
    if len(points) <= RECENT_MIN_POINTS:
        return None
    first, last = points[0][0], points[-1][0]
    by_share = last - (last - first) * RECENT_SHARE
    by_count = points[-RECENT_MIN_POINTS][0]
    return int(min(by_share, by_count))
