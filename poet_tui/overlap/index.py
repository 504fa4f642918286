"""The overlap index: which text of a corpus a piece of output copies, and where it comes from.

The texts are laid end to end with a separator code between them, T = text₀ ␟ text₁ ␟ … (each character its
rank in the corpus's alphabet of code points, so CJK costs the same as ASCII), and the index is an FM index of T
*reversed* (R). A backward search step on R prepends a character to a pattern of R, which appends it to the
pattern read in T: feeding the output left to right extends the match to the right, one step per character.
The separator is in no output, so a match never crosses from one text into the next.

- the suffix array of R comes from libdivsufsort (pydivsufsort; C, about a second for 10 MB);
- `bwt_positions` holds the rows of the Burrows-Wheeler transform grouped by character, rows ascending within
  each group (`char_starts[c]` is where character c's group begins), so occ(c, row) is one binary search in
  the group: any alphabet size, 4 bytes a character;
- the suffix array is kept whole (4 bytes a character) to locate one occurrence of a match, and the text and
  line starts turn that position into a text, a line and an offset.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from poet_tui.corpus_formats import Document

if TYPE_CHECKING:
    from poet_tui.overlap.matcher import Matcher

SEPARATOR = 0  # the code between texts; characters are 1..alphabet size
CHUNK = 1 << 18  # characters (or rows) handled at once while building: bounds the temporary arrays
UNICODE_SIZE = 0x110000


@dataclass(frozen=True)
class IndexedText:
    """A text the index holds, and where it sits in the corpus: the document's number (its position in the
    corpus's document list), its title and author, and where in that document the text starts (a run's
    validation cut can leave only the start of a document)."""

    text: str
    number: int
    title: str = ""
    author: str = ""
    offset: int = 0  # the character of the document this text starts at
    first_line: int = 1  # the document's line number at that character


def whole_documents(documents: Sequence[Document]) -> list[IndexedText]:
    return [IndexedText(doc.text, number, doc.title, doc.author) for number, doc in enumerate(documents)]


@dataclass(frozen=True, slots=True)
class Source:
    """One place a copied text occurs: document number (0-based, in the corpus), line (1-based) and character
    offset within that document, and the document's title and author ("" when the corpus has none)."""

    document: int
    line: int
    offset: int
    title: str
    author: str


@dataclass
class IndexArrays:
    """Everything an index is, as flat arrays (what the cache writes and reads back)."""

    alphabet: np.ndarray  # uint32 code points, sorted; character code = position + 1
    char_starts: np.ndarray  # int64, alphabet size + 2: start of each code's group in bwt_positions
    bwt_positions: np.ndarray  # int32, one per character of R: the BWT rows, grouped by the row's character
    suffix_array: np.ndarray  # int32, one per character of R
    text_starts: np.ndarray  # int64, where each text starts in T
    line_starts: np.ndarray  # int64, where each line starts in T (every text start included), ascending
    numbers: np.ndarray  # int64, each text's document number
    offsets: np.ndarray  # int64, each text's offset in its document
    first_lines: np.ndarray  # int64, each text's first line number in its document

    @property
    def characters(self) -> int:
        """The length of T: every character of the texts plus one separator between consecutive texts."""
        return len(self.suffix_array)


