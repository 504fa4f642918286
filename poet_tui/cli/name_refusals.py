"""The registry's refusals of a corpus name, said with the flags that get past them (`add`, `combine` and
`gutenberg add` share them)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from poet_tui.corpus_registration import BundledCorpusName, CorpusNameTaken
from poet_tui.errors import PoetError


@contextmanager
def name_refusals_with_flags(name_flag: str | None = "--name") -> Iterator[None]:
    """`name_flag`: the option that names the corpus, or None where the name is an argument."""
    other = f"pick another name with {name_flag}" if name_flag else "pick another name"
    try:
        yield
    except CorpusNameTaken as error:
        raise PoetError(
            f"a corpus named '{error.registered.name}' is already registered ({error.registered.where}); add "
            f"--replace to replace it, or {other}."
        ) from None
    except BundledCorpusName as error:
        raise PoetError(
            f"'{error.name}' is a bundled corpus, and bundled corpora cannot be replaced; {other}."
        ) from None
