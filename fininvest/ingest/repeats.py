"""Which key hashes of a file occur more than once, found chunk by chunk as the file is read.

Each chunk's 64-bit key hashes are marked in a bitmap as they arrive (a numba kernel, run
while the previous chunk is being written); a hash whose bit was already set is a
*candidate*: a repeat, or another hash sharing the bit. Only the candidates are checked
exactly once the file is read, so the check left after the last chunk is small, instead of
one hash table over all the file's keys (``n_unique`` of 10M hashes: 0.2 s on the critical
path, docs/performance.md).

No repeat is ever missed: the second occurrence of a hash finds its own bit set. The slow,
obviously correct reference is a count of every hash (``tests/test_repeats.py``).
"""

from __future__ import annotations

import numpy as np
import polars as pl
from numba import njit

HASH_SCHEMA = {"h": pl.UInt64, "record_no": pl.Int64, "source_line": pl.Int64}


@njit(cache=True, nogil=True)
def _mark(  # pragma: no cover - compiled
    bits: np.ndarray, h: np.ndarray, shift: int, mask: int
) -> np.ndarray:
    # sets the bit of each hash ((h >> shift) & mask); True where it was already set
    seen = np.zeros(h.shape[0], np.bool_)
    for i in range(h.shape[0]):
        k = (h[i] >> np.uint64(shift)) & np.uint64(mask)
        word = k >> np.uint64(6)
        bit = np.uint64(1) << (k & np.uint64(63))
        if bits[word] & bit:
            seen[i] = True
        else:
            bits[word] |= bit
    return seen


@njit(cache=True, nogil=True)
def _marked(
    bits: np.ndarray, h: np.ndarray, shift: int, mask: int
) -> np.ndarray:  # pragma: no cover
    # True where the bit of the hash ((h >> shift) & mask) is set
    out = np.empty(h.shape[0], np.bool_)
    for i in range(h.shape[0]):
        k = (h[i] >> np.uint64(shift)) & np.uint64(mask)
        out[i] = (bits[k >> np.uint64(6)] >> (k & np.uint64(63))) & np.uint64(1)
    return out


def _bitmap(bits_log2: int, top: bool) -> tuple[np.ndarray, int, int]:
    """A zeroed bitmap of 2^bits_log2 bits (at least 64), and the shift and mask that map a
    64-bit hash to one of its bits: its top bits, or (``top=False``) its bottom bits."""
    bits_log2 = max(bits_log2, 6)
    mask = (1 << bits_log2) - 1
    return np.zeros(1 << (bits_log2 - 6), np.uint64), (64 - bits_log2 if top else 0), mask


#: log2 of the bits in the candidates' bitmap (2 MB; 10M rows give ~190k candidates, which
#: set about one bit in a hundred), and the most candidates it takes before the exact check
#: looks at every row instead
CANDIDATE_BITS_LOG2 = 24
MAX_CANDIDATES = 1 << 18


class RepeatedKeys:
    """Collects a file's key hashes chunk by chunk and tells which occur more than once.

    Parameters
    ----------
    bits_log2 : log2 of the bitmap's size in bits (default 2^28 bits = 32 MB). With n hashes,
        about n² / 2^(bits_log2 + 1) candidates are checked exactly (10M hashes: ~190k).

    Examples
    --------
    >>> import polars as pl
    >>> seen = RepeatedKeys(bits_log2=10)
    >>> seen.add(pl.DataFrame({"h": [5, 7], "record_no": [1, 2], "source_line": [2, 3]},
    ...                       schema=HASH_SCHEMA))
    >>> seen.add(pl.DataFrame({"h": [5], "record_no": [3], "source_line": [4]}, schema=HASH_SCHEMA))
    >>> all_hashes, repeated = seen.result()
    >>> repeated["record_no"].to_list()
    [1, 3]

    Notes
    -----
    :meth:`add` is O(chunk) with one random access per hash into the bitmap; :meth:`result`
    is O(n) for the concatenation (no copy) and a semi-join of the hashes against the
    candidates.
    """

    def __init__(self, bits_log2: int = 28) -> None:
        self.bits_log2 = bits_log2
        self._bits: np.ndarray | None = None  # allocated with the first hash
        #: the hashes of each chunk, in the order added
        self.parts: list[pl.DataFrame] = []
        self._candidates: list[np.ndarray] = []
        self._shift = self._mask = 0

    def add(self, hashes: pl.DataFrame) -> None:
        """Mark one chunk's hashes (columns ``h``, ``record_no``, ``source_line``)."""
        self.parts.append(hashes)
        if hashes.height == 0:
            return
        if self._bits is None:
            self._bits, self._shift, self._mask = _bitmap(self.bits_log2, top=True)
        h = hashes["h"].to_numpy()
        seen = _mark(self._bits, h, self._shift, self._mask)
        if seen.any():
            self._candidates.append(h[seen])

    def result(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        """(every hash added, the rows of those that occur more than once).

        The candidates' own bits go into a small second bitmap; the rows whose hash has its
        bit set there (every occurrence of every candidate, and a few others) are the only
        ones compared exactly."""
        every = pl.concat(self.parts) if self.parts else pl.DataFrame(schema=HASH_SCHEMA)
        self._bits = None
        if not self._candidates:
            return every, every.clear()
        candidates = np.concatenate(self._candidates)
        if candidates.shape[0] > MAX_CANDIDATES:  # a bitmap too small for the file
            rows = every
        else:  # the bottom bits: a candidate and the hash that set its top bit part here
            bits, shift, mask = _bitmap(CANDIDATE_BITS_LOG2, top=False)
            _mark(bits, candidates, shift, mask)
            rows = pl.concat(
                [
                    part.filter(pl.Series(_marked(bits, part["h"].to_numpy(), shift, mask)))
                    for part in self.parts
                ]
            )
        if rows["h"].n_unique() == rows.height:  # the usual answer, ~6x cheaper
            return every, every.clear()
        return every, rows.filter(pl.col("h").is_duplicated())
