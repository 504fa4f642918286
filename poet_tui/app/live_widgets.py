"""Widgets that show a run: a throttled loss plot and the memory panel."""

from __future__ import annotations

from typing import Any

from textual.content import Content
from textual.widgets import Static
from textual_plotext import PlotextPlot

from poet_tui.formatting import human_bytes

REDRAW_INTERVAL_S = 0.3  # the plot is redrawn at most about three times a second
MAX_MARKS = 40  # recoveries marked on a plot; a run that recovered more often shows its last ones


def thin(points: list[tuple[int, float]], limit: int = 600) -> list[tuple[int, float]]:
    """Every n-th point (and the last), so a long run's curve costs the same to draw as a short one's."""
    if len(points) <= limit:
        return points
    stride = len(points) / limit
    return [points[int(index * stride)] for index in range(limit)] + [points[-1]]


class LossPlot(PlotextPlot):
    """Training and validation loss against steps, with a red vertical line at each step where training
    recovered (a NaN rollback, an out-of-memory halving); `show()` only marks it dirty, a timer redraws."""

    def __init__(self, *, id: str | None = None, classes: str | None = None, title: str = "") -> None:
        super().__init__(id=id, classes=classes)
        self.plot_title = title
        self.train_points: list[tuple[int, float]] = []
        self.val_points: list[tuple[int, float]] = []
        self.marks: list[int] = []
        self.plotted: tuple[int, int] = (0, 0)  # (train, validation) points in the last drawing
        self.marked: list[int] = []  # the steps marked in the last drawing
        self.dirty = True

    def on_mount(self) -> None:
        super().on_mount()
        self.set_interval(REDRAW_INTERVAL_S, self.redraw_if_dirty)
        self.redraw_if_dirty()

    def show(
        self, train: list[tuple[int, float]], validation: list[tuple[int, float]], marks: list[int] | None = None
    ) -> None:
        self.train_points = train
        self.val_points = validation
        self.marks = marks or []
        self.dirty = True

    def redraw_if_dirty(self) -> None:
        if not self.dirty or not self.display:
            return
        self.dirty = False
        self.plt.clear_data()
        self.draw(self.plt)
        self.refresh()

    def draw(self, plt: Any) -> None:
        """The curves and marks on a cleared figure (a subclass adds its own series after these)."""
        if self.plot_title:
            plt.title(self.plot_title)
        plt.xlabel("step")
        train, validation = thin(self.train_points), thin(self.val_points)
        if train:
            plt.plot([x for x, _ in train], [y for _, y in train], label="train", marker="braille", color="cyan")
        if validation:
            plt.plot(
                [x for x, _ in validation], [y for _, y in validation], label="validation", marker="dot", color="orange"
            )
        self.marked = self.marks[-MAX_MARKS:]
        for step in self.marked:
            plt.vline(step, "red")
        if self.marked and train:
            # The legend says what the lines mean: a red point on each at the height of the curve.
            heights = [nearest_loss(train, step) for step in self.marked]
            plt.scatter(self.marked, heights, label="recovered", marker="x", color="red")
        self.plotted = (len(train), len(validation))


def nearest_loss(points: list[tuple[int, float]], step: int) -> float:
    """The loss plotted closest to a step (the last point before it, or the first after)."""
    before = [loss for point_step, loss in points if point_step <= step]
    return before[-1] if before else points[0][1]


def memory_content(gpu: Any, memory: dict[str, int], device: str, probed: bool = True) -> Content:
    """GPU (NVML: the whole card) and the training process (torch's counters, or RAM on the CPU)."""
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
        parts.append(("No CUDA GPU here: training runs on the CPU.", "$text-warning"))
    if "gpu_allocated" in memory:
        parts += [
            ("\ntorch ", "$text-muted"),
            f"{human_bytes(memory.get('gpu_allocated'))} allocated · "
            f"{human_bytes(memory.get('gpu_reserved'))} reserved · {human_bytes(memory.get('gpu_peak'))} peak",
        ]
    elif gpu is not None and device.startswith("cpu"):
        parts.append(("\nthis run trains on the CPU", "$text-muted"))
    parts += [("\nRAM   ", "$text-muted"), f"{human_bytes(memory.get('rss'))} (training process)"]
    return Content.assemble(*parts)


class MemoryPanel(Static):
    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.gpu: Any = None
        self.probed = False
        self.memory: dict[str, int] = {}
        self.device = ""

    def on_mount(self) -> None:
        self.border_title = "Memory"
        self.redraw()

    def set_gpu(self, gpu: Any) -> None:
        self.gpu = gpu
        self.probed = True
        self.redraw()

    def set_run(self, memory: dict[str, int], device: str) -> None:
        self.memory = memory
        self.device = device
        self.redraw()

    def redraw(self) -> None:
        self.update(memory_content(self.gpu, self.memory, self.device, self.probed))
