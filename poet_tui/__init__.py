"""poet-tui: train small recurrent language models on poetry, watch them learn, play with them."""


def __getattr__(name: str) -> str:
    """`poet_tui.__version__`, read on first use from the installed metadata (pyproject.toml: one source):
    importing importlib.metadata costs about 30 ms, which every `poet` start, the app's first frame included,
    would otherwise pay."""
    if name != "__version__":
        raise AttributeError(f"module 'poet_tui' has no attribute {name!r}")
    from importlib import metadata

    try:
        return metadata.version("poet-tui")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"
