"""The training process's CPU threads: counted from affinity and cgroup quota, then tuned by timing steps."""

from __future__ import annotations

from pathlib import Path

import pytest

from poet_tui import cpu_threads
from poet_tui.cpu_threads import (
    ThreadTuner,
    available_cores,
    candidate_counts,
    cgroup_quota_cores,
    make_tuner,
    reserved_cores,
    training_thread_count,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def write(root: Path, name: str, text: str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="ascii")


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"cpu.max": "150000 100000\n"}, 1.5),
        ({"cpu.max": "max 100000\n"}, None),
        ({"cpu.max": "200000 100000"}, 2.0),
        ({"cpu.max": "garbage"}, None),
        ({"cpu.max": "0 100000"}, None),
        ({"cpu/cpu.cfs_quota_us": "50000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 0.5),
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
        ({"cpu/cpu.cfs_quota_us": "1\n", "cpu/cpu.cfs_period_us": "0\n"}, None),
        ({}, None),
    ],
)
def test_cgroup_quota_is_read_from_v2_and_v1_files(
    tmp_path: Path, files: dict[str, str], expected: float | None
) -> None:
    for name, text in files.items():
        write(tmp_path, name, text)
    assert cgroup_quota_cores(tmp_path) == expected


def test_available_cores_is_the_smaller_of_affinity_and_quota(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cpu_threads, "affinity_cores", lambda: 8)
    assert available_cores(tmp_path) == 8  # no quota files: no limit
    write(tmp_path, "cpu.max", "250000 100000")
    assert available_cores(tmp_path) == 2  # 2.5 cores of quota: two whole threads
    write(tmp_path, "cpu.max", "50000 100000")
    assert available_cores(tmp_path) == 1  # half a core still gets one thread
    write(tmp_path, "cpu.max", "1600000 100000")
    assert available_cores(tmp_path) == 8  # a quota above the affinity does not add cores


def test_the_app_leaves_a_core_to_its_interface(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cpu_threads, "affinity_cores", lambda: 4)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert reserved_cores({}) == 0
    assert reserved_cores({"POET_RESERVED_CORES": "1"}) == 1
    assert reserved_cores({"POET_RESERVED_CORES": "lots"}) == 0
    assert reserved_cores({"POET_RESERVED_CORES": "-3"}) == 0
    assert training_thread_count(reserved=1, root=tmp_path) == 3
    assert training_thread_count(reserved=9, root=tmp_path) == 1  # never fewer than one
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert training_thread_count(reserved=0, root=tmp_path) == 2  # the user's OpenMP setting caps it
    monkeypatch.setenv("OMP_NUM_THREADS", "many")
    assert training_thread_count(reserved=0, root=tmp_path) == 4


def test_candidates_are_the_count_its_half_and_one() -> None:
    assert candidate_counts(8) == [8, 4, 1]
    assert candidate_counts(2) == [2, 1]
    assert candidate_counts(1) == [1]


def feed(tuner: ThreadTuner, seconds_at: dict[int, float], steps: int) -> list[int]:
    """Run `steps` steps, each taking `seconds_at[count]`; the counts the tuner asked for, in order."""
    asked = []
    for _ in range(steps):
        count = tuner.threads_for_next_step()
        asked.append(count)
        tuner.observe(seconds_at[count])
    return asked


def test_the_tuner_times_each_count_then_keeps_the_fastest() -> None:
    clock = FakeClock()
    tuner = ThreadTuner([2, 1], trial_min_steps=4, trial_seconds=0.0, warmup_steps=1, settle_s=10.0, clock=clock)
    asked = feed(tuner, {2: 0.4, 1: 0.1}, 12)
    assert asked[:5] == [2] * 5 and asked[5:10] == [1] * 5  # warm-up + trial at each count
    assert tuner.chosen == 1 and asked[10:] == [1, 1]
    assert tuner.medians == {2: 0.4, 1: 0.1}


def test_on_a_tie_the_larger_count_wins() -> None:
    tuner = ThreadTuner([1, 2], trial_min_steps=3, trial_seconds=0.0, warmup_steps=0, clock=FakeClock())
    feed(tuner, {2: 0.2, 1: 0.2}, 6)
    assert tuner.chosen == 2


