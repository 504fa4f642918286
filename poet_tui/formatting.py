"""Small formatting helpers shared by the CLI's tables and the app's panes."""

from __future__ import annotations


def plural(count: int, noun: str) -> str:
    """'1 token', '2 tokens', '1,000 tokens'."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def human_bytes(count: float | None) -> str:
    if count is None:
        return "—"
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


def human_count(count: float | None) -> str:
    if count is None:
        return "—"
    value = float(count)
    for unit in ("", "k", "M", "G"):
        if abs(value) < 1000 or unit == "G":
            return f"{value:.0f}{unit}" if unit == "" else f"{value:.1f}{unit}"
        value /= 1000
    return f"{value:.1f}G"


def human_duration(seconds: float | None) -> str:
    if seconds is None or seconds != seconds or seconds < 0:
        return "—"
    seconds = round(seconds)
    hours, remainder = divmod(seconds, 3600)
    minutes, seconds = divmod(remainder, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{seconds:02d}s"
    return f"{seconds}s"


def format_float(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"
