"""The run store: one directory per training run under `$POET_HOME/runs`, and finding models by name.

A run is only ever a real directory directly under the store's root, with a name the store gives
(`yyyymmdd-HHMMSS-corpus-tokenizer`) and a `run.toml` in it. Every name or path a user gives is resolved
(links included) and checked to be one of those before anything is read, written or deleted, so no name,
path, `..` or link can make poet-tui touch a folder outside the store.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import stat
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from poet_tui.checkpoint import CHECKPOINT_NAME, CheckpointFiles, has_weights, list_checkpoints, read_metadata
from poet_tui.config import RunConfig, load_run_config, save_run_config
from poet_tui.corpus_reading import shown
from poet_tui.errors import PoetError, did_you_mean
from poet_tui.events import read_events
from poet_tui.paths import runs_dir, user_path
from poet_tui.processes import process_alive
from poet_tui.run_lock import RunLock, is_locked

RUN_ID = re.compile(r"^\d{8}-\d{6}-[A-Za-z0-9_-]{1,100}$")
TRASH_DIR = ".trash"  # inside the store's root: a rename there never crosses a filesystem
CANDIDATES_SHOWN = 8
UNFINISHED_AGE_S = 60  # a run folder without run.toml this old was left by a kill during its creation


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
        """A checkpoint whose JSON and weights exist (weights still pending after a crash count: readers
        read through them)."""
        files = CheckpointFiles(self.checkpoints_dir, stem)
        return files if os.path.lexists(files.metadata) and has_weights(files) else None

    def model_checkpoint(self) -> CheckpointFiles:
        """The checkpoint to generate with: the best one, else the latest."""
        files = self.checkpoint("best") or self.checkpoint("latest")
        if files is None:
            raise PoetError(f"run {self.id} has no checkpoint yet; train it until it evaluates at least once.")
        return files

    def events(self) -> list[dict[str, Any]]:
        return list(read_events(self.metrics_path))

    def links(self) -> list[str]:
        """Symbolic links inside the run (names relative to it): a run poet-tui made never has any."""
        found: list[str] = []
        for folder in (self.directory, self.checkpoints_dir):
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            found.extend(os.path.relpath(entry.path, self.directory) for entry in entries if entry.is_symlink())
        if os.path.islink(self.checkpoints_dir):
            found.append("checkpoints")
        return sorted(set(found))

    def require_no_links(self) -> None:
        links = self.links()
        if links:
            raise PoetError(
                f"run {self.id} contains a symbolic link ({', '.join(links[:3])}); poet-tui never follows links "
                "in a run. Remove the link, or delete the run."
            )

    def is_training(self) -> bool:
        """Asked of the run's lock, which only a live trainer (or a delete in progress) holds."""
        return is_locked(self.directory)

    def training_pid(self) -> int | None:
        """The pid of the process training this run, for signals; None unless the run's lock is held."""
        if not self.is_training():
            return None
        try:
            with open(self.pid_path, "rb", opener=no_follow_opener) as handle:
                pid = int(handle.read(32).strip())
        except (OSError, ValueError):
            return None
        return pid if 0 < pid < 2**31 and process_alive(pid) else None

    def status(self, events: list[dict[str, Any]] | None = None) -> str:
        """running, done, stopped, failed or interrupted (the process died without saying goodbye)."""
        if self.is_training():
            return "running"
        events = self.events() if events is None else events
        for event in reversed(events):  # only the last session counts: an earlier one's goodbye is not this one's
            if event["event"] == "start":
                break
            if event["event"] == "done":
                return "stopped" if event.get("reason") == "stopped" else "done"
            if event["event"] == "error":
                return "failed"
        return "interrupted"

    def lock(self, purpose: str = "train it") -> RunLock:
        """The run's exclusive lock, or one sentence saying who holds it."""
        return RunLock.acquire(self.directory, self.id, purpose)


def no_follow_opener(path: str, flags: int) -> int:
    return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)


