"""How long the overlap index takes to build, how much memory, and how long the per-character check takes.

Not a test (timings depend on the machine): `python benchmarks/overlap_index.py [--corpus FILE] [--copies N]`.
The corpus (default: Tiny Shakespeare) is repeated N times (default 9, about 10 MB) and cut into documents at
blank lines (its speeches), as a corpus of many short poems would be. The build runs in a child process, so its
peak resident memory (ru_maxrss) is the build's own: the figure reported is that peak minus the resident size
just before the build (documents already in memory), against the corpus's size in UTF-8 bytes.

The per-character check is timed by feeding outputs one character at a time, as a stream arrives, over:
- markov: an order-6 character Markov chain of the original text, which writes like a small char model (mostly
  short matches, broken every few characters);
- copy: a passage of the corpus itself (one long match);
- words: the corpus's words (for Chinese, its verses) in random order (matches broken at most joins);
- random: characters drawn uniformly from its alphabet (a failure nearly every character).
`--cjk` builds the same way over a Chinese corpus made of the bundled tang300 and song100 repeated to the size.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import os
import random
import re
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DEFAULT_CORPUS = "/work/shared/data/tinyshakespeare.txt"
MARKOV_ORDER = 6


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def corpus_text(arguments: argparse.Namespace) -> str:
    if arguments.cjk:
        from poet_tui.corpus_registry import resolve_corpus

        poems = [doc.text for name in ("tang300", "song100") for doc in resolve_corpus(name).documents]
        base = "\n\n".join(poems)
        copies = max(1, round(arguments.megabytes * 2**20 / len(base.encode("utf-8"))))
        return "\n\n".join([base] * copies)
    base = Path(arguments.corpus).read_text(encoding="utf-8")
    return "\n\n".join([base] * arguments.copies)


def documents_of(text: str) -> list[Any]:
    from poet_tui.corpus import Document

    return [Document(part) for part in text.split("\n\n") if part.strip()]


def build_in_child(arguments: argparse.Namespace, home: str, queue: Any) -> None:
    """Runs in a fresh process: read, cut, then build and save, measuring only the build's memory."""
    os.environ["POET_HOME"] = home
    from poet_tui.overlap import cache, whole_documents
    from poet_tui.overlap.index import OverlapIndex

    text = corpus_text(arguments)
    corpus_bytes = len(text.encode("utf-8"))
    texts = whole_documents(documents_of(text))
    del text
    gc.collect()
    before = resident_bytes()
    started = time.perf_counter()
    index = OverlapIndex.build(texts)
    built = time.perf_counter()
    peak_build = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    key = cache.texts_key(texts)
    cache.save_index(index, cache.indexes_dir() / key, key)
    saved = time.perf_counter()
    peak_all = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    queue.put(
        {
            "corpus_bytes": corpus_bytes,
            "characters": index.size,
            "documents": index.texts,
            "alphabet": len(index.arrays.alphabet),
            "build_s": built - started,
            "save_s": saved - built,
            "peak_extra_bytes_build": peak_build - before,
            "peak_extra_bytes_build_and_save": peak_all - before,
            "key": key,
        }
    )


def markov_text(source: str, length: int, rng: random.Random) -> str:
    following: dict[str, list[str]] = {}
    for position in range(len(source) - MARKOV_ORDER):
        following.setdefault(source[position : position + MARKOV_ORDER], []).append(source[position + MARKOV_ORDER])
    context = source[:MARKOV_ORDER]
    produced = [context]
    for _ in range(length - MARKOV_ORDER):
        choices = following.get(context)
        character = rng.choice(choices) if choices else rng.choice(source)
        produced.append(character)
        context = (context + character)[-MARKOV_ORDER:]
    return "".join(produced)


def outputs(text: str, length: int, seed: int, cjk: bool) -> dict[str, str]:
    rng = random.Random(seed)
    source = text[: 2**20]
    start = rng.randrange(len(text) - length)
    words = re.findall(r"\w+|[^\w\s]", source)  # English words; a Chinese verse is one \w+ run
    shuffled = ("" if cjk else " ").join(rng.choice(words) for _ in range(length))[:length]
    alphabet = sorted(set(source))
    return {
        "markov": markov_text(source, length, rng),
        "copy": text[start : start + length],
        "words": shuffled,
        "random": "".join(rng.choice(alphabet) for _ in range(length)),
    }


def time_matching(index: Any, output: str) -> dict[str, float]:
    from poet_tui.overlap import DEFAULT_MIN_COPY, copied_spans, novelty

    matcher = index.matcher()
    started = time.perf_counter()
    for character in output:
        matcher.feed(character)
    elapsed = time.perf_counter() - started
    spans = copied_spans(matcher.matches, DEFAULT_MIN_COPY)
    return {
        "us_per_char": 1e6 * elapsed / len(output),
        "mean_match": statistics.fmean(match.length for match in matcher.matches),
        "spans": len(spans),
        "novelty": novelty(len(output), spans),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=DEFAULT_CORPUS)
    parser.add_argument("--copies", type=int, default=9)
    parser.add_argument("--cjk", action="store_true")
    parser.add_argument("--megabytes", type=float, default=10.0, help="size of the --cjk corpus")
    parser.add_argument("--length", type=int, default=20_000, help="characters of each output")
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        queue: Any = multiprocessing.get_context("spawn").Queue()
        child = multiprocessing.get_context("spawn").Process(target=build_in_child, args=(arguments, home, queue))
        child.start()
        figures = queue.get()
        child.join()
        size = figures["corpus_bytes"]
        print(f"corpus: {size / 2**20:.1f} MiB, {figures['characters']:,} characters, "
              f"{figures['documents']:,} documents, alphabet {figures['alphabet']:,}")  # fmt: skip
        print(f"build: {figures['build_s']:.1f} s, then save {figures['save_s']:.1f} s")
        for kind in ("build", "build_and_save"):
            extra = figures[f"peak_extra_bytes_{kind}"]
            print(f"peak memory beyond the documents ({kind.replace('_', ' ')}): {extra / 2**20:.0f} MiB = "
                  f"{extra / size:.1f}x the corpus")  # fmt: skip
        os.environ["POET_HOME"] = home
        from poet_tui.overlap import cache

        started = time.perf_counter()
        index = cache.read_index(cache.indexes_dir() / figures["key"], figures["key"])
        print(f"load (read back and checked): {time.perf_counter() - started:.2f} s")
        assert index is not None
        text = corpus_text(arguments)
        for kind, output in outputs(text, arguments.length, seed=1, cjk=arguments.cjk).items():
            runs = [time_matching(index, output) for _ in range(arguments.runs)]
            best = min(run["us_per_char"] for run in runs)
            median = statistics.median(run["us_per_char"] for run in runs)
            print(f"{kind:>7}: {median:6.1f} µs/char (median of {arguments.runs}; best {best:.1f}), mean match "
                  f"{runs[0]['mean_match']:.1f} characters, {runs[0]['spans']} spans ≥ 12, novelty "
                  f"{runs[0]['novelty']:.0%}")  # fmt: skip
        sys.stdout.flush()


if __name__ == "__main__":
    main()
