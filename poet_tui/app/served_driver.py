"""The driver of an app that `poet serve` started for a browser tab: Textual's web driver, which also ends the
app when the server has gone.

textual-serve talks to the app over its stdin and stdout. Textual's WebDriver stops reading at end of file and
carries on, so an app whose server was killed (or crashed) would stay behind with nobody to see it. Here the
end of input, or a write to a closed pipe, ends the app as a quit from the browser does."""

from __future__ import annotations

import os
from functools import partial
from typing import Any

from textual import messages
from textual.drivers.web_driver import WebDriver


class ServedDriver(WebDriver):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.server_gone = False  # a write found the pipe closed: nothing more can reach the browser
        self.ending = False
        self._write = partial(self.write_to_server)  # every write of the web driver goes through _write

    def write_to_server(self, data: bytes) -> int:
        """os.write to stdout, where textual-serve reads; once it has gone, nothing is written and the app ends."""
        if self.server_gone:
            return 0
        try:
            return os.write(self.fileno, data)
        except BrokenPipeError:
            self.server_gone = True
            self.end_app()
            return 0

    def run_input_thread(self) -> None:
        super().run_input_thread()
        if not self.exit_event.is_set():  # input ended without the app stopping: end of file, the server is gone
            self.end_app()

    def end_app(self) -> None:
        if not self.ending:
            self.ending = True
            self._app.post_message(messages.ExitApp())  # thread-safe, as the web driver's own input thread uses it
