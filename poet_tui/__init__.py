"""poet-tui: train small recurrent language models on poetry, watch them learn, play with them."""

from importlib import metadata

try:  # one source of the version: pyproject.toml, as installed
    __version__ = metadata.version("poet-tui")
except metadata.PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
