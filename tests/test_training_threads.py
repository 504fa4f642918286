"""The trainer's hold on torch's thread count: each step at the count being timed, the caller's count back after."""

from __future__ import annotations

import pytest
import torch

from poet_tui.cpu_threads import ThreadTuner
from poet_tui.training_threads import TrainingThreads


class StepClock:
    """Time moves only when a step says how long it took."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def caller_threads():
    before = torch.get_num_threads()
    yield before
    torch.set_num_threads(before)


def test_each_step_runs_at_the_count_being_timed_then_at_the_fastest(caller_threads: int) -> None:
    clock = StepClock()
    threads = TrainingThreads(None, "cpu", clock=clock)
    threads.tuner = ThreadTuner([3, 1], trial_min_steps=2, trial_seconds=0.0, warmup_steps=0, clock=clock)
    seen: list[int] = []

    def step() -> None:
        count = torch.get_num_threads()
        seen.append(count)
        clock.now += 0.5 if count == 3 else 0.1  # one thread is the faster here

    with threads.for_the_loop():
        for _ in range(6):
            threads.run_step(step)
        assert threads.event_fields() == {"threads": 1}
    assert seen == [3, 3, 1, 1, 1, 1]
    assert torch.get_num_threads() == caller_threads


def test_a_given_count_holds_for_the_loop_and_the_callers_comes_back_even_after_an_error(caller_threads: int) -> None:
    threads = TrainingThreads(3, "cpu")
    assert threads.tuner is None
    seen: list[int] = []
    with pytest.raises(RuntimeError), threads.for_the_loop():
        threads.run_step(lambda: seen.append(torch.get_num_threads()))
        assert seen == [3]
        raise RuntimeError("the loop failed")
    assert torch.get_num_threads() == caller_threads


def test_on_a_gpu_nothing_is_tuned_set_or_reported(caller_threads: int) -> None:
    threads = TrainingThreads(3, "cuda")
    assert threads.tuner is None and threads.event_fields() == {}
    with threads.for_the_loop():
        threads.run_step(lambda: None)
        assert torch.get_num_threads() == caller_threads
