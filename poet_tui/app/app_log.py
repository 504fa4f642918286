"""The app's own log, `$POET_HOME/logs/app.log`: every error and warning the app showed, with the traceback of
an unexpected one, so a notification that vanished (or a crash a user reports) can be read again.

It lives under `$POET_HOME`, not in the platform's log directory, because nothing outside `$POET_HOME` is ever
written (the design card's rule). Nothing is written until there is something to say; the file is bounded like
`train.log` (rotating_file.py)."""

from __future__ import annotations

import threading
import time
import traceback
from pathlib import Path

from poet_tui.paths import poet_home
from poet_tui.rotating_file import RotatingFile

APP_LOG = "app.log"
MAX_APP_LOG_BYTES = 2**20
MAX_ENTRY_CHARACTERS = 64 * 1024


def app_log_path() -> Path:
    return poet_home() / "logs" / APP_LOG


class AppLog:
    """Safe to call from any thread. A log that cannot be written is given up silently: the app goes on."""

    def __init__(self) -> None:
        self.file: RotatingFile | None = None
        self.lock = threading.Lock()

    @property
    def path(self) -> Path | None:
        """The file, once an entry reached it."""
        return self.file.path if self.file is not None and self.file.written else None

    def write(self, severity: str, text: str, error: BaseException | None = None) -> Path | None:
        """One entry (the time, the severity, the text, then the error's traceback); the file it went to."""
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        entry = f"{stamp} {severity}: {text}"
        if error is not None:
            entry += "\n" + "".join(traceback.format_exception(error)).rstrip("\n")
        if len(entry) > MAX_ENTRY_CHARACTERS:
            entry = entry[:MAX_ENTRY_CHARACTERS] + f" … (cut: {len(entry):,} characters)"
        with self.lock:
            if self.file is None:
                path = app_log_path()
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                except OSError:
                    return None
                self.file = RotatingFile(path, MAX_APP_LOG_BYTES)
            written = self.file.append(f"{entry}\n".encode("utf-8", "replace"))
        return self.file.path if written else None

    def close(self) -> None:
        with self.lock:
            if self.file is not None:
                self.file.close()
