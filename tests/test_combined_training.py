"""Training on a combined corpus: each part's share of an epoch's text is its weight's share (within half its
longest poem, by construction), every part holds back its own validation poems and no text is in both, the run
records its parts so a resume and the overlap index rebuild exactly what it trained on — even after the
combination is redefined or forgotten — and a changed part is one sentence."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from poet_tui.cli.main import main
from poet_tui.combined_corpus import CombinedCorpus, parse_recorded_parts
from poet_tui.config import load_run_config
from poet_tui.corpus import corpus_fingerprint, split_documents
from poet_tui.corpus_mixture import training_split, use_counts
from poet_tui.corpus_registry import resolve_corpus
from poet_tui.errors import PoetError
from poet_tui.overlap import measure, run_training_texts
from poet_tui.overlap.training_text import load_or_build_for_run
from poet_tui.train import prepare_data, resume, train
from tests.helpers import events_of, full_length_samples, tiny_config, write_tiny_corpus

OTHER_WORDS = ("zephyr", "quartz", "glacier", "ember", "willow", "cobalt", "marrow", "lantern", "thistle", "obsidian")


def write_long_poems(path: Path, count: int = 30, seed: int = 11) -> Path:
    """Poems twice as long as the tiny corpus's, in words it never uses: a part unlike the other one."""
    rng = random.Random(seed)
    poems = []
    for _ in range(count):
        lines = [" ".join(rng.choice(OTHER_WORDS) for _ in range(rng.randint(5, 9))) for _ in range(rng.randint(8, 12))]
        poems.append("\n".join(lines))
    path.write_text("\n\n\n".join(poems) + "\n", encoding="utf-8")
    return path


def register(*arguments: str) -> None:
    assert main(["corpora", *arguments]) == 0


@pytest.fixture
def mix(tmp_path: Path) -> CombinedCorpus:
    """`mix` = `short:3 long:1`: the short part (40 poems) is read about twice an epoch, the long one in part."""
    register("add", str(write_tiny_corpus(tmp_path / "short.txt")), "--name", "short")
    register("add", str(write_long_poems(tmp_path / "long.txt")), "--name", "long")
    register("combine", "mix", "--from", "short:3", "long:1")
    corpus = resolve_corpus("mix")
    assert isinstance(corpus, CombinedCorpus)
    return corpus


def test_an_epoch_gives_each_part_its_share_of_the_text_within_half_its_longest_poem(mix: CombinedCorpus) -> None:
    split = training_split(mix, 0.1, seed=3)
    total = sum(sum(plan.sizes) for plan in split.plans)  # an epoch reads as much text as all parts hold
    for plan in split.plans:
        mine = {id(unit) for unit in plan.units}
        drawn = [document for document in split.train if id(document) in mine]
        characters = sum(len(document.text) + 1 for document in drawn)
        target = total * plan.part.share  # shares 0.75 and 0.25 sum to one
        assert abs(characters - target) <= max(plan.sizes) / 2, plan.part.name
        assert sum(plan.uses) == len(drawn)
    short, long = split.plans
    assert min(short.uses) >= 1 and max(short.uses) >= 2  # read whole at least once, some poems twice
    assert 0 in long.uses and max(long.uses) == 1  # a seeded subset, never repeated
    assert split.train == training_split(mix, 0.1, seed=3).train  # the same epoch for the same seed
    assert split.train != training_split(mix, 0.1, seed=4).train


