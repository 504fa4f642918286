"""How big a model a config describes, worked out by arithmetic before anything is allocated.

No torch here: the CLI, the app's forms and the readers of run.toml and checkpoint metadata refuse a model that
cannot be built (a million layers, a hidden size of a billion, more memory than the machine has) instantly,
instead of hanging in `nn.LSTM` or asking the allocator for terabytes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from poet_tui.config import ModelConfig

# Caps on each size, far above any model worth training here, so a typo is refused before arithmetic on it.
MAX_LAYERS = 64  # stacked LSTMs stop training well long before this, and nn.LSTM builds layers one by one
MAX_WIDTH = 65_536  # hidden and embedding sizes
MAX_VOCAB = 1 << 22  # 4,194,304: every Unicode code point fits, with room for a word vocabulary
MAX_PARAMETERS = 1 << 31  # 2.1 G: beyond this the weights alone outgrow any single GPU this project targets
# Training holds weights, gradients and AdamW's two moments, 4 bytes each; a quarter more covers activations.
TRAINING_BYTES_PER_PARAMETER = 16
TRAINING_MEMORY_MARGIN = 1.25
GATES = {"lstm": 4, "gru": 3}

SIZE_FIELDS = (
    # field, what it is in a phrase, smallest buildable value, cap
    ("num_layers", "a layer count", 1, MAX_LAYERS),
    ("hidden_size", "a hidden size", 1, MAX_WIDTH),
    ("embedding_size", "an embedding size", 1, MAX_WIDTH),
    ("vocab_size", "a vocabulary", 0, MAX_VOCAB),  # 0: not known yet (a new run before its tokenizer exists)
)


def recurrent_parameter_count(cell: str, embedding_size: int, hidden_size: int, num_layers: int) -> int:
    """nn.LSTM / nn.GRU: per layer, input and recurrent weights for every gate and two bias vectors."""
    gates = GATES.get(cell, 4) * hidden_size
    first_layer = gates * (embedding_size + hidden_size + 2)
    later_layers = (num_layers - 1) * gates * (2 * hidden_size + 2)
    return first_layer + later_layers


def vocabulary_parameter_count(config: ModelConfig) -> int:
    """The embedding, the decoder (its weight shared with the embedding when tied) and the decoder's bias."""
    vocab, embedding = config.vocab_size, config.embedding_size
    decoder_weight = 0 if config.tied else config.hidden_size * vocab
    return vocab * embedding + decoder_weight + vocab


def model_parameter_count(config: ModelConfig) -> int:
    """Exactly `RNNLanguageModel(config).parameter_count()`, without building it."""
    bridged = config.tied and config.hidden_size != config.embedding_size  # tied weights of another size
    projection = config.hidden_size * config.embedding_size if bridged else 0
    recurrent = recurrent_parameter_count(config.cell, config.embedding_size, config.hidden_size, config.num_layers)
    return vocabulary_parameter_count(config) + recurrent + projection


def training_memory_bytes(parameters: int) -> int:
    """About what training a model of this many parameters takes (weights, gradients, AdamW, activations)."""
    return int(parameters * TRAINING_BYTES_PER_PARAMETER * TRAINING_MEMORY_MARGIN)


def cpu_available_bytes() -> int | None:
    """Memory the OS could give this process now, or None where psutil cannot tell."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except Exception:  # an unusual platform or a sandbox without /proc: no figure rather than a crash
        return None


def format_count(count: float) -> str:
    for limit, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if count >= limit:
            return f"{count / limit:.1f} {unit}"
    return f"{count:.0f}"


def format_bytes(count: float) -> str:
    return f"{count / 1e9:.1f} GB" if count >= 1e8 else f"{count / 1e6:.0f} MB"


def size_field_problem(config: Any) -> str | None:
    """The first size that is not a whole number or is beyond its cap, as a phrase."""
    for name, what, smallest, cap in SIZE_FIELDS:
        value = getattr(config, name, None)
        if not isinstance(value, int) or isinstance(value, bool):
            return f"{what} of {value!r}, which is not a whole number"
        if value < smallest:
            return f"{what} of {value}, less than {smallest}"
        if value > cap:
            return f"{what} of {value}, more than the {cap} poet-tui builds"
    if getattr(config, "cell", None) not in GATES:
        return f"a {getattr(config, 'cell', None)!r} cell, which poet-tui does not build (it builds lstm and gru)"
    return None


def model_size_problem(config: ModelConfig, available_bytes: int | None = None) -> str | None:
    """Why a model of this config cannot be built or trained here, as a phrase naming no flag; None if it can.

    `available_bytes`: the memory training would use (e.g. `cpu_available_bytes()`); left out, only the sizes and
    the parameter count are checked. Never raises, whatever the config's fields hold."""
    problem = size_field_problem(config)
    if problem is not None:
        return problem
    parameters = model_parameter_count(config)
    size = f"a model of {format_count(parameters)} parameters"
    if parameters > MAX_PARAMETERS:
        return f"{size}, more than the {format_count(MAX_PARAMETERS)} poet-tui builds"
    needed = training_memory_bytes(parameters)
    if available_bytes is not None and needed > available_bytes:
        return (
            f"{size}, which needs about {format_bytes(needed)} to train, "
            f"more than the {format_bytes(available_bytes)} of memory available"
        )
    return None


def memory_for_device(device: str) -> int | None:
    """The memory a model trained on `device` must fit in, where that is known without importing torch.

    `auto` may mean a GPU, which only torch can tell: the engine checks that run again once its device is known."""
    return cpu_available_bytes() if device == "cpu" else None
