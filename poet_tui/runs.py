"""The run store: one directory per training run under `$POET_HOME/runs`, and finding models by name."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from poet_tui.checkpoint import CheckpointFiles, list_checkpoints, read_metadata
from poet_tui.config import RunConfig, load_run_config, save_run_config
from poet_tui.errors import PoetError
from poet_tui.events import read_events
from poet_tui.paths import runs_dir
from poet_tui.processes import looks_like_poet, process_alive


@dataclass(frozen=True)
class Run:
    directory: Path

    @property
    def id(self) -> str:
        return self.directory.name

    @property
    def config_path(self) -> Path:
        return self.directory / "run.toml"

    @property
    def metrics_path(self) -> Path:
        return self.directory / "metrics.jsonl"

    @property
    def checkpoints_dir(self) -> Path:
        return self.directory / "checkpoints"

    @property
    def pid_path(self) -> Path:
        return self.directory / "train.pid"

    def config(self) -> RunConfig:
        return load_run_config(self.config_path)

    def checkpoints(self) -> list[CheckpointFiles]:
        return list_checkpoints(self.checkpoints_dir)

    def checkpoint(self, stem: str) -> CheckpointFiles | None:
        files = CheckpointFiles(self.checkpoints_dir, stem)
        return files if files.metadata.exists() and files.weights.exists() else None

    def model_checkpoint(self) -> CheckpointFiles:
        """The checkpoint to generate with: the best one, else the latest."""
        files = self.checkpoint("best") or self.checkpoint("latest")
        if files is None:
            raise PoetError(f"run {self.id} has no checkpoint yet; train it until it evaluates at least once.")
        return files

    def events(self) -> list[dict[str, Any]]:
        return list(read_events(self.metrics_path))

    def training_pid(self) -> int | None:
        """The pid of a live training process for this run, if any (zombies and reused pids do not count)."""
        try:
            pid = int(self.pid_path.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if process_alive(pid) and looks_like_poet(pid) else None

    def status(self, events: list[dict[str, Any]] | None = None) -> str:
        """running, done, stopped, failed or interrupted (the process died without saying goodbye)."""
        if self.training_pid() is not None:
            return "running"
        events = self.events() if events is None else events
        for event in reversed(events):
            if event["event"] == "done":
                return "stopped" if event.get("reason") == "stopped" else "done"
            if event["event"] == "error":
                return "failed"
        return "interrupted"


class RunStore:
    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else runs_dir()

    def create(self, config: RunConfig, corpus_name: str) -> Run:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        base = f"{stamp}-{safe_name(corpus_name)}-{config.tokenizer.kind}"
        self.root.mkdir(parents=True, exist_ok=True)
        for attempt in range(1, 1000):
            directory = self.root / (base if attempt == 1 else f"{base}-{attempt}")
            try:
                directory.mkdir()
            except FileExistsError:
                continue
            run = Run(directory)
            run.checkpoints_dir.mkdir()
            save_run_config(config, run.config_path)
            return run
        raise PoetError(f"could not make a new run directory under {self.root}.")

    def list(self) -> list[Run]:
        if not self.root.is_dir():
            return []
        return sorted(
            (Run(path) for path in self.root.iterdir() if path.is_dir() and (path / "run.toml").exists()),
            key=lambda run: run.id,
        )

    def get(self, name_or_path: str) -> Run:
        path = Path(name_or_path).expanduser()
        if (path / "run.toml").exists():
            return Run(path.resolve())
        candidate = self.root / name_or_path
        if (candidate / "run.toml").exists():
            return Run(candidate)
        matches = [run for run in self.list() if run.id.startswith(name_or_path)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise PoetError(f"'{name_or_path}' matches {len(matches)} runs; give more of the name.")
        raise PoetError(f"no run named '{name_or_path}'; `poet checkpoints list` shows the runs.")

    def resolve_model(self, name_or_path: str) -> tuple[Run, CheckpointFiles]:
        """A run name (or prefix), a run directory, or any file of a checkpoint → its run and checkpoint."""
        path = Path(name_or_path).expanduser()
        if path.is_file() or path.with_suffix(".json").is_file():
            files = CheckpointFiles.from_path(path)
            run_directory = files.directory.parent
            if not (run_directory / "run.toml").exists():
                raise PoetError(f"{path} is not inside a poet-tui run directory (no run.toml two levels up).")
            read_metadata(files)
            return Run(run_directory.resolve()), CheckpointFiles(files.directory.resolve(), files.stem)
        run = self.get(name_or_path)
        return run, run.model_checkpoint()

    def remove(self, run: Run) -> None:
        if run.training_pid() is not None:
            raise PoetError(f"run {run.id} is still training; stop it before deleting it.")
        shutil.rmtree(run.directory)


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:40] or "corpus"