class OverlapIndex:
    """Built once per corpus (or per run's training text); `matcher()` then answers for each character of an
    output the longest copied text ending there, and where one occurrence of it is."""

    def __init__(self, arrays: IndexArrays, titles: Sequence[str], authors: Sequence[str]) -> None:
        self.arrays = arrays
        self.titles = list(titles)
        self.authors = list(authors)
        self.size = arrays.characters
        self.code_of = {chr(point): code for code, point in enumerate(arrays.alphabet.tolist(), start=1)}
        self.char_starts: list[int] = arrays.char_starts.tolist()
        # memoryviews: bisect reads them without making numpy scalars, about three times faster per probe
        self.bwt_positions = integer_view(arrays.bwt_positions)
        self.suffix_array = integer_view(arrays.suffix_array)
        self.text_starts = integer_view(arrays.text_starts)
        self.line_starts = integer_view(arrays.line_starts)
        self.numbers: list[int] = arrays.numbers.tolist()
        self.offsets: list[int] = arrays.offsets.tolist()
        self.first_lines: list[int] = arrays.first_lines.tolist()
        self.first_line_index = [bisect_left(self.line_starts, start) for start in arrays.text_starts.tolist()]

    @classmethod
    def build(cls, texts: Sequence[IndexedText]) -> OverlapIndex:
        """About a second per 10 MB of text (benchmarks/RESULTS.md): an interface builds it in a worker, and
        usually through cache.load_or_build, which reads it back instead when it can."""
        return cls(build_arrays(texts), [text.title for text in texts], [text.author for text in texts])

    @property
    def texts(self) -> int:
        return len(self.numbers)

    def matcher(self) -> Matcher:
        from poet_tui.overlap.matcher import Matcher

        return Matcher(self)

    def rows(self) -> int:
        """Rows of the BWT: one per suffix of R, plus the empty suffix (row 0)."""
        return self.size + 1

    def extend(self, code: int, low: int, high: int) -> tuple[int, int]:
        """One backward step: the rows of `code` + pattern from the rows [low, high) of the pattern."""
        group_start, group_end = self.char_starts[code], self.char_starts[code + 1]
        positions = self.bwt_positions
        return (
            bisect_left(positions, low, group_start, group_end) + 1,
            bisect_left(positions, high, group_start, group_end) + 1,
        )

    def locate(self, row: int, length: int) -> Source:
        """Where the match whose first row is `row` (≥ 1) and whose length is `length` occurs in the corpus."""
        start = self.size - self.suffix_array[row - 1] - length
        start = min(max(start, 0), max(self.size - 1, 0))  # only a forged cache could push it outside
        text = max(bisect_right(self.text_starts, start) - 1, 0)
        line_in_text = bisect_right(self.line_starts, start) - 1 - self.first_line_index[text]
        return Source(
            document=self.numbers[text],
            line=self.first_lines[text] + line_in_text,
            offset=self.offsets[text] + start - self.text_starts[text],
            title=self.titles[text],
            author=self.authors[text],
        )


def integer_view(array: np.ndarray) -> memoryview:
    """A memoryview of native ints, whatever byte order the array was read or sorted in ('<i' is one bisect
    cannot index)."""
    native = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("="))
    return native.data.cast("B").cast("i" if native.itemsize == 4 else "q")


def build_arrays(texts: Sequence[IndexedText]) -> IndexArrays:
    """The FM index of the texts' concatenation, reversed; temporaries stay a few MB beyond the result."""
    lengths = np.array([len(item.text) for item in texts], dtype=np.int64)
    text_starts = np.concatenate(([0], np.cumsum(lengths + 1)[:-1])).astype(np.int64) if len(texts) else lengths
    size = int(lengths.sum()) + max(len(texts) - 1, 0)
    alphabet = alphabet_of(texts, text_starts)
    rank = np.zeros(UNICODE_SIZE, dtype=np.uint32)
    rank[alphabet] = np.arange(1, len(alphabet) + 1, dtype=np.uint32)
    codes = np.zeros(size, dtype=code_dtype(len(alphabet)))  # zero: the separators
    for start, piece, joins in text_pieces(texts, text_starts):
        piece_codes = rank[code_points(piece)]
        piece_codes[joins] = SEPARATOR
        codes[size - start - len(piece_codes) : size - start] = piece_codes[::-1]
    suffixes = suffix_array(codes)
    char_starts, bwt_positions = grouped_bwt(codes, suffixes, len(alphabet))
    line_starts = text_starts
    newline_code = int(rank[ord("\n")])
    if newline_code:
        after_newlines = size - np.flatnonzero(codes == newline_code).astype(np.int64)
        line_starts = np.union1d(text_starts, after_newlines)
    return IndexArrays(
        alphabet=alphabet,
        char_starts=char_starts,
        bwt_positions=bwt_positions,
        suffix_array=suffixes,
        text_starts=text_starts,
        line_starts=np.asarray(line_starts, dtype=np.int64),
        numbers=np.array([item.number for item in texts], dtype=np.int64),
        offsets=np.array([item.offset for item in texts], dtype=np.int64),
        first_lines=np.array([item.first_line for item in texts], dtype=np.int64),
    )


def code_dtype(alphabet_size: int) -> type[np.unsignedinteger]:
    if alphabet_size < 2**8:
        return np.uint8
    return np.uint16 if alphabet_size < 2**16 else np.uint32


def code_points(text: str) -> np.ndarray:
    # surrogatepass: a lone surrogate (never in a decoded file, but possible in a str) is a character too
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")


