"""A flat, sortable summary of every checkpoint of every run (what the CLI table shows), and one summary per
run with its curves and status (what the app's run browser shows). Reads only JSON metadata and the runs' logs,
so listing never loads a tensor (nor torch).

One damaged run or checkpoint never hides the others: it is listed with `problem` saying what is wrong.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from poet_tui.checkpoint import CheckpointFiles, pending, read_metadata
from poet_tui.config import RunConfig
from poet_tui.errors import PoetError
from poet_tui.run_progress import RunProgress
from poet_tui.runs import Run


@dataclass(frozen=True)
class CheckpointSummary:
    run_id: str
    stem: str
    corpus: str
    tokenizer: str
    parameters: int
    step: int
    val_loss: float | None
    val_bpc: float | None
    created: str
    size_bytes: int
    path: str
    problem: str | None = None  # why this checkpoint (or its whole run) cannot be used; None when it can
    vocab_size: int | None = None

    @property
    def kind(self) -> str:
        if self.problem is not None:
            return "damaged"
        return self.stem if self.stem in ("best", "latest") else "periodic"


def damaged_summary(run: Run, stem: str, path: str, problem: str) -> CheckpointSummary:
    return CheckpointSummary(run.id, stem, "", "", 0, 0, None, None, "", 0, path, problem)


def file_size(path: os.PathLike[str] | str) -> int:
    try:
        return os.lstat(path).st_size
    except OSError:
        return 0


def run_problem(run: Run) -> str | None:
    """Why a whole run cannot be used (a link in it, a damaged run.toml), or None."""
    try:
        run.require_no_links()
        run.config()
    except PoetError as error:
        return str(error)
    return None


def summarize(run: Run, files: CheckpointFiles) -> CheckpointSummary:
    try:
        metadata = read_metadata(files)
    except PoetError as error:
        return damaged_summary(run, files.stem, str(files.weights), str(error))
    size = sum(
        file_size(path) or file_size(pending(path)) for path in (files.weights, files.metadata, files.training_state)
    )
    return CheckpointSummary(
        run_id=run.id,
        stem=files.stem,
        corpus=str(metadata.get("corpus", "")),
        tokenizer=str(metadata.get("tokenizer", "")),
        parameters=int(metadata.get("parameters", 0)),
        step=int(metadata["step"]),
        val_loss=metadata.get("val_loss"),
        val_bpc=metadata.get("val_bpc"),
        created=str(metadata.get("created", "")),
        size_bytes=size,
        path=str(files.weights),
        vocab_size=int(metadata["vocab_size"]) if isinstance(metadata.get("vocab_size"), int) else None,
    )


def checkpoint_summaries(runs: list[Run]) -> list[CheckpointSummary]:
    summaries = []
    for run in runs:
        problem = run_problem(run)
        if problem is not None:
            summaries.append(damaged_summary(run, "", str(run.directory), problem))
            continue
        summaries.extend(summarize(run, files) for files in run.checkpoints())
    return summaries


# ----- one summary per run: what the app's run browser lists, compares and details -----

RUN_STATUSES = ("training", "stopped", "done", "failed", "damaged")
NOTICES_KEPT = 5  # the last notices a run's summary keeps (`poet checkpoints show` lists more)
CURVE_POINTS = 600  # a curve is thinned to about this many points: a long run costs what a short one does
FOLDED_LOGS: dict[str, tuple[tuple[int, int, int, int], RunProgress]] = {}  # log path → (its version, its fold)


@dataclass(frozen=True)
class RunSummary:
    """A run as the run browser shows it: its settings, its curves (from its folded log), its status and its
    checkpoints. `problem` says why the whole run cannot be used (its status is then `damaged`)."""

    run_id: str
    status: str  # one of RUN_STATUSES
    checkpoints: tuple[CheckpointSummary, ...] = ()
    problem: str | None = None
    status_reason: str | None = None  # why it stopped ("patience", "interrupted", …) when the log says
    error: str | None = None
    corpus: str = ""
    tokenizer: str = ""
    vocab_size: int | None = None
    parameters: int = 0
    cell: str = ""
    layers: int = 0
    hidden: int = 0
    embedding: int = 0
    settings: tuple[tuple[str, str], ...] = ()  # the training settings that matter, as (name, value) pairs
    device: str = ""
    steps: int = 0
    elapsed_s: float | None = None
    best_val_loss: float | None = None  # nats/token
    best_val_bpc: float | None = None
    val_bpc_points: tuple[tuple[int, float], ...] = ()
    val_loss_points: tuple[tuple[int, float], ...] = ()
    train_points: tuple[tuple[int, float], ...] = ()  # training loss, nats/token
    recovery_steps: tuple[int, ...] = ()
    notices: tuple[str, ...] = ()  # the last few, one line each
    notice_count: int = 0
    adherence: str = ""
    novelty: str = ""
    size_bytes: int = 0

    @property
    def is_word(self) -> bool:
        """A word run's bits/char is flattered by <unk>: rare words cost it one token, whatever their spelling."""
        return self.tokenizer == "word"

    @property
    def started(self) -> str:
        """`2025-01-02 12:03`, from the run's name (the store names runs by their start time)."""
        date, _, rest = self.run_id.partition("-")
        clock = rest[:6]
        if len(date) != 8 or not date.isdigit() or not clock.isdigit():
            return ""
        return f"{date[:4]}-{date[4:6]}-{date[6:8]} {clock[:2]}:{clock[2:4]}"

    @property
    def model_checkpoint(self) -> CheckpointSummary | None:
        """The checkpoint opening or resuming the run uses: its best, else its latest, else any usable one."""
        usable = {summary.stem: summary for summary in self.checkpoints if summary.problem is None}
        return usable.get("best") or usable.get("latest") or next(iter(usable.values()), None)

    @property
    def damaged_checkpoints(self) -> list[CheckpointSummary]:
        return [summary for summary in self.checkpoints if summary.problem is not None]