def test_one_slow_step_does_not_decide() -> None:
    tuner = ThreadTuner([2, 1], trial_min_steps=5, trial_seconds=0.0, warmup_steps=0, clock=FakeClock())
    times = iter([0.1, 0.1, 9.0, 0.1, 0.1, 0.2, 0.2, 0.2, 0.2, 0.2])  # one stall while 2 threads were timed
    for _ in range(10):
        tuner.threads_for_next_step()
        tuner.observe(next(times))
    assert tuner.chosen == 2


def test_the_tuner_tries_again_when_the_machine_changes_and_backs_off_while_it_does_not() -> None:
    clock = FakeClock()
    tuner = ThreadTuner([2, 1], trial_min_steps=2, trial_seconds=0.0, warmup_steps=0, settle_s=10.0, clock=clock)
    feed(tuner, {2: 0.1, 1: 0.2}, 4)  # quiet: two threads win
    assert tuner.chosen == 2 and tuner.decisions == 1
    clock.now = 9.0
    assert feed(tuner, {2: 0.8, 1: 0.2}, 3) == [2, 2, 2]  # not due yet: no trial
    clock.now = 10.0
    feed(tuner, {2: 0.8, 1: 0.2}, 4)  # the machine got busy: one thread wins now
    assert tuner.chosen == 1 and tuner.decisions == 2 and tuner.next_settle_s == 10.0
    clock.now = 20.0
    feed(tuner, {2: 0.8, 1: 0.2}, 4)  # the same count wins again: the next check waits twice as long
    assert tuner.chosen == 1 and tuner.decisions == 3 and tuner.next_settle_s == 20.0
    clock.now = 39.0
    assert feed(tuner, {2: 0.8, 1: 0.2}, 2) == [1, 1]
    clock.now = 40.0
    assert feed(tuner, {2: 0.1, 1: 0.2}, 4) == [1, 1, 2, 2]  # the trial starts with the count it keeps
    assert tuner.chosen == 2 and tuner.next_settle_s == 10.0


def test_a_trial_lasts_about_a_second_whatever_the_step() -> None:
    slow = ThreadTuner([2, 1], trial_min_steps=4, trial_max_steps=20, trial_seconds=1.0, warmup_steps=0)
    assert feed(slow, {2: 0.5, 1: 0.5}, 8)[:5] == [2, 2, 2, 2, 1]  # 4 slow steps pass a second: the minimum
    quick = ThreadTuner([2, 1], trial_min_steps=4, trial_max_steps=20, trial_seconds=1.0, warmup_steps=0)
    assert feed(quick, {2: 0.125, 1: 0.125}, 10) == [2] * 8 + [1] * 2  # eight 1/8 s steps make the second
    tiny = ThreadTuner([2, 1], trial_min_steps=4, trial_max_steps=20, trial_seconds=1.0, warmup_steps=0)
    assert feed(tiny, {2: 0.001, 1: 0.001}, 21) == [2] * 20 + [1]  # never more than trial_max_steps


def test_one_candidate_never_trials() -> None:
    tuner = ThreadTuner([1], clock=FakeClock())
    assert feed(tuner, {1: 0.1}, 30) == [1] * 30 and tuner.decisions == 0


def test_no_tuning_when_the_count_is_given_or_on_a_gpu() -> None:
    assert make_tuner(3, "cpu") is None
    assert make_tuner(None, "cuda") is None
    assert make_tuner(None, "cpu") is not None


def test_the_app_starts_training_with_a_core_left_for_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from poet_tui.app.training_process import ChildTraining

    started: list[dict[str, str]] = []

    class FakePopen:
        def __init__(self, command: list[str], **options: object) -> None:
            started.append(options["env"])  # type: ignore[arg-type]

    monkeypatch.setattr("poet_tui.app.training_process.subprocess.Popen", FakePopen)
    monkeypatch.delenv("POET_RESERVED_CORES", raising=False)
    ChildTraining(["--corpus=x"]).start()
    monkeypatch.setenv("POET_RESERVED_CORES", "0")
    ChildTraining(["--corpus=x"]).start()
    assert [environment["POET_RESERVED_CORES"] for environment in started] == ["1", "0"]
