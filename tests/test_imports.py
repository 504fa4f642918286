"""The engine and the CLI's train and generate paths never import textual (the app is only a view)."""

from __future__ import annotations

import subprocess
import sys

ENGINE_MODULES = [
    "poet_tui.corpus",
    "poet_tui.corpus_registry",
    "poet_tui.tokenizers",
    "poet_tui.model",
    "poet_tui.train",
    "poet_tui.checkpoint",
    "poet_tui.runs",
    "poet_tui.sample",
    "poet_tui.generation",
    "poet_tui.device",
    "poet_tui.cli.main",
    "poet_tui.cli.train_command",
    "poet_tui.cli.generate_command",
    "poet_tui.cli.train_display",
]


def test_engine_and_cli_never_import_textual() -> None:
    code = (
        "import sys\n"
        + "".join(f"import {module}\n" for module in ENGINE_MODULES)
        + "print(sorted(name for name in sys.modules if name.split('.')[0] in ('textual', 'textual_plotext')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_cli_entry_point_does_not_import_torch_until_a_command_needs_it() -> None:
    code = "import sys, poet_tui.cli.main; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_listing_runs_and_holding_sampling_settings_does_not_import_torch() -> None:
    """The app lists checkpoints and edits sampling settings before torch has loaded in the background."""
    code = (
        "import sys, poet_tui.runs, poet_tui.run_catalog, poet_tui.checkpoint, poet_tui.sampling_settings, "
        "poet_tui.config, poet_tui.run_progress, poet_tui.corpus_registry; print('torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
