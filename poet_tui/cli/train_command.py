"""`poet train`: with `--jsonl` it trains in this process and prints events; otherwise it starts that
same command as a child process and draws its event stream with Rich, as the app does with Textual.
Its flags are generated from the option table (options.py) by train_arguments.py."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
from typing import Any

from poet_tui.cli.main import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK
from poet_tui.cli.train_arguments import check_resume_arguments, config_from_arguments
from poet_tui.errors import PoetError

__all__ = ["train_command"]


class StopRequest:
    """The first Ctrl-C (or SIGTERM) asks the loop to checkpoint and stop; a second one aborts at once (the
    checkpoint of the last evaluation stays; the display says which step that was)."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self) -> bool:
        return self.requested

    def handle(self, signal_number: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def install(self) -> None:
        signal.signal(signal.SIGINT, self.handle)
        signal.signal(signal.SIGTERM, self.handle)


def train_in_process(arguments: argparse.Namespace) -> int:
    """The `--jsonl` path: the real training, events on stdout and in the run's metrics.jsonl."""
    from poet_tui.events import StdoutEvents, make_event

    stdout_events = StdoutEvents()
    try:  # flags first: a refusal is an error event too, and nothing is installed or created before it
        overrides = check_resume_arguments(arguments) if arguments.resume is not None else None
        config = config_from_arguments(arguments) if arguments.resume is None else None
    except PoetError as error:
        stdout_events(make_event("error", message=str(error)))
        raise
    from poet_tui.pausing import clock
    from poet_tui.runs import RunStore
    from poet_tui.train import resume, train

    stop = StopRequest()
    stop.install()
    clock.install()
    if config is None:
        reason = resume(RunStore().get(arguments.resume), stdout_events, stop, overrides)
    else:
        _, reason = train(config, stdout_events, stop)
    return EXIT_INTERRUPTED if reason == "stopped" else EXIT_OK


def train_with_display(argv: list[str], resumed_run: str | None = None) -> int:
    """Run `poet train ... --jsonl` as a child and draw its events; Ctrl-C asks the child to stop cleanly. The
    child's stderr is read as it comes (a chatty child never blocks on a full pipe) and kept in the run's
    train.log; a resumed run (`resumed_run`) is known from the start, a new one from its start event."""
    import threading

    from poet_tui.cli.train_display import TrainingDisplay
    from poet_tui.events import parse_event_line
    from poet_tui.train_log import TrainLog
    from poet_tui.training_child import train_child_command

    child = subprocess.Popen(
        train_child_command(argv),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",  # a stray byte on stderr must not stop the reader (the child would block on the pipe)
        start_new_session=True,  # so a terminal's Ctrl-C reaches only us, and we forward it exactly once
    )
    display = TrainingDisplay()

    def forward_interrupt(signal_number: int, frame: Any) -> None:
        if child.poll() is None:
            child.send_signal(signal.SIGINT)
        display.note_stopping()

    def terminal_closed(signal_number: int, frame: Any) -> None:
        """The terminal went away: nobody watches the run any more, so stop it as Ctrl-C would."""
        display.lose_terminal()
        forward_interrupt(signal_number, frame)

    signal.signal(signal.SIGINT, forward_interrupt)
    signal.signal(signal.SIGTERM, forward_interrupt)
    if signal.getsignal(signal.SIGHUP) != signal.SIG_IGN:  # under nohup the user detached on purpose
        signal.signal(signal.SIGHUP, terminal_closed)
    error_message = None
    assert child.stdout is not None and child.stderr is not None
    log = TrainLog(STDERR_LINES_SHOWN)
    if resumed_run is not None:
        log.attach_to_run(resumed_run)
    stderr_reader = threading.Thread(target=keep_stderr, args=(child.stderr, log), daemon=True)
    stderr_reader.start()
    with display:
        for line in child.stdout:
            event = parse_event_line(line)
            if event is None:
                continue
            log.note_event(event)
            if event["event"] == "error":
                error_message = event.get("message")
            display.show(event)
    code = child.wait()
    stderr_reader.join()
    log.close()
    if error_message:
        print(f"poet: {error_message}", file=sys.stderr)
    if code not in (EXIT_OK, EXIT_BAD_INPUT, EXIT_INTERRUPTED):
        report_crash(code, log, said=bool(error_message))
    elif code == EXIT_BAD_INPUT and not error_message:
        sys.stderr.write("".join(line + "\n" for line in log.tail))
    if code == EXIT_OK:
        display.print_summary()
    elif code == EXIT_INTERRUPTED:
        display.print_stopped()
    return code if code in (EXIT_OK, EXIT_BAD_INPUT, EXIT_INTERRUPTED) else 1


STDERR_LINES_SHOWN = 40


def keep_stderr(stream: Any, log: Any) -> None:
    """The child's stderr, line by line into its TrainLog, until the child closes it."""
    while line := stream.readline(1 << 20):
        log.write(line)


def report_crash(code: int, log: Any, said: bool) -> None:
    """A child that died without finishing (a traceback, a signal): the end of its stderr (unless its error
    event said why already) and where all of it is kept."""
    if not said:
        sys.stderr.write("".join(line + "\n" for line in log.tail))
    how = f"was killed by {signal_name(-code)}" if code < 0 else f"exited with code {code}"
    kept = f"; all of its stderr is kept in {log.path}" if log.path is not None else ""
    earlier = log.lines - len(log.tail)
    shown = f" (the last {len(log.tail)} lines are above)" if earlier > 0 and not said else ""
    print(f"poet: the training process {how}{kept}{shown}.", file=sys.stderr)


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def train_command(arguments: argparse.Namespace) -> int:
    if arguments.jsonl:
        return train_in_process(arguments)
    # Refuse bad flags here, before starting a child, which gets the settings spelt out in full.
    if arguments.resume is not None:
        from poet_tui.training_child import resume_flags

        flags = resume_flags(arguments.resume, check_resume_arguments(arguments))
        return train_with_display(flags, resumed_run_id(arguments.resume))
    config = config_from_arguments(arguments)
    if getattr(arguments, "auto_sentence", None):
        print(f"{arguments.auto_sentence}.", file=sys.stderr, flush=True)
    return train_with_display(config.to_argv())


def resumed_run_id(name: str) -> str | None:
    """The id of the run `--resume NAME` names, for its train.log; None when the child will refuse it anyway."""
    from poet_tui.runs import RunStore

    try:
        return RunStore().get(name).id
    except PoetError:
        return None
