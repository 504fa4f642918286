"""The Textual app (`poet` with no command). Importing this package is cheap: no textual, no torch."""

from __future__ import annotations


def run_app(checkpoint: str | None = None) -> int:
    """Run the app; once it has exited and restored the terminal, end the process without waiting for the
    daemon threads that may still be importing PyTorch or loading a model (see background.exit_now)."""
    from poet_tui.app.app import PoetApp
    from poet_tui.app.background import exit_now

    app = PoetApp(checkpoint=checkpoint, defer_panes=True)
    app.run()
    exit_now(app.return_code or 0)
