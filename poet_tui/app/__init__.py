"""The Textual app (`poet` with no command). Importing this package is cheap: no textual, no torch."""

from __future__ import annotations


def run_app(checkpoint: str | None = None) -> int:
    from poet_tui.app.app import PoetApp

    PoetApp(checkpoint=checkpoint).run()
    return 0
