"""Notices as toasts: a recovery (or the batch size chosen) is told to the user, but a burst of them — a run
that recovers again and again, or a whole log replayed when a run is re-attached — is one toast, not a flood."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from poet_tui.event_types import NoticeEvent

NOTICE_TOAST_INTERVAL_S = 3.0  # notices that arrive closer together than this share one toast


def notices_summary(notices: list[NoticeEvent]) -> str:
    """One line for one notice or many."""
    if len(notices) == 1:
        return f"⚠ {notices[0].title}: {notices[0].line()}"
    return f"⚠ {len(notices)} notices; the last: {notices[-1].line()}"


class NoticeToasts:
    """Notices not yet toasted; `flush` raises one toast for all of them, at most once per interval."""

    def __init__(self, interval_s: float = NOTICE_TOAST_INTERVAL_S) -> None:
        self.interval_s = interval_s
        self.pending: list[NoticeEvent] = []
        self.last_toast = -interval_s

    def add(self, notice: NoticeEvent) -> None:
        self.pending.append(notice)

    def clear(self) -> None:
        self.pending = []

    def flush(self, notify: Callable[..., Any]) -> None:
        now = time.monotonic()
        if not self.pending or now - self.last_toast < self.interval_s:
            return
        notices, self.pending = self.pending, []
        self.last_toast = now
        single = len(notices) == 1
        notify(
            notices[0].line() if single else notices_summary(notices),
            title=notices[0].title if single else f"{len(notices)} notices from the run",
            severity="warning" if any(notice.is_recovery for notice in notices) else "information",
            markup=False,
        )