def test_use_counts_land_within_half_the_longest_document_and_read_at_least_one() -> None:
    sizes = [10, 30, 7, 55, 21]
    for target in (0.0, 3.0, 60.0, 123.0, 124.0, 500.0, 1234.5):
        uses = use_counts(sizes, target, random.Random(1))
        drawn = sum(size * count for size, count in zip(sizes, uses, strict=True))
        assert abs(drawn - target) <= max(sizes) / 2 or (sum(uses) == 1 and drawn <= max(sizes))
        assert sum(uses) >= 1
        whole = int(target // sum(sizes))
        assert min(uses) >= whole and max(uses) <= whole + 1


def test_validation_is_each_parts_own_held_out_poems_and_never_trained_on(mix: CombinedCorpus, tmp_path: Path) -> None:
    split = training_split(mix, 0.1, seed=3)
    expected = [doc for part in mix.parts for doc in split_documents(part.documents, 0.1, 3).validation]
    assert split.validation == expected  # 4 of the short poems and 3 of the long ones, fixed by the seed
    assert len(split.validation) == 7
    # the same poems in two parts, split differently: a poem held back by one is not trained on from the other
    reversed_copy = tmp_path / "reversed.txt"
    reversed_copy.write_text("\n\n\n".join(reversed([doc.text for doc in mix.parts[0].documents])), encoding="utf-8")
    register("add", str(reversed_copy), "--name", "again")
    register("combine", "twice", "--from", "short", "again")
    twice = resolve_corpus("twice")
    split = training_split(twice, 0.1, seed=3)
    held_back = {doc.text for doc in split.validation}
    assert len(held_back) > 4  # the two parts held back different poems
    assert not held_back & {doc.text for doc in split.train}
    assert not held_back & {doc.text for doc in split.vocabulary}


def test_the_tokenizer_learns_every_parts_words_however_light_the_part(tmp_path: Path) -> None:
    register("add", str(write_tiny_corpus(tmp_path / "short.txt")), "--name", "short")
    register("add", str(write_long_poems(tmp_path / "long.txt")), "--name", "long")
    register("combine", "light", "--from", "short:1000000", "long:0.000001")
    corpus = resolve_corpus("light")
    data = prepare_data(tiny_config("light", kind="word"), corpus)
    assert data.tokenizer.unknown_symbols(" ".join(OTHER_WORDS)) == []


def decoded_documents(data: object) -> list[str]:
    """The training stream of a char run cut back into the documents it holds."""
    tokenizer = data.tokenizer  # type: ignore[attr-defined]
    ids = data.train_stream.tolist()  # type: ignore[attr-defined]
    end = tokenizer.end_of_document_id
    texts, current = [], []
    for token in ids[1:]:
        if token == end:
            texts.append(tokenizer.decode(current))
            current = []
        else:
            current.append(token)
    return texts


def test_a_run_trains_on_the_drawn_epoch_records_its_parts_and_novelty_reads_the_same_text(
    mix: CombinedCorpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full_length_samples(monkeypatch)
    run, reason = train(tiny_config("mix", max_steps=4, eval_every_steps=2))
    assert reason == "max_steps" and run.id.endswith("-mix-char")
    config = load_run_config(run.config_path)
    assert config.corpus == "mix" and config.corpus_parts == "short:0.75 long:0.25"
    assert [
        fingerprint for _, _, fingerprint in parse_recorded_parts(config.corpus_parts, config.corpus_part_fingerprints)
    ] == [corpus_fingerprint(part.corpus) for part in mix.parts]
    split = training_split(mix, config.training.validation_fraction, config.seed)
    data = prepare_data(config, mix)
    assert decoded_documents(data) == [doc.text for doc in split.train]  # the stream is the drawn epoch
    assert events_of(run, "start")[0]["train_tokens"] == data.train_stream.numel()
    assert all("novelty" in event for event in events_of(run, "eval"))  # the index was built while training

    # forgetting and redefining the combination leaves the run's own record in charge
    register("rm", "mix")
    register("combine", "mix", "--from", "short:1", "long:5")
    texts = run_training_texts(run)
    assert texts == split.indexed_texts()
    drawn = {doc.text for doc in split.train}
    assert {text.text for text in texts} == drawn  # exactly the poems the epoch reads, each once
    assert {text.title for text in texts} == {"short", "long"}  # untitled poems: a copy's source names its part
    index = load_or_build_for_run(run)
    a_long_poem = next(doc.text for doc in split.train if doc in mix.parts[1].documents)
    copied = measure(index, a_long_poem)
    assert copied.novelty == 0 and copied.spans[0].source.title == "long"
    assert copied.spans[0].source.document >= mix.parts[1].start  # numbered as in the combined corpus
    # a poem of the long part this epoch never reads is not in the index (its words are the long part's own)
    left_out = [text for text in (doc.text for doc in mix.parts[1].documents) if text not in drawn]
    assert left_out and all(text not in {item.text for item in texts} for text in left_out)


def test_a_resume_is_exact_even_after_the_combination_is_redefined(mix: CombinedCorpus) -> None:
    def losses(run: object) -> dict[int, float]:
        return {event["step"]: event["loss"] for event in events_of(run, "step")}

    straight, _ = train(tiny_config("mix", max_steps=8, eval_every_steps=4, log_every_steps=1))
    steps: list[int] = []
    interrupted, reason = train(
        tiny_config("mix", max_steps=8, eval_every_steps=4, log_every_steps=1),
        lambda event: steps.append(event["step"]) if event["event"] == "step" else None,
        lambda: len(steps) >= 3,
    )
    assert reason == "stopped"
    register("combine", "mix", "--from", "short:1", "long:9", "--replace")  # another mixture under its name
    assert resume(interrupted) == "max_steps"
    assert losses(interrupted) == losses(straight) and len(losses(straight)) == 8


def test_a_changed_or_forgotten_part_stops_resume_and_novelty_in_one_sentence(
    mix: CombinedCorpus, tmp_path: Path
) -> None:
    run, _ = train(tiny_config("mix", max_steps=2, eval_every_steps=2))
    changed = shutil.copy(tmp_path / "short.txt", tmp_path / "short-changed.txt")
    with open(changed, "a", encoding="utf-8") as file:
        file.write("\n\n\nOne more poem\nat the end\n")
    register("add", str(changed), "--name", "short", "--replace")
    with pytest.raises(PoetError, match=rf"part 'short' of the combined corpus 'mix' has changed since run {run.id}"):
        resume(run, budget_overrides={"max_steps": 4})
    with pytest.raises(PoetError, match=r"has changed since .* novelty can only be measured against it"):
        run_training_texts(run)
    register("rm", "short")
    with pytest.raises(PoetError, match=r"part 'short' of the combined corpus 'mix' that run .* is not registered"):
        run_training_texts(run)
