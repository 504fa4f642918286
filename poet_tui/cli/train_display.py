"""A Rich view of a training event stream: live on a terminal, one line per evaluation elsewhere; a line per
notice (a NaN rollback, an out-of-memory halving, the batch size chosen) either way, so a recovery is never
silent. After a stop it says which step was saved, where, and the command that resumes the run."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from poet_tui.cli.output import FLATTERED_NOTE, bits_per_char
from poet_tui.event_types import (
    CheckpointEvent,
    DoneEvent,
    EvalEvent,
    Event,
    NoticeEvent,
    StartEvent,
    typed_event,
)
from poet_tui.formatting import format_float, human_bytes, human_count, human_duration
from poet_tui.run_progress import RunProgress


def notice_text(notice: NoticeEvent) -> Text:
    return Text.assemble(("⚠ ", "bold yellow"), (notice.line(), "yellow"))


def silence_terminal_echo() -> Callable[[], None] | None:
    """Stop the terminal echoing typed keys, `^C` included, until the returned function is called.

    The live panel's last line fills the terminal's width, so an echoed `^C` wraps the cursor onto a new line;
    the next redraw then starts one line too low and leaves the old panel's top border on screen. None when
    stdin is not this process's foreground terminal (a pipe, or `poet train &`, which must not touch it)."""
    try:
        import termios
    except ImportError:  # no terminal modes to change (Windows)
        return None
    try:
        descriptor = sys.stdin.fileno()
        if not os.isatty(descriptor) or os.tcgetpgrp(descriptor) != os.getpgrp():
            return None
        saved = termios.tcgetattr(descriptor)
        quiet = list(saved)
        quiet[3] &= ~(termios.ECHO | termios.ECHOCTL)
        termios.tcsetattr(descriptor, termios.TCSANOW, quiet)
    except (OSError, ValueError, termios.error):
        return None

    def restore() -> None:
        with contextlib.suppress(OSError, termios.error):  # a terminal that hung up has no modes to restore
            termios.tcsetattr(descriptor, termios.TCSANOW, saved)

    return restore


def per_token(loss: float | None) -> str:
    return "—" if loss is None else f"{loss:.3f} nats/token"


def resume_command(run: str) -> str:
    return f"poet train --resume {run}"


