"""Which text the lens reads for a model by default: its run's validation text, the held-out poems the engine
evaluates on (train.py's `prepare_data`, by the run's corpus, seed and validation fraction), so that cells are
found on text the model did not learn by heart."""

from __future__ import annotations

from poet_tui.corpus import Document, corpus_fingerprint
from poet_tui.errors import PoetError
from poet_tui.generation import LoadedModel
from poet_tui.lens.tokens import POEM_JOINER

NO_VALIDATION_TEXT = (
    "an export folder carries no training text, so it has no validation text to look at; pass --text FILE "
    "(a poem or a file of poems) instead."
)


def validation_documents(loaded: LoadedModel) -> list[Document]:
    """The held-out poems of the run the model comes from; one sentence if they cannot be rebuilt."""
    if loaded.run is None:
        raise PoetError(NO_VALIDATION_TEXT)
    from poet_tui.combined_corpus import run_corpus
    from poet_tui.corpus_mixture import training_split

    run = loaded.run
    config = run.config()
    consequence = ", so its validation text cannot be rebuilt; pass --text FILE instead."
    corpus = run_corpus(config, run.id, consequence)
    if config.corpus_fingerprint and corpus_fingerprint(corpus) != config.corpus_fingerprint:
        raise PoetError(f"the corpus '{config.corpus}' has changed since run {run.id} trained on it{consequence}")
    return training_split(corpus, config.training.validation_fraction, config.seed).validation


def lens_text_for(loaded: LoadedModel) -> str:
    """The run's validation poems as one text, two blank lines between poems (read back as `<eod>`s)."""
    return POEM_JOINER.join(document.text for document in validation_documents(loaded))
