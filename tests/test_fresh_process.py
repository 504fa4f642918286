"""Peers' loops run in a newly spawned Python: not the bench's process, and not a fork of it."""

from __future__ import annotations

import os

import pytest
import torch

from poet_tui.bench.fresh_process import call_in_fresh_process


def thread_count() -> int:
    return torch.get_num_threads()


def refuse(message: str) -> None:
    raise ValueError(message)


def test_the_call_runs_elsewhere_and_returns_its_result() -> None:
    assert call_in_fresh_process(os.getpid) != os.getpid()
    assert call_in_fresh_process(divmod, 17, 5) == (3, 2)


def test_the_child_starts_from_torch_defaults_not_the_callers_settings() -> None:
    default = call_in_fresh_process(thread_count)
    before = torch.get_num_threads()
    torch.set_num_threads(1 if default > 1 else 2)
    try:
        assert call_in_fresh_process(thread_count) == default
    finally:
        torch.set_num_threads(before)


def test_an_error_in_the_child_is_raised_in_the_caller() -> None:
    with pytest.raises(ValueError, match="no such corpus"):
        call_in_fresh_process(refuse, "no such corpus")
