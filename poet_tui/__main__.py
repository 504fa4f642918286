"""`python -m poet_tui` is the same as the `poet` command."""

from poet_tui.cli.main import main

raise SystemExit(main())
