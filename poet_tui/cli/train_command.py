"""`poet train`: with `--jsonl` it trains in this process and prints events; otherwise it starts that
same command as a child process and draws its event stream with Rich, as the app does with Textual."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
from typing import Any

from poet_tui.cli.main import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK
from poet_tui.errors import PoetError
from poet_tui.presets import PRESET_NAMES, PRESETS

__all__ = ["PRESET_NAMES", "config_from_arguments", "train_command"]

# flag name → (section, field) in RunConfig
FLAG_FIELDS: dict[str, tuple[str, str]] = {
    "tokenizer": ("tokenizer", "kind"),
    "vocab_size": ("tokenizer", "vocab_size"),
    "spm_model": ("tokenizer", "spm_model"),
    "min_count": ("tokenizer", "min_count"),
    "cell": ("model", "cell"),
    "layers": ("model", "num_layers"),
    "hidden": ("model", "hidden_size"),
    "embedding": ("model", "embedding_size"),
    "dropout": ("model", "dropout"),
    "tied": ("model", "tied"),
    "batch_size": ("training", "batch_size"),
    "bptt": ("training", "bptt"),
    "random_windows": ("training", "random_windows"),
    "lr": ("training", "learning_rate"),
    "weight_decay": ("training", "weight_decay"),
    "grad_clip": ("training", "grad_clip"),
    "warmup": ("training", "warmup_steps"),
    "schedule": ("training", "schedule"),
    "max_steps": ("training", "max_steps"),
    "max_minutes": ("training", "max_minutes"),
    "epochs": ("training", "epochs"),
    "eval_every": ("training", "eval_every_steps"),
    "eval_every_seconds": ("training", "eval_every_seconds"),
    "patience": ("training", "patience"),
    "checkpoint_every": ("training", "checkpoint_every_steps"),
    "log_every": ("training", "log_every_steps"),
    "sample_length": ("training", "sample_length"),
    "val_fraction": ("training", "validation_fraction"),
    "device": ("training", "device"),
    "precision": ("training", "precision"),
}
BUDGET_FLAGS = {"max_steps", "max_minutes", "epochs"}


def config_from_arguments(arguments: argparse.Namespace) -> Any:
    """Dataclass defaults, then the preset, then every flag the user gave."""
    from poet_tui.config import RunConfig

    if not arguments.corpus:
        raise PoetError("say what to train on with --corpus NAME_OR_PATH (`poet corpora list` shows the names).")
    config = RunConfig(corpus=arguments.corpus)
    for section, values in PRESETS.get(arguments.preset or "", {}).items():
        for name, value in values.items():
            setattr(getattr(config, section), name, value)
    for flag, (section, name) in FLAG_FIELDS.items():
        value = getattr(arguments, flag, None)
        if flag == "batch_size" and value == "auto":
            config.training.auto_batch_size = True
            continue
        if value is not None:
            setattr(getattr(config, section), name, value)
    if arguments.seed is not None:
        config.seed = arguments.seed
    config.validate(training_memory(config.training.device))
    return config


def training_memory(device: Any) -> int | None:
    """The memory a model trained on `device` must fit in, where that is known without importing torch.

    `auto` may mean a GPU, which only torch can tell: the engine checks that run again once its device is known."""
    from poet_tui.model_size import cpu_available_bytes

    return cpu_available_bytes() if device == "cpu" else None


def given_flags(arguments: argparse.Namespace, names: Any) -> list[str]:
    """The options among `names` that the user gave, spelt as they typed them."""
    return ["--" + name.replace("_", "-") for name in names if getattr(arguments, name, None) is not None]


def check_resume_arguments(arguments: argparse.Namespace) -> dict[str, Any]:
    """A resumed run keeps the settings it was started with; only its budget may change. Returns the new budget.

    Flags it cannot honour are refused in one sentence rather than silently ignored."""
    from poet_tui.config import setting_problem

    if not arguments.resume.strip():
        raise PoetError("--resume needs a run name (or its start); `poet checkpoints list` shows them.")
    settings = ("corpus", "preset", "seed", *(flag for flag in FLAG_FIELDS if flag not in BUDGET_FLAGS))
    unhonoured = given_flags(arguments, settings)
    if unhonoured:
        listed = ", ".join(unhonoured[:-1]) + (" and " if len(unhonoured) > 1 else "") + unhonoured[-1]
        them = "it" if len(unhonoured) == 1 else "them"
        raise PoetError(
            "--resume continues a run with the settings it started with, its device included, and changes only its "
            f"budget (--max-steps, --max-minutes, --epochs), so it cannot take {listed}; leave {them} out, "
            f"or start a new run with {them}."
        )
    overrides = {}
    for flag in sorted(BUDGET_FLAGS):
        value = getattr(arguments, flag, None)
        if value is not None:
            problem = setting_problem(*FLAG_FIELDS[flag], value)
            if problem is not None:
                raise PoetError(problem)
            overrides[FLAG_FIELDS[flag][1]] = value
    return overrides


class StopRequest:
    """The first Ctrl-C (or SIGTERM) asks the loop to checkpoint and stop; a second one aborts at once."""

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


def child_command(argv: list[str]) -> list[str]:
    return [sys.executable, "-m", "poet_tui", "train", *argv, "--jsonl"]


def train_with_display(argv: list[str]) -> int:
    """Run `poet train ... --jsonl` as a child and draw its events; Ctrl-C asks the child to stop cleanly."""
    from poet_tui.cli.train_display import TrainingDisplay
    from poet_tui.events import parse_event_line

    child = subprocess.Popen(
        child_command(argv),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
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
    with display:
        for line in child.stdout:
            event = parse_event_line(line)
            if event is None:
                continue
            if event["event"] == "error":
                error_message = event.get("message")
            display.show(event)
    stderr_text = child.stderr.read()
    code = child.wait()
    if error_message:
        print(f"poet: {error_message}", file=sys.stderr)
    elif code not in (EXIT_OK, EXIT_INTERRUPTED):
        sys.stderr.write(stderr_text)
    if code == EXIT_OK:
        display.print_summary()
    return code if code in (EXIT_OK, EXIT_BAD_INPUT, EXIT_INTERRUPTED) else 1


def arguments_to_argv(arguments: argparse.Namespace) -> list[str]:
    """The flags the user gave, written out again for the child process."""
    argv: list[str] = []
    for flag in ("corpus", "resume", "preset", "seed", *FLAG_FIELDS):
        value = getattr(arguments, flag, None)
        if value is None:
            continue
        option = "--" + flag.replace("_", "-")
        if isinstance(value, bool):
            argv.append(option if value else "--no-" + flag.replace("_", "-"))
        else:
            argv += [option, str(value)]
    return argv


def train_command(arguments: argparse.Namespace) -> int:
    if arguments.jsonl:
        return train_in_process(arguments)
    # Refuse bad flags here, before starting a child.
    if arguments.resume is not None:
        check_resume_arguments(arguments)
    else:
        config_from_arguments(arguments)
    return train_with_display(arguments_to_argv(arguments))