def text_pieces(texts: Sequence[IndexedText], text_starts: np.ndarray) -> Iterator[tuple[int, str, list[int]]]:
    """T in pieces of about CHUNK characters: (where the piece starts in T, its text, the positions in it that
    are separators). Short texts are joined into one piece (a NUL stands in for each separator), so a corpus
    of 100,000 short poems costs a few hundred numpy calls rather than 100,000."""
    batch: list[str] = []
    joins: list[int] = []
    batch_start = batch_size = 0
    for number, item in enumerate(texts):
        text, start = item.text, int(text_starts[number])
        if len(text) > CHUNK:
            if batch:
                yield batch_start, "\x00".join(batch), joins
                batch, joins, batch_size = [], [], 0
            for offset in range(0, len(text), CHUNK):
                yield start + offset, text[offset : offset + CHUNK], []
            continue
        if batch:
            joins.append(batch_size)
            batch_size += 1
        else:
            batch_start = start
        batch.append(text)
        batch_size += len(text)
        if batch_size >= CHUNK:
            yield batch_start, "\x00".join(batch), joins
            batch, joins, batch_size = [], [], 0
    if batch:
        yield batch_start, "\x00".join(batch), joins


def alphabet_of(texts: Sequence[IndexedText], text_starts: np.ndarray) -> np.ndarray:
    """The code points the texts use, sorted (the NULs that stand in for separators left out)."""
    seen = np.zeros(UNICODE_SIZE, dtype=bool)
    for _, piece, joins in text_pieces(texts, text_starts):
        points = code_points(piece)
        if joins:
            keep = np.ones(len(points), dtype=bool)
            keep[joins] = False
            points = points[keep]
        seen[points] = True
    return np.flatnonzero(seen).astype(np.uint32)


def suffix_array(codes: np.ndarray) -> np.ndarray:
    """libdivsufsort's suffix array (int32) of a code array of any width.

    Wider codes are sorted as big-endian bytes, which orders them like the codes; the suffixes that start
    inside a code are then dropped in place, chunk by chunk (pydivsufsort's own way allocates several arrays of
    that size at once)."""
    from pydivsufsort import divsufsort

    if len(codes) == 0:
        return np.zeros(0, dtype=np.int32)
    if codes.dtype == np.uint8:
        return np.asarray(divsufsort(codes), dtype=np.int32)
    width = codes.dtype.itemsize
    big_endian = codes.astype(f">u{width}")
    every_byte = divsufsort(big_endian.view(np.uint8))
    del big_endian
    kept = 0
    for start in range(0, len(every_byte), CHUNK):
        block = every_byte[start : start + CHUNK]
        whole = block[block % width == 0] // width
        every_byte[kept : kept + len(whole)] = whole
        kept += len(whole)
    return np.array(every_byte[:kept], dtype=np.int32)


def grouped_bwt(codes: np.ndarray, suffixes: np.ndarray, alphabet_size: int) -> tuple[np.ndarray, np.ndarray]:
    """The BWT of R as rows grouped by character (a counting sort, CHUNK rows at a time).

    Row 0 is the empty suffix (its character is R's last); row r ≥ 1 is suffix suffixes[r-1], whose character
    is the one before it, none for the suffix that is all of R."""
    size = len(codes)
    symbols = alphabet_size + 1
    counts = np.zeros(symbols, dtype=np.int64)
    for start in range(0, size, CHUNK):
        counts += np.bincount(codes[start : start + CHUNK], minlength=symbols)
    char_starts = np.zeros(symbols + 1, dtype=np.int64)
    np.cumsum(counts, out=char_starts[1:])
    positions = np.empty(size, dtype=np.int32)
    write_at = char_starts[:-1].copy()
    for start in range(0, size + 1 if size else 0, CHUNK):
        end = min(size + 1, start + CHUNK)
        before = np.empty(end - start, dtype=np.int64)
        if start == 0:
            before[0] = size - 1
            before[1:] = suffixes[: end - 1]
            before[1:] -= 1
        else:
            before[:] = suffixes[start - 1 : end - 1]
            before -= 1
        has_character = before >= 0
        rows = np.arange(start, end, dtype=np.int64)[has_character]
        characters = codes[before[has_character]]
        order = np.argsort(characters, kind="stable")
        characters, rows = characters[order], rows[order]
        chunk_counts = np.bincount(characters, minlength=symbols)
        chunk_group_starts = np.cumsum(chunk_counts) - chunk_counts
        rank_in_group = np.arange(len(rows), dtype=np.int64) - chunk_group_starts[characters]
        positions[write_at[characters] + rank_in_group] = rows
        write_at += chunk_counts
    return char_starts, positions
