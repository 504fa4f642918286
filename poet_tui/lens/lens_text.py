"""Which text the lens reads for a model by default: its run's validation text, the held-out poems the engine
evaluates on (train.py's `prepare_data`, by the run's corpus, seed and validation fraction), so that cells are
found on text the model did not learn by heart.

When it cannot be had (an export folder, a corpus changed or gone), NoValidationText says why without saying
what to do instead: the CLI's answer is --text FILE, the app's is its current text, and each adds its own."""

from __future__ import annotations

from poet_tui.corpus import Document, corpus_fingerprint
from poet_tui.errors import PoetError
from poet_tui.generation import LoadedModel
from poet_tui.lens.tokens import POEM_JOINER

# What one look reads at most (a validation text is cut at a poem's end before it): every token becomes a few
# Python objects, so a million characters is already about a gigabyte of scores.
MAX_LENS_CHARACTERS = 1_000_000
EXPORT_HAS_NO_TEXT = "an export folder carries no training text, so it has no validation text to look at"


class NoValidationText(PoetError):
    """The validation text cannot be had; `reason` is a clause a caller ends with its own way out."""

    def __init__(self, reason: str) -> None:
        self.reason = reason.rstrip(" .")
        super().__init__(f"{self.reason}.")


def validation_documents(loaded: LoadedModel) -> list[Document]:
    """The held-out poems of the run the model comes from; NoValidationText if they cannot be rebuilt."""
    if loaded.run is None:
        raise NoValidationText(EXPORT_HAS_NO_TEXT)
    from poet_tui.combined_corpus import run_corpus
    from poet_tui.corpus_mixture import training_split

    run = loaded.run
    config = run.config()
    consequence = ", so its validation text cannot be rebuilt"
    try:
        corpus = run_corpus(config, run.id, consequence)
    except PoetError as error:
        raise NoValidationText(str(error)) from None
    if config.corpus_fingerprint and corpus_fingerprint(corpus) != config.corpus_fingerprint:
        changed = f"the corpus '{config.corpus}' has changed since run {run.id} trained on it"
        raise NoValidationText(f"{changed}{consequence}")
    return training_split(corpus, config.training.validation_fraction, config.seed).validation


def lens_text_for(loaded: LoadedModel, max_characters: int | None = None) -> str:
    """The run's validation poems as one text, two blank lines between poems (read back as `<eod>`s); with
    `max_characters`, only the first poems that fit (the first poem cut if it alone is longer)."""
    texts: list[str] = []
    length = 0
    for document in validation_documents(loaded):
        joined = len(document.text) + (len(POEM_JOINER) if texts else 0)
        if max_characters is not None and length + joined > max_characters:
            if not texts:
                texts.append(document.text[:max_characters])
            break
        texts.append(document.text)
        length += joined
    return POEM_JOINER.join(texts)
