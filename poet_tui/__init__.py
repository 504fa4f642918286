"""poet-tui: train small recurrent language models on poetry, watch them learn, play with them."""

__version__ = "0.1.0"
