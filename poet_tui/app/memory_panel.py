"""The Train pane's memory panel: the GPU (NVML: the whole card), the training process (torch's counters, or
its RAM on the CPU), and a sparkline of the recent step reports, with its range in MiB or GiB."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.content import Content
from textual.widgets import Static

from poet_tui.formatting import human_bytes

BLOCKS = " ▁▂▃▄▅▆▇█"
SPARK_ROWS = 2
FLAT = 0.01  # a series that varies by less than this share of its peak is drawn flat, at half height


def sparkline_rows(values: list[int], width: int, rows: int = SPARK_ROWS) -> list[str]:
    """The last `width` values as bars `rows` high (in eighths of a row), the smallest one eighth high and the
    largest full height, as sparklines go (the caption gives the range); top row first."""
    shown = values[-width:] if width > 0 else []
    if not shown:
        return ["" for _ in range(rows)]
    low, high = min(shown), max(shown)
    full = rows * 8
    if high - low <= FLAT * max(high, 1):
        levels = [full // 2] * len(shown)
    else:
        levels = [1 + round((value - low) / (high - low) * (full - 1)) for value in shown]
    lines = []
    for row in range(rows - 1, -1, -1):
        floor = row * 8
        lines.append("".join(BLOCKS[min(8, max(0, level - floor))] for level in levels))
    return lines


def history_series(history: list[dict[str, int]]) -> tuple[str, list[int]]:
    """What the sparkline follows: torch's allocated GPU memory when the run trains on CUDA, else the
    training process's RSS."""
    if any("gpu_allocated" in memory for memory in history):
        return "GPU allocated", [memory.get("gpu_allocated", 0) for memory in history]
    return "RSS", [memory.get("rss", 0) for memory in history]


def sparkline_content(history: list[dict[str, int]], width: int) -> list[str | tuple[str, str]]:
    if len(history) < 2 or width < 8:
        return []
    name, values = history_series(history)
    shown = values[-width:]
    rows = sparkline_rows(shown, width)
    caption = f"\n{name}, last {len(shown)} steps: {human_bytes(min(shown))} – {human_bytes(max(shown))}"
    return [(caption, "$text-muted"), ("\n" + "\n".join(rows), "$text-primary")]


def memory_content(
    gpu: Any,
    memory: dict[str, int],
    device: str,
    probed: bool = True,
    history: list[dict[str, int]] | None = None,
    width: int = 0,
) -> Content:
    """GPU (NVML: the whole card) and the training process (torch's counters, or RAM on the CPU), then the
    recent history as a sparkline `width` columns wide."""
    parts: list[str | tuple[str, str]] = []
    if not probed:
        parts.append(("looking for a GPU…", "$text-muted"))
    elif gpu is not None:
        busy = f" · {gpu.utilization_percent}% busy" if gpu.utilization_percent is not None else ""
        parts += [
            ("GPU   ", "$text-muted"),
            f"{gpu.name}{busy}",
            ("\ncard  ", "$text-muted"),
            f"{human_bytes(gpu.memory_used)} / {human_bytes(gpu.memory_total)} used",
        ]
    else:
        parts.append(("No CUDA GPU here: runs on the CPU.", "$text-warning"))
    if "gpu_allocated" in memory:
        parts += [
            ("\ntorch ", "$text-muted"),
            f"{human_bytes(memory.get('gpu_allocated'))} allocated · "
            f"{human_bytes(memory.get('gpu_reserved'))} reserved · {human_bytes(memory.get('gpu_peak'))} peak",
        ]
    elif gpu is not None and device.startswith("cpu"):
        parts.append(("\nthis run trains on the CPU", "$text-muted"))
    parts += [("\nRAM   ", "$text-muted"), f"{human_bytes(memory.get('rss'))} (training process)"]
    parts += sparkline_content(history or [], width)
    return Content.assemble(*parts)


class MemoryPanel(Static):
    """Focusable, so Tab reaches it (and scrolls it into view on a small terminal)."""

    can_focus = True

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.gpu: Any = None
        self.probed = False
        self.memory: dict[str, int] = {}
        self.history: list[dict[str, int]] = []
        self.device = ""

    def on_mount(self) -> None:
        self.border_title = "Memory"
        self.redraw()

    def on_resize(self, event: events.Resize) -> None:
        self.redraw()

    def set_gpu(self, gpu: Any) -> None:
        self.gpu = gpu
        self.probed = True
        self.redraw()

    def set_run(self, memory: dict[str, int], device: str, history: list[dict[str, int]] | None = None) -> None:
        self.memory = memory
        self.device = device
        self.history = history or []
        self.redraw()

    def redraw(self) -> None:
        width = self.content_region.width if self.is_mounted else 0
        self.update(memory_content(self.gpu, self.memory, self.device, self.probed, self.history, width))