class TrainingDisplay:
    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.progress = RunProgress()
        self.live: Live | None = None
        self.stopping = False
        self.restore_echo: Callable[[], None] | None = None

    def __enter__(self) -> TrainingDisplay:
        if self.console.is_terminal:
            self.restore_echo = silence_terminal_echo()
            self.live = Live(self.render(), console=self.console, refresh_per_second=4, transient=False)
            self.live.__enter__()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        """Draw the final frame and end the live view, so that what is printed next comes below it."""
        if self.live is not None:
            self.live.update(self.render(), refresh=True)
            self.live.__exit__(*exc_info)
            self.live = None
        if self.restore_echo is not None:
            self.restore_echo()
            self.restore_echo = None

    def note_stopping(self) -> None:
        self.stopping = True

    def lose_terminal(self) -> None:
        """The terminal hung up: stop drawing and send what is still printed to /dev/null, so that writing to
        the dead terminal cannot fail while the run checkpoints and exits."""
        devnull = os.open(os.devnull, os.O_WRONLY)
        for descriptor in (1, 2):
            with contextlib.suppress(OSError):
                os.dup2(devnull, descriptor)
        os.close(devnull)
        if self.live is not None:
            with contextlib.suppress(Exception):  # its last frame goes to /dev/null now
                self.live.stop()
            self.live = None
        if self.restore_echo is not None:
            self.restore_echo()
            self.restore_echo = None

    def show(self, event: Event | dict[str, Any]) -> None:
        """Fold one event (a checked line's object or a typed event) into the view."""
        typed = typed_event(event) if isinstance(event, dict) else event
        if typed is None:
            return
        self.progress.apply(typed)
        if isinstance(typed, NoticeEvent):
            self.console.print(notice_text(typed), soft_wrap=True)  # above the live panel, which stays below
        if self.live is not None:
            self.live.update(self.render())
            return
        match typed:
            case StartEvent(run=run, device=device, params=params):
                self.console.print(
                    f"run {run} on {device}, {human_count(params)} parameters", highlight=False, soft_wrap=True
                )
                if self.tokenizer_kind() == "word":
                    self.console.print(FLATTERED_NOTE, markup=False, highlight=False, soft_wrap=True)
            case EvalEvent(step=step, val_loss=val_loss, val_bpc=val_bpc, best=best, form_adherence=adherence):
                in_form = "" if adherence is None else f", {adherence:.0%} of samples in form"
                new = "" if typed.novelty is None else f", sample {typed.novelty:.0%} new"
                self.console.print(
                    f"step {step}: train loss {format_float(self.progress.train_loss)} nats/token, "
                    f"val loss {val_loss:.4f} nats/token, {bits_per_char(val_bpc, self.tokenizer_kind()).rstrip()} "
                    f"bits/char{in_form}{new}" + (" (best)" if best else ""),
                    highlight=False,
                    markup=False,
                    soft_wrap=True,  # one line an event: a log is read with grep
                )
            case DoneEvent(step=step, reason=reason):
                self.console.print(f"done after step {step} ({reason})", highlight=False, soft_wrap=True)
            case _:
                pass

    def render(self) -> Panel:
        progress = self.progress
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold cyan")
        table.add_column()
        table.add_column(style="bold cyan")
        table.add_column()
        table.add_row(
            "step",
            f"{self.reached_step()} (epoch {progress.epoch:.2f})",
            "speed",
            progress.speed_text(),
        )
        table.add_row("train loss", per_token(progress.train_loss), "val loss", per_token(progress.val_loss))
        table.add_row(
            "best val",
            per_token(progress.best_val_loss),
            "bits/char",
            bits_per_char(progress.val_bpc, self.tokenizer_kind()),
        )
        if progress.forms:
            table.add_row("forms", progress.forms_summary(), "adherence", progress.adherence_summary() or "—")
        if progress.novelty is not None:
            table.add_row("novelty", progress.novelty_summary(), "", "")
        ended = progress.status in ("stopped", "done", "failed")  # no time left to estimate
        eta = "—" if ended else human_duration(progress.eta_seconds())
        table.add_row("elapsed", human_duration(progress.elapsed_s), "ETA", eta)
        memory = progress.memory
        gpu = (
            f"GPU {human_bytes(memory.get('gpu_allocated'))} alloc / {human_bytes(memory.get('gpu_peak'))} peak"
            if "gpu_allocated" in memory
            else "no GPU"
        )
        table.add_row("memory", f"RSS {human_bytes(memory.get('rss'))}", "", gpu)
        bar = ProgressBar(total=1.0, completed=progress.fraction or 0.0, width=60)
        # The run's name on a line of its own, whole: it is what `--resume` and `poet generate` take.
        heading = Text.assemble(("run ", "bold cyan"), (progress.run or "starting…", "bold"))
        if progress.device:
            heading.append_text(Text.assemble(("  on ", "bold cyan"), progress.device))
        parts: list[Any] = [heading, table, bar, Text("")]  # the empty Text ends the bar's line
        recoveries = [notice for notice in progress.notices if notice.is_recovery]
        if recoveries:
            times = f"recovered {len(recoveries)} times; the last: " if len(recoveries) > 1 else "recovered: "
            parts.append(Text.assemble(("⚠ " + times, "bold yellow"), (recoveries[-1].line(), "yellow")))
        if self.tokenizer_kind() == "word":
            parts.append(Text(FLATTERED_NOTE, style="dim"))
        if progress.sample:
            parts.append(Text("\n" + progress.sample[-400:], style="italic"))
        return Panel(Group(*parts), title=self.title(), border_style="magenta")

    def tokenizer_kind(self) -> str:
        tokenizer = self.progress.config.get("tokenizer")
        return str(tokenizer.get("kind", "")) if isinstance(tokenizer, dict) else ""

    def title(self) -> str:
        progress = self.progress
        if progress.status == "stopped":
            return f"poet train — stopped at step {self.reached_step()}"
        if progress.status == "done":
            return f"poet train — done at step {self.reached_step()}"
        if self.stopping:
            return "poet train — stopping, saving a checkpoint… (Ctrl-C again: quit without it)"
        return "poet train (Ctrl-C stops and saves)"

    def reached_step(self) -> int:
        """The newest step any event has named: step events come only every `--log-every` steps."""
        progress = self.progress
        named = [checkpoint.step for checkpoint in progress.checkpoints]
        named += [evaluation.step for evaluation in progress.evaluations]
        return max([progress.step, *named])

    def last_saved(self) -> CheckpointEvent | None:
        """The newest `latest` checkpoint: the one `--resume` continues from."""
        saved = [checkpoint for checkpoint in self.progress.checkpoints if checkpoint.kind == "latest"]
        return saved[-1] if saved else None

    @property
    def unwrapped(self) -> bool:
        """Piped or logged, a sentence stays one line (a terminal wraps it at words instead)."""
        return not self.console.is_terminal

    def print_stopped(self) -> None:
        """After a stop (a Ctrl-C, or a second one that did not wait): the step saved, where, and how to resume."""
        progress = self.progress
        if not progress.run:
            self.console.print(
                "stopped before the run started; nothing was saved.", highlight=False, soft_wrap=self.unwrapped
            )
            return
        saved = self.last_saved()
        step = self.reached_step()
        if progress.status == "stopped" or (saved is not None and saved.step == step):
            said = f"stopped at step {step}"
        else:  # a second Ctrl-C did not wait for the stop's checkpoint
            said = f"interrupted at step {step} before its checkpoint"
        if saved is None:
            self.console.print(
                f"[bold]run {progress.run}[/bold]: {said}; no checkpoint was saved yet, so there is nothing to resume.",
                highlight=False,
                soft_wrap=self.unwrapped,
            )
            return
        saved_at = " and saved" if saved.step == step else f"; the last step saved is {saved.step}"
        self.console.print(
            f"[bold]run {progress.run}[/bold]: {said}{saved_at}.", highlight=False, soft_wrap=self.unwrapped
        )
        self.console.print(f"saved in: {saved.path}", highlight=False, soft_wrap=True)
        self.console.print(
            f"resume it with: [bold]{resume_command(progress.run)}[/bold]", highlight=False, soft_wrap=self.unwrapped
        )

    def print_summary(self) -> None:
        progress = self.progress
        self.console.print(
            f"[bold]run {progress.run}[/bold]: best val loss {per_token(progress.best_val_loss)} "
            f"after {progress.step} steps in {human_duration(time.monotonic() - progress.started)}; "
            f"try `poet generate {progress.run}`",
            soft_wrap=self.unwrapped,
        )
