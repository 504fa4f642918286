"""What an index is built over: a whole corpus, or exactly the text a run trained on.

A run trains on the training part of its corpus's split (train.py's `prepare_data`): whole documents when the
corpus has enough of them, else the first 90 % of the characters cut at a line. The split is a pure function of
the corpus, the run's seed and its validation fraction, so it is recomputed here rather than stored; the run's
recorded corpus fingerprint says whether the corpus is still the one it trained on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from poet_tui.corpus import Corpus, Document, corpus_fingerprint, split_documents
from poet_tui.errors import PoetError
from poet_tui.overlap.cache import Announce, load_or_build
from poet_tui.overlap.index import IndexedText, OverlapIndex, whole_documents

if TYPE_CHECKING:
    from poet_tui.runs import Run

JOINER = "\n\n\n"  # how split_documents lays documents end to end before a cut by characters


def training_texts(documents: Sequence[Document], validation_fraction: float, seed: int) -> list[IndexedText]:
    """The training part of a split, each piece numbered (and placed) as in the corpus it came from."""
    split = split_documents(list(documents), validation_fraction, seed)
    if split.by_documents:
        number_of = {id(document): number for number, document in enumerate(documents)}
        return [IndexedText(doc.text, number_of[id(doc)], doc.title, doc.author) for doc in split.train]
    (trained,) = split.train
    joined = JOINER.join(document.text for document in documents)
    begin = len(joined) - len(joined.lstrip("\n"))
    end = begin + len(trained.text)
    if joined[begin:end] != trained.text:  # split_documents cut another way: index what it gave, as one text
        return [IndexedText(trained.text, 0)]
    texts: list[IndexedText] = []
    offset = 0
    for number, document in enumerate(documents):
        low, high = max(begin, offset), min(end, offset + len(document.text))
        if high > low:
            start = low - offset
            texts.append(
                IndexedText(
                    document.text[start : high - offset],
                    number,
                    document.title,
                    document.author,
                    offset=start,
                    first_line=document.text.count("\n", 0, start) + 1,
                )
            )
        offset += len(document.text) + len(JOINER)
    return texts


def load_or_build_for_corpus(corpus: Corpus, announce: Announce | None = None) -> OverlapIndex:
    """The index of every document of a corpus."""
    return load_or_build(whole_documents(corpus.documents), announce, what=f"corpus {corpus.name}")


def run_training_texts(run: Run) -> list[IndexedText]:
    """The text a run trained on; one sentence if its corpus is gone or has changed since. A combined corpus is
    rebuilt from the parts run.toml recorded, and its epoch drawn again as training drew it (corpus_mixture.py)."""
    from poet_tui.combined_corpus import CombinedCorpus, run_corpus

    config = run.config()
    consequence = ", so the text it learnt from is not there to compare with; novelty can only be measured against it."
    corpus = run_corpus(config, run.id, consequence)
    if config.corpus_fingerprint and corpus_fingerprint(corpus) != config.corpus_fingerprint:
        raise PoetError(
            f"the corpus '{config.corpus}' has changed since run {run.id} trained on it, so the text it learnt "
            "from is not there to compare with; novelty can only be measured against that text."
        )
    if isinstance(corpus, CombinedCorpus):
        from poet_tui.corpus_mixture import training_split

        return training_split(corpus, config.training.validation_fraction, config.seed).indexed_texts()
    return training_texts(corpus.documents, config.training.validation_fraction, config.seed)


def load_or_build_for_run(run: Run, announce: Announce | None = None) -> OverlapIndex:
    """The index of exactly the text a run trained on (its corpus's training split)."""
    return load_or_build(run_training_texts(run), announce, what=f"the training text of run {run.id}")
