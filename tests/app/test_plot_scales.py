"""The numbers behind the loss plot and the memory sparkline: round ticks, smoothing, zoom, bars."""

from __future__ import annotations

import itertools
import math

import pytest

from poet_tui.app.memory_panel import memory_content, sparkline_rows
from poet_tui.app.plot_scales import loss_ticks, nice_step, nice_ticks, recent_start, smoothed, step_ticks


def is_round(value: float) -> bool:
    """1, 2 or 5 times a power of ten."""
    power = 10.0 ** math.floor(math.log10(value))
    return any(math.isclose(value, factor * power) for factor in (1, 2, 5, 10))


@pytest.mark.parametrize(("low", "high"), [(2, 140), (0, 145), (1, 7), (3, 1_234_567), (40, 60), (100, 103)])
def test_step_ticks_are_whole_and_round(low: int, high: int) -> None:
    values, labels = step_ticks(low, high, most=6)
    assert 1 <= len(values) <= 7
    assert all(low <= value <= high and value == int(value) for value in values)
    gaps = {round(b - a, 6) for a, b in itertools.pairwise(values)}
    assert len(gaps) <= 1 and all(is_round(gap) for gap in gaps)
    assert not any("." in label and not label.endswith(("k", "M")) for label in labels)  # never 72.5 steps


def test_the_step_labels_read_as_counts() -> None:
    assert step_ticks(0, 150, 4) == ([0, 50, 100, 150], ["0", "50", "100", "150"])
    assert step_ticks(0, 2500, 5)[1] == ["0", "500", "1,000", "1,500", "2,000", "2,500"]
    assert step_ticks(0, 400_000, 4)[1] == ["0", "100k", "200k", "300k", "400k"]


@pytest.mark.parametrize(("low", "high"), [(1.2, 4.2), (2.9712, 3.0431), (0.8, 1.1), (4.1, 4.1001), (1.5, 9.5)])
def test_loss_ticks_have_at_most_two_decimals(low: float, high: float) -> None:
    values, labels = loss_ticks(low, high, most=5)
    assert values and all(low - 1e-9 <= value <= high + 1e-9 for value in values)
    assert all(len(label.split(".")[1]) <= 2 for label in labels if "." in label)
    assert len(set(labels)) == len(labels)  # no two ticks read the same
    assert loss_ticks(1.2, 4.2, 6) == ([1.5, 2.0, 2.5, 3.0, 3.5, 4.0], ["1.5", "2.0", "2.5", "3.0", "3.5", "4.0"])


def test_log_ticks_are_round_losses_placed_at_their_logarithm() -> None:
    positions, labels = loss_ticks(0.3, 8.0, most=5, log=True)
    assert labels == ["0.5", "1", "2", "5"]
    assert positions == pytest.approx([math.log10(0.5), 0.0, math.log10(2), math.log10(5)])
    positions, labels = loss_ticks(1.2, 4.2, most=5, log=True)  # under a decade: evenly spaced round values
    assert labels[0] == "2.0" and positions[0] == pytest.approx(math.log10(2))


def test_nice_steps() -> None:
    assert [nice_step(span, 5) for span in (7, 70, 0.7, 0.07, 23, 118)] == [2, 20, 0.2, 0.02, 5, 50]
    assert nice_ticks(5, 5) == [5]


def test_smoothing_keeps_every_step_and_calms_the_noise() -> None:
    noisy = [(step, 2.0 + (0.5 if step % 2 else -0.5)) for step in range(1, 101)]
    trend = smoothed(noisy)
    assert [step for step, _ in trend] == [step for step, _ in noisy]
    assert max(loss for _, loss in trend[20:]) - min(loss for _, loss in trend[20:]) < 0.3
    assert trend[0][1] == noisy[0][1]  # bias-corrected: the curve starts where the data starts
    assert smoothed(noisy[:5]) == noisy[:5]  # too few points to smooth


def test_zoom_to_recent_keeps_the_last_quarter_and_never_too_few_points() -> None:
    points = [(step, 1.0) for step in range(0, 1001, 10)]
    assert recent_start(points) == 750
    assert recent_start(points[:8]) is None
    assert recent_start(points[:12]) == 40  # the last 8 of 12 points: from the fifth


def test_sparkline_bars_go_from_the_smallest_to_the_largest() -> None:
    top, bottom = sparkline_rows([100, 200, 300], width=10, rows=2)
    assert bottom[0] == "▁" and top[0] == " " and top[-1] == "█" and bottom[-1] == "█"
    assert sparkline_rows([100, 200, 300, 400], width=2, rows=1) == ["▁█"]  # the last `width` values
    flat = sparkline_rows([500, 500, 501], width=5, rows=2)
    assert flat == ["   ", "███"]  # steady memory is a steady bar, at half height


def test_the_memory_panel_shows_its_history_with_units() -> None:
    history = [{"rss": 300 * 2**20}, {"rss": 320 * 2**20}, {"rss": 340 * 2**20}]
    text = memory_content(None, history[-1], "cpu", history=history, width=30).plain
    assert "RSS, last 3 steps: 300.0 MiB – 340.0 MiB" in text and "▁" in text and "█" in text
    gpu = [{"gpu_allocated": 2**30, "gpu_reserved": 2**31, "rss": 2**29}, {"gpu_allocated": 2**31, "rss": 2**29}]
    assert (
        "GPU allocated, last 2 steps: 1.0 GiB – 2.0 GiB"
        in memory_content(None, gpu[-1], "cuda:0", history=gpu, width=30).plain
    )