def thinned(points: list[tuple[int, float]], limit: int = CURVE_POINTS) -> tuple[tuple[int, float], ...]:
    if len(points) <= limit:
        return tuple(points)
    stride = len(points) / limit
    return (*(points[int(index * stride)] for index in range(limit)), points[-1])


def bpc_points(progress: RunProgress) -> list[tuple[int, float]]:
    """Validation bits/char at each evaluation on the run's path (those a rollback or resume undid left out)."""
    bpc_at = {(event.step, event.val_loss): event.val_bpc for event in progress.evaluations}
    points = []
    for step, loss in progress.val_points:
        bpc = bpc_at.get((step, loss))
        if bpc is not None:
            points.append((step, float(bpc)))
    return points


def checkpoint_order(summary: CheckpointSummary) -> tuple[int, int]:
    """best, latest, then the periodic ones newest first."""
    rank = {"best": 0, "latest": 1}.get(summary.stem, 2)
    return rank, -summary.step


def settings_of(config: RunConfig) -> tuple[tuple[str, str], ...]:
    training = config.training
    budget = []
    if training.max_steps is not None:
        budget.append(f"{training.max_steps:,} steps")
    if training.epochs is not None:
        budget.append(f"{training.epochs:g} epochs")
    if training.max_minutes is not None:
        budget.append(f"{training.max_minutes:g} min")
    return (
        ("batch", f"{training.batch_size} sequences × {training.bptt} tokens"),
        ("learning rate", f"{training.learning_rate:g} ({training.schedule}, {training.warmup_steps} warm-up steps)"),
        ("dropout", f"{config.model.dropout:g}" + (" · tied embeddings" if config.model.tied else "")),
        ("budget", " · ".join(budget) or "until stopped"),
        ("evaluation", f"every {training.eval_every_steps:,} steps"),
    )


def run_status(run: Run, progress: RunProgress) -> tuple[str, str | None]:
    """training while its lock is held; else what its last session's goodbye says (a session that ended
    without one was interrupted: it shows as stopped, and can be resumed)."""
    if run.is_training():
        return "training", None
    if progress.status in ("done", "stopped", "failed"):
        return progress.status, progress.done_reason if progress.done_reason != progress.status else None
    return "stopped", "interrupted"