class RunStore:
    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else runs_dir()

    def resolved_root(self) -> Path:
        return self.root.resolve()

    def create(self, config: RunConfig, corpus_name: str) -> tuple[Run, RunLock]:
        """A new run directory with its config, locked for the caller before anyone else can see it."""
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        base = f"{stamp}-{safe_name(corpus_name)}-{config.tokenizer.kind}"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise PoetError(
                f"could not create the run store {self.root} ({error.strerror or error}); "
                "check that the data home is writable and has space."
            ) from None
        self.empty_trash()
        self.sweep_unfinished()
        for attempt in range(1, 1000):
            directory = self.root / (base if attempt == 1 else f"{base}-{attempt}")
            try:
                directory.mkdir()
            except FileExistsError:
                continue
            except OSError as error:
                raise PoetError(
                    f"could not create a run directory in {self.root} ({error.strerror or error}); "
                    "free some space or make it writable, then try again."
                ) from None
            run = Run(directory)
            lock: RunLock | None = None
            try:
                lock = run.lock()
                run.checkpoints_dir.mkdir()
                save_run_config(config, run.config_path)
            except (OSError, PoetError) as error:
                if lock is not None:
                    lock.release()
                shutil.rmtree(directory, ignore_errors=True)  # never leave an empty run behind
                reason = error.strerror if isinstance(error, OSError) else str(error)
                raise PoetError(
                    f"could not set up run {run.id} in {self.root} ({reason or error}); "
                    "free some space or make the folder writable, then try again."
                ) from None
            return run, lock
        raise PoetError(f"could not make a new run directory under {self.root}.")

    def list(self) -> list[Run]:
        """Every run of the store: real directories (not links) with a run's name and a run.toml."""
        try:
            entries = list(os.scandir(self.root))
        except OSError:
            return []
        runs = []
        for entry in entries:
            if RUN_ID.match(entry.name) and entry.is_dir(follow_symlinks=False):
                config = Path(entry.path) / "run.toml"
                with contextlib.suppress(OSError):
                    if stat.S_ISREG(os.lstat(config).st_mode):
                        runs.append(Run(Path(entry.path)))
        return sorted(runs, key=lambda run: run.id)

    def get(self, name_or_path: str) -> Run:
        """A run by its name, a unique start of its name, or the path of its directory inside the store."""
        runs = self.list()
        name = name_or_path.strip()
        if not name:
            raise PoetError(f"give a run name; {describe_candidates(runs)}")
        by_id = {run.id: run for run in runs}
        if name in by_id:
            return by_id[name]
        if looks_like_a_path(name):
            return self.run_at(user_path(name), by_id)
        matches = [run for run in runs if run.id.startswith(name)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise PoetError(f"'{shown(name)}' matches {len(matches)} runs; give more of the name: {names_of(matches)}.")
        suggestion = did_you_mean(name, list(by_id))
        raise PoetError(f"no run named '{shown(name)}'.{suggestion} {describe_candidates(runs).capitalize()}")

    def run_at(self, path: Path, by_id: dict[str, Run]) -> Run:
        """The run a directory path names, after resolving links and `..`, if it is one of this store's."""
        try:
            resolved = path.resolve(strict=True)
        except (OSError, RuntimeError):
            raise PoetError(f"{path} does not exist; `poet checkpoints list` shows the runs.") from None
        if resolved.parent != self.resolved_root() or resolved.name not in by_id:
            raise PoetError(
                f"{path} is not a run in the run store ({self.root}); poet-tui only reads, trains and deletes "
                "runs it made there."
            )
        return by_id[resolved.name]

    def resolve_model(self, name_or_path: str) -> tuple[Run, CheckpointFiles]:
        """A run name (or prefix), a run directory, or any file of a checkpoint → its run and checkpoint."""
        name = name_or_path.strip()
        path = user_path(name)
        if name and looks_like_a_path(name) and names_a_checkpoint_file(path):
            return self.checkpoint_at(path)
        run = self.get(name_or_path)
        run.require_no_links()
        return run, run.model_checkpoint()

    def checkpoint_at(self, path: Path, check_metadata: bool = True) -> tuple[Run, CheckpointFiles]:
        """A checkpoint file's run and checkpoint, if the file lies in a store run's checkpoints folder."""
        files = CheckpointFiles.from_path(path)
        try:
            folder = files.directory.resolve(strict=True)
        except (OSError, RuntimeError):
            raise PoetError(f"{path} does not exist; check the path.") from None
        by_id = {run.id: run for run in self.list()}
        if (
            folder.name != "checkpoints"
            or folder.parent.parent != self.resolved_root()
            or (folder.parent.name not in by_id)
        ):
            raise PoetError(
                f"{path} is not a checkpoint of a run in the run store ({self.root}); poet-tui only loads "
                "checkpoints it wrote there."
            )
        if not CHECKPOINT_NAME.match(files.stem):
            raise PoetError(f"{path} is not a checkpoint poet-tui wrote (latest, best or step-NNNNNNNN).")
        run = by_id[folder.parent.name]
        files = CheckpointFiles(run.checkpoints_dir, files.stem)
        if check_metadata:
            run.require_no_links()
            read_metadata(files)
        return run, files

    def remove(self, run: Run) -> None:
        """Delete a run in two phases: rename it into the trash (one atomic step: it leaves every listing
        whole), then delete the trash. A failure half-way leaves a whole run or a trash entry, never a run
        without its config but with orphaned checkpoints."""
        run = self.get(run.id)  # only a run of this store, by its name: never a path from elsewhere
        self.empty_trash()
        with run.lock(purpose="delete it"):
            trash = self.root / TRASH_DIR
            try:
                trash.mkdir(exist_ok=True)
                if trash.is_symlink() or not trash.is_dir():
                    raise PoetError(f"{trash} is not a folder of poet-tui's; remove it, then delete the run again.")
                os.replace(run.directory, trash / f"{run.id}.{secrets.token_hex(4)}")
            except OSError as error:
                raise PoetError(
                    f"could not delete run {run.id} ({error.strerror or error}); nothing was deleted. Check that "
                    f"{self.root} is writable."
                ) from None
        self.empty_trash()

    def remove_checkpoint(self, run: Run, stem: str) -> None:
        """Delete one checkpoint of a run that is not training."""
        from poet_tui.checkpoint import remove_checkpoint

        run = self.get(run.id)
        if not CHECKPOINT_NAME.match(stem):
            raise PoetError(f"'{stem}' is not a checkpoint name (latest, best or step-NNNNNNNN).")
        with run.lock(purpose="delete its checkpoints"):
            try:
                remove_checkpoint(CheckpointFiles(run.checkpoints_dir, stem))
            except OSError as error:
                raise PoetError(
                    f"could not delete checkpoint {stem} of run {run.id} ({error.strerror or error}); "
                    "check that the folder is writable."
                ) from None

    def sweep_unfinished(self) -> None:
        """Remove run folders a kill left before their run.toml existed: never listed, never resumable. One
        being created right now holds its lock (or is seconds old), so it is left alone."""
        try:
            entries = list(os.scandir(self.root))
        except OSError:
            return
        now = time.time()
        for entry in entries:
            if not RUN_ID.match(entry.name) or not entry.is_dir(follow_symlinks=False):
                continue
            folder = Path(entry.path)
            with contextlib.suppress(OSError):
                unfinished = not os.path.lexists(folder / "run.toml")
                old = now - entry.stat(follow_symlinks=False).st_mtime > UNFINISHED_AGE_S
                if unfinished and old and not is_locked(folder):
                    shutil.rmtree(folder, ignore_errors=True)

    def empty_trash(self) -> None:
        """Finish deletes that a crash interrupted. shutil.rmtree removes links, never what they point at."""
        trash = self.root / TRASH_DIR
        if trash.is_dir() and not trash.is_symlink():
            for entry in list(os.scandir(trash)):
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)


def names_a_checkpoint_file(path: Path) -> bool:
    """A file, or a checkpoint stem whose JSON exists; never raises for `/`, `.` or a name too long."""
    if not path.name or path.name in (".", ".."):
        return False
    try:
        return path.is_file() or path.with_name(path.name + ".json").is_file()
    except (OSError, ValueError):
        return False


def looks_like_a_path(name: str) -> bool:
    """A run name never has a separator and never starts with a dot or a tilde; anything else is a path."""
    return os.sep in name or (os.altsep is not None and os.altsep in name) or name.startswith((".", "~"))


def names_of(runs: list[Run]) -> str:
    shown = ", ".join(run.id for run in runs[:CANDIDATES_SHOWN])
    return shown + (f" and {len(runs) - CANDIDATES_SHOWN} more" if len(runs) > CANDIDATES_SHOWN else "")


def describe_candidates(runs: list[Run]) -> str:
    if not runs:
        return "there are no runs yet (`poet train` makes one)."
    return f"the runs are: {names_of(runs)}."


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:40] or "corpus"
