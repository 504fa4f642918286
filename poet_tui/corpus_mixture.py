"""What a run trains on: the training and validation documents of its corpus, and for a combined corpus an epoch
drawn so that each part's share of the training text is its weight's share.

- Validation: each part holds back its own `validation_fraction` (`split_documents`, by the run's seed), so every
  part is measured and the held-out set is a pure function of the parts, the seed and the fraction (the same on
  resume). A training document whose text is also held back (one poem in two parts) is dropped from training, so
  no text is in both. Validation is not weighted: it is the held-out poems as they are.
- Shares are of characters (a document's text and its `<eod>`), not of documents: "half as much of B" means half
  as much text, and poems differ in length from corpus to corpus. Characters rather than tokens keep the draw
  independent of the tokenizer, so `poet corpora show` can state it, and the overlap index recomputes exactly
  the text a run trained on without the run's tokenizer; for a char model they are its tokens.
- The draw: an epoch has as many characters as all parts' training text together. A part whose target exceeds
  its text is read whole ⌊target / text⌋ times; the rest is taken in a seeded random order, document by document,
  stopping at the document nearest the target (so a part lands within half its longest document of it), and
  every part gives at least one document. All drawn documents are then shuffled together (seeded), so each
  thread of the stateful batches reads a mixture.
- The epoch is drawn once per run and read again each epoch, as an ordinary corpus's training text is; a
  down-weighted part therefore gives the same subset of its poems every epoch.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from poet_tui.combined_corpus import CombinedCorpus, LoadedPart
from poet_tui.corpus import Corpus, Document, Split, split_documents
from poet_tui.errors import PoetError
from poet_tui.overlap.index import IndexedText
from poet_tui.overlap.training_text import training_texts


@dataclass
class PartPlan:
    """One part's split, the training documents left after dropping held-back texts, and how often each is read."""

    part: LoadedPart
    split: Split
    units: list[Document]
    numbers: list[int]  # each unit's place in the part's documents (a split by characters has none)
    uses: list[int] = field(default_factory=list)

    @property
    def sizes(self) -> list[int]:
        return [len(unit.text) + 1 for unit in self.units]


@dataclass
class TrainingSplit:
    """`train`: the epoch in stream order (repeats included); `vocabulary`: what word and SentencePiece
    tokenizers learn from (every training document once); `validation`: the held-out documents."""

    corpus: Corpus
    fraction: float
    seed: int
    train: list[Document]
    vocabulary: list[Document]
    validation: list[Document]
    plans: list[PartPlan] = field(default_factory=list)

    def indexed_texts(self) -> list[IndexedText]:
        """Exactly the text the epoch reads, each piece numbered as in the corpus (what novelty compares with)."""
        if not isinstance(self.corpus, CombinedCorpus):
            return training_texts(self.corpus.documents, self.fraction, self.seed)
        texts: list[IndexedText] = []
        for plan in self.plans:
            drawn = [index for index, uses in enumerate(plan.uses) if uses > 0]
            name, start = plan.part.name, plan.part.start
            if plan.split.by_documents:
                for index in sorted(drawn, key=lambda item: plan.numbers[item]):
                    unit = plan.units[index]
                    texts.append(
                        IndexedText(unit.text, start + plan.numbers[index], labelled(name, unit.title), unit.author)
                    )
            elif drawn:
                for item in training_texts(plan.part.documents, self.fraction, self.seed):
                    texts.append(replace(item, number=start + item.number, title=labelled(name, item.title)))
        return texts


def labelled(part: str, title: str) -> str:
    """A title that says which part of a combined corpus a copied text comes from."""
    return f"{part}: {title}" if title else part


def training_split(corpus: Corpus, fraction: float, seed: int) -> TrainingSplit:
    if not isinstance(corpus, CombinedCorpus):
        split = split_documents(corpus.documents, fraction, seed)
        return TrainingSplit(corpus, fraction, seed, split.train, split.train, split.validation)
    plans = [plan_part(corpus.name, part, fraction, seed) for part in corpus.parts]
    held_back = {document.text for plan in plans for document in plan.split.validation}
    for plan in plans:
        kept = [index for index, unit in enumerate(plan.units) if unit.text not in held_back]
        plan.units = [plan.units[index] for index in kept]
        plan.numbers = [plan.numbers[index] for index in kept] if plan.numbers else []
    draw_epoch(corpus.name, plans, seed)
    epoch = [unit for plan in plans for unit, uses in zip(plan.units, plan.uses, strict=True) for _ in range(uses)]
    random.Random(f"poet-tui mixture order {seed}").shuffle(epoch)
    vocabulary = [unit for plan in plans for unit in plan.units]
    validation = [document for plan in plans for document in plan.split.validation]
    return TrainingSplit(corpus, fraction, seed, epoch, vocabulary, validation, plans)


def plan_part(combined: str, part: LoadedPart, fraction: float, seed: int) -> PartPlan:
    try:
        split = split_documents(part.documents, fraction, seed)
    except PoetError as error:
        raise PoetError(f"part '{part.name}' of the combined corpus '{combined}': {error}") from None
    if not split.by_documents:
        return PartPlan(part, split, list(split.train), [])
    number_of = {id(document): number for number, document in enumerate(part.documents)}
    return PartPlan(part, split, list(split.train), [number_of[id(document)] for document in split.train])


def draw_epoch(combined: str, plans: list[PartPlan], seed: int) -> None:
    """Set each plan's `uses` so that its characters in the epoch come nearest its share of the whole."""
    active = [plan for plan in plans if plan.units]
    if not active:
        raise PoetError(f"the combined corpus '{combined}' has no training text left once validation is held back.")
    total = sum(sum(plan.sizes) for plan in active)
    shares = sum(plan.part.share for plan in active)
    for plan in plans:
        target = total * plan.part.share / shares if plan.units else 0.0
        plan.uses = use_counts(plan.sizes, target, random.Random(f"poet-tui mixture {seed} {plan.part.name}"))


def use_counts(sizes: Sequence[int], target: float, rng: random.Random) -> list[int]:
    """How often each document is read so that their characters come to `target`, within half the longest
    document (at least one document is read whenever there is one)."""
    if not sizes:
        return []
    text = sum(sizes)
    whole = int(target // text)
    rest = target - whole * text
    uses = [whole] * len(sizes)
    order = list(range(len(sizes)))
    rng.shuffle(order)
    taken = 0
    for index in order:
        if taken + sizes[index] / 2 > rest:
            break
        uses[index] += 1
        taken += sizes[index]
    if not any(uses):
        uses[order[0]] = 1
    return uses