def summarize_run(run: Run) -> RunSummary:
    """One run, folded from its config, log and checkpoints' metadata; a damaged run is named with its reason."""
    from poet_tui.model_size import model_parameter_count

    problem = run_problem(run)
    if problem is not None:
        damaged = damaged_summary(run, "", str(run.directory), problem)
        return RunSummary(run.id, "damaged", (damaged,), problem=problem)
    config = run.config()
    try:
        progress = folded_log(run)
    except PoetError as error:
        damaged = damaged_summary(run, "", str(run.directory), str(error))
        return RunSummary(run.id, "damaged", (damaged,), problem=str(error))
    checkpoints = tuple(sorted((summarize(run, files) for files in run.checkpoints()), key=checkpoint_order))
    usable = [summary for summary in checkpoints if summary.problem is None]
    status, reason = run_status(run, progress)
    val_bpc = bpc_points(progress)
    vocab = next((summary.vocab_size for summary in usable if summary.vocab_size), None) or (
        config.model.vocab_size or None
    )
    parameters = progress.params or max((summary.parameters for summary in usable), default=0)
    if not parameters and config.model.vocab_size:
        parameters = model_parameter_count(config.model)
    best_loss = min((loss for _, loss in progress.val_points), default=None)
    best_bpc = min((bpc for _, bpc in val_bpc), default=None)
    if best_loss is None:  # a log lost or cut short: the checkpoints still know
        best_loss = min((s.val_loss for s in usable if s.val_loss is not None), default=None)
    if best_bpc is None:
        best_bpc = min((s.val_bpc for s in usable if s.val_bpc is not None), default=None)
    steps = max([progress.step, *(summary.step for summary in usable)])
    return RunSummary(
        run_id=run.id,
        status=status,
        checkpoints=checkpoints,
        status_reason=reason,
        error=progress.error,
        corpus=config.corpus,
        tokenizer=config.tokenizer.kind,
        vocab_size=vocab,
        parameters=parameters,
        cell=config.model.cell,
        layers=config.model.num_layers,
        hidden=config.model.hidden_size,
        embedding=config.model.embedding_size,
        settings=settings_of(config),
        device=progress.device,
        steps=steps,
        elapsed_s=progress.elapsed_s or None,
        best_val_loss=best_loss,
        best_val_bpc=best_bpc,
        val_bpc_points=thinned(val_bpc),
        val_loss_points=thinned(progress.val_points),
        train_points=thinned(progress.train_points),
        recovery_steps=tuple(progress.recovery_steps),
        notices=tuple(f"{notice.title} · {notice.line()}" for notice in progress.notices[-NOTICES_KEPT:]),
        notice_count=len(progress.notices),
        adherence=progress.adherence_summary(),
        novelty=progress.novelty_summary(),
        size_bytes=sum(summary.size_bytes for summary in checkpoints),
    )


def folded_log(run: Run) -> RunProgress:
    """The run's log folded, read again only when the file changed: listing after every checkpoint re-reads the
    log of the run that is training, not the long logs of all the others."""
    from poet_tui.events import read_typed_events

    path = str(run.metrics_path)
    try:
        stat = os.lstat(path)
        version: tuple[int, int, int, int] | None = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
    except OSError:
        version = None
    cached = FOLDED_LOGS.get(path)
    if version is not None and cached is not None and cached[0] == version:
        return cached[1]
    progress = RunProgress.from_events(read_typed_events(run.metrics_path))
    if version is not None:
        FOLDED_LOGS[path] = (version, progress)
    return progress


def run_summaries(runs: list[Run]) -> list[RunSummary]:
    """Every run, each summarized on its own: one damaged run never hides another."""
    listed = {str(run.metrics_path) for run in runs}
    for path in set(FOLDED_LOGS) - listed:  # deleted runs
        FOLDED_LOGS.pop(path, None)
    return [summarize_run(run) for run in runs]
