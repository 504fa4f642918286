"""`poet metrics RUN --tensorboard DIR`: a run's curves and samples as TensorBoard event files in DIR/<run-id>/,
so several runs in one DIR compare in a tool people already use. The `tensorboard` extra provides the writer
(through `torch.utils.tensorboard`); without it, one sentence says what to install.

Writing a run again replaces what poet-tui wrote for it before (event files named `*.poet`), so curves never
double; every other file in DIR is left alone, and nothing is followed through a link."""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from poet_tui.errors import PoetError
from poet_tui.event_types import Event
from poet_tui.metrics_export import Curves, curves_of

if TYPE_CHECKING:
    from torch.utils.tensorboard import SummaryWriter

POET_SUFFIX = ".poet"  # the end of every event file poet-tui writes: the only ones it ever replaces
EVENT_FILE_PREFIX = "events.out.tfevents."
INSTALL_HINT = "pip install 'poet-tui[tensorboard]'"


@dataclass(frozen=True)
class TensorBoardExport:
    directory: Path  # DIR/<run-id>
    event_file: Path
    points: int
    samples: int
    replaced: int  # earlier poet-tui event files of this run removed


def summary_writer_class() -> type[SummaryWriter]:
    """torch's SummaryWriter, or one sentence naming the extra when TensorBoard is not installed."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # torch raises it when the tensorboard package is missing
        raise PoetError(
            f"writing TensorBoard files needs the tensorboard package; install it with {INSTALL_HINT}."
        ) from None
    return SummaryWriter


def poet_event_files(directory: Path) -> set[Path]:
    """The event files poet-tui wrote in `directory`: regular files (never links) named `events.out.tfevents.*.poet`."""
    found = set()
    with contextlib.suppress(FileNotFoundError), os.scandir(directory) as entries:
        for entry in entries:
            named = entry.name.startswith(EVENT_FILE_PREFIX) and entry.name.endswith(POET_SUFFIX)
            if named and entry.is_file(follow_symlinks=False):
                found.add(Path(entry.path))
    return found


def run_directory(destination: Path, run_id: str) -> Path:
    """DIR/<run-id>, created if needed; refused in one sentence when DIR is a file or DIR/<run-id> is a link or
    anything but a folder (poet-tui writes only into a real folder there)."""
    if destination.exists() and not destination.is_dir():
        raise PoetError(f"{destination} is not a folder; give a folder for the TensorBoard files.")
    directory = destination / run_id
    try:
        status = os.lstat(directory)
    except FileNotFoundError:
        status = None
    except OSError as error:
        raise PoetError(f"could not look at {directory} ({error.strerror or error}); check its permissions.") from None
    if status is not None and not stat.S_ISDIR(status.st_mode):
        kind = "a symbolic link" if stat.S_ISLNK(status.st_mode) else "not a folder"
        raise PoetError(f"{directory} is {kind}; poet-tui writes TensorBoard files only into a real folder there.")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise PoetError(
            f"could not create {directory} ({error.strerror or error}); check that the folder is writable."
        ) from None
    return directory


@contextlib.contextmanager
def quiet_writer_thread() -> Iterator[None]:
    """TensorBoard writes from a thread of its own, which prints a traceback when a write fails before close()
    raises the same error here; that one becomes the sentence, so the thread's copy is not printed."""
    previous = threading.excepthook
    threading.excepthook = lambda arguments: None
    try:
        yield
    finally:
        threading.excepthook = previous


def write_curves(writer: SummaryWriter, curves: Curves) -> None:
    for tag, points in curves.scalars.items():
        for point in points:
            writer.add_scalar(tag, point.value, point.step, walltime=point.wall_time)
    for sample in curves.samples:
        # Indented four spaces: TensorBoard renders text as Markdown, and a code block keeps a poem's lines and
        # shows any markup in it as written.
        quoted = "\n".join("    " + line for line in sample.text.splitlines()) or "    (empty)"
        writer.add_text("sample", quoted, sample.step, walltime=sample.wall_time)


def export_tensorboard(events: Iterable[Event], run_id: str, destination: Path) -> TensorBoardExport:
    """Write the run's curves to a new event file in DIR/<run-id>, then remove the ones poet-tui wrote there
    before; if writing fails, the new file goes and the old ones stay."""
    writer_class = summary_writer_class()
    curves = curves_of(events)
    directory = run_directory(destination, run_id)
    before = poet_event_files(directory)
    writer: SummaryWriter | None = None
    try:
        with quiet_writer_thread():
            writer = writer_class(log_dir=str(directory), filename_suffix=POET_SUFFIX, flush_secs=3600)
            write_curves(writer, curves)
            writer.close()
    except Exception as error:  # a full disk or a folder made read-only under us; the writer's thread re-raises
        if writer is not None:
            with contextlib.suppress(Exception):
                writer.close()
        for path in poet_event_files(directory) - before:
            with contextlib.suppress(OSError):
                path.unlink()
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error) or type(error).__name__
        raise PoetError(
            f"could not write TensorBoard files to {directory} ({reason}); earlier ones there are kept."
        ) from None
    written = poet_event_files(directory) - before
    for path in before:
        try:
            path.unlink(missing_ok=True)  # a regular file named as poet-tui names them (a link was never in `before`)
        except OSError as error:
            raise PoetError(
                f"wrote {directory} but could not remove the earlier {path.name} ({error.strerror or error}); "
                "remove it by hand, or TensorBoard shows this run's curves twice."
            ) from None
    event_file = max(written, default=directory)
    return TensorBoardExport(directory, event_file, curves.point_count, len(curves.samples), len(before))
