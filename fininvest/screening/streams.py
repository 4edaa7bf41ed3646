"""Building the per-account event streams from transaction rows, in linear time.

Two numba kernels replace the generic path (string joins for the account codes, a doubled
event list, one packed-key sort of 2 × rows, seven gathers):

* :func:`dense_codes` — dense integer codes of an id column from two independent 64-bit hashes
  per value: the first hashes are numbered in one open-addressing table that stays in the
  last-level cache (up to 2**20 distinct values), or else partitioned by the first hash and
  each partition numbered in its own small table, in parallel; a pair of values whose first
  hashes agree while their second hashes differ is reported, and the column is then coded
  exactly instead;
* :func:`bucket_rows` — the rows' two sides (payer outflow, payee inflow) distributed into
  account segments in two cache-friendly passes (into ~1,024 buckets of accounts, then a
  counting sort per bucket), visiting rows in time order and, within one second, inflows
  before outflows: the order :func:`fininvest.screening.events.order_events` defines, in O(n)
  after one sort of the row times (skipped when they are already ascending, as exports
  usually are).

Both are checked against that generic path on random input in ``tests/test_streams.py``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
import polars as pl
from numba import njit, prange

from fininvest.formats.viewcodes import slot as _slot

#: second hash seed; any constant other than Polars' default gives an independent hash
_SEED2 = 0x9E3779B97F4A7C15 & 0x7FFFFFFF


@njit(cache=True, inline="always")
def _part(h: np.uint64, bits: int) -> int:  # pragma: no cover - compiled
    """The partition of a first hash: its top ``bits`` bits."""
    return 0 if bits == 0 else np.int64(h >> np.uint64(64 - bits))  # type: ignore[return-value]


@njit(cache=True, nogil=True)
def _run_starts(hist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
    """For a stable parallel scatter: ``hist[t, b]`` items of thread t go to bucket b. Returns
    where each (thread, bucket) run starts — buckets in order, threads in order within a
    bucket, so the scatter keeps the input order — and where each bucket starts (plus the
    total at the end)."""
    n_threads, n_buckets = hist.shape
    start = np.empty((n_threads, n_buckets), np.int64)
    bucket_start = np.empty(n_buckets + 1, np.int64)
    m = 0
    for b in range(n_buckets):
        bucket_start[b] = m
        for t in range(n_threads):
            start[t, b] = m
            m += hist[t, b]
    bucket_start[n_buckets] = m
    return start, bucket_start


@njit(cache=True, nogil=True)
def _local_codes(keys: np.ndarray, lc: np.ndarray) -> int:  # pragma: no cover - compiled
    """Number the distinct ``keys`` of one partition in order of appearance: ``lc[k]`` is
    2 × code, plus 1 where the key appears for the first time. Returns the distinct count.
    Open addressing, load factor under one half, the table doubling as it fills."""
    size = 16
    table = np.zeros(size, np.uint64)
    slot_code = np.full(size, -1, np.int64)
    used = 0
    for k in range(keys.shape[0]):
        key = keys[k]
        mask = size - 1
        s = np.int64(key & np.uint64(mask))
        while slot_code[s] >= 0 and table[s] != key:
            s = (s + 1) & mask
        if slot_code[s] >= 0:
            lc[k] = 2 * slot_code[s]
            continue
        table[s] = key
        slot_code[s] = used
        lc[k] = 2 * used + 1
        used += 1
        if used * 2 > size:  # rehash into twice the slots
            size *= 2
            mask = size - 1
            grown = np.zeros(size, np.uint64)
            grown_code = np.full(size, -1, np.int64)
            for j in range(table.shape[0]):
                if slot_code[j] >= 0:
                    t = np.int64(table[j] & np.uint64(mask))
                    while grown_code[t] >= 0:
                        t = (t + 1) & mask
                    grown[t] = table[j]
                    grown_code[t] = slot_code[j]
            table, slot_code = grown, grown_code
    return used


#: :func:`_table_codes` numbers up to 2**20 distinct values in one table of 2**21 slots
#: (12 bytes each, 24 MB: within the last-level cache of the baseline machine, 32 MB; on a host
#: with an 8 MB L3 it still beat the partitions, 0.38 against 0.49 s for 20M ids); past that,
#: the values are numbered in hash partitions (:func:`_number_hashes`)
_TABLE_BITS = 21


def _hash_codes(
    h1: np.ndarray, h2: np.ndarray, valid: np.ndarray, n_chunks: int
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Dense codes of the values behind the hashes (−1 where not valid), numbered in order of
    first appearance; a row of each code; and False if two values shared a first hash but
    not the second. Codes are int32 while they fit (half the memory)."""
    n = h1.shape[0]
    narrow = np.int32 if n < 1 << 30 else np.int64
    codes = np.empty(n, narrow)
    first, fits = _table_codes(h1, valid, codes, _TABLE_BITS)
    if not fits:
        first = _number_hashes(
            h1, valid, n_chunks, codes, np.empty(int(np.count_nonzero(valid)), narrow)
        )
    return codes, first, _agree(h2, valid, codes, first, n_chunks)


@njit(cache=True, nogil=True)
def _table_codes(
    h1: np.ndarray, valid: np.ndarray, codes: np.ndarray, max_bits: int
) -> tuple[np.ndarray, bool]:  # pragma: no cover - compiled
    """Number the first hashes in order of first appearance into ``codes`` (−1 where not
    valid) with one open-addressing table of at most ``2**max_bits`` slots (fewer for fewer
    rows: twice the rows, rounded up to a power of two); returns a row of each code, and False
    (the codes unfinished) when the distinct hashes would fill more than half the table.

    One pass on one core; while the table stays in the last-level cache this beats the
    partitioned numbering on two cores (20M account ids, 500k distinct: 0.27–0.30 s against
    0.32–0.44 s) and needs no scratch beyond the table (the partitions take 12 bytes a row).
    The table is sized once: a table that doubles as it fills ran 4× slower here (its arrays,
    reassigned in the loop, are reloaded on every row).
    """
    n = h1.shape[0]
    if max_bits == 0:  # no table: every column goes to the partitions
        return np.empty(0, np.int64), False
    bits = 1
    while bits < max_bits and (1 << bits) < 2 * n:
        bits += 1
    size = 1 << bits
    mask = size - 1
    table = np.zeros(size, np.uint64)
    slot_code = np.full(size, -1, np.int32)
    first = np.empty(size // 2, np.int64)
    used = 0
    for i in range(n):
        if not valid[i]:
            codes[i] = -1
            continue
        key = h1[i]
        s = _slot(key, bits)
        while slot_code[s] >= 0 and table[s] != key:
            s = (s + 1) & mask
        if slot_code[s] < 0:
            if used == size // 2:
                return first[:0], False
            table[s] = key
            slot_code[s] = used
            first[used] = i
            used += 1
        codes[i] = slot_code[s]
    return first[:used].copy(), True


@njit(cache=True, parallel=True, nogil=True)
def _agree(
    h2: np.ndarray, valid: np.ndarray, codes: np.ndarray, first: np.ndarray, n_chunks: int
) -> bool:  # pragma: no cover - compiled
    """Do all rows of each code agree on the second hash with the code's first row?"""
    n = h2.shape[0]
    n_chunks = max(1, min(n_chunks, n))
    second = np.empty(first.shape[0], np.uint64)
    for c in range(first.shape[0]):
        second[c] = h2[first[c]]
    same = np.ones(n_chunks, np.bool_)
    for c in prange(n_chunks):
        for i in range(n * c // n_chunks, n * (c + 1) // n_chunks):
            if valid[i] and h2[i] != second[codes[i]]:
                same[c] = False
                break
    return bool(same.all())


@njit(cache=True, parallel=True, nogil=True)
def _number_hashes(
    h1: np.ndarray,
    valid: np.ndarray,
    n_chunks: int,
    codes: np.ndarray,
    lc: np.ndarray,
) -> np.ndarray:  # pragma: no cover - compiled
    """Dense codes of the first hashes into ``codes`` (−1 where not valid), for more distinct
    values than :func:`_table_codes` holds; returns a row of each code. ``lc`` is scratch,
    one entry per valid row.

    The rows are first partitioned by the top bits of the first hash (stably, one chunk of
    rows for each of ``n_chunks`` threads), each partition is then numbered with its own small
    hash table (in parallel; one table for all 20M values would miss the cache on nearly every
    row), and the codes are written back by replaying the partitioning.
    """
    n = h1.shape[0]
    n_chunks = max(1, min(n_chunks, n))
    bits = 10 if n >= 1 << 16 else 0
    n_parts = 1 << bits
    cut = np.empty(n_chunks + 1, np.int64)
    for c in range(n_chunks + 1):
        cut[c] = n * c // n_chunks
    hist = np.zeros((n_chunks, n_parts), np.int64)
    for c in prange(n_chunks):
        for i in range(cut[c], cut[c + 1]):
            if valid[i]:
                hist[c, _part(h1[i], bits)] += 1
    start, part_start = _run_starts(hist)
    m = part_start[n_parts]
    keys = np.empty(m, np.uint64)
    for c in prange(n_chunks):
        pos = start[c].copy()
        for i in range(cut[c], cut[c + 1]):
            if valid[i]:
                p = _part(h1[i], bits)
                keys[pos[p]] = h1[i]
                pos[p] += 1
    distinct = np.zeros(n_parts + 1, np.int64)
    for p in prange(n_parts):
        lo, hi = part_start[p], part_start[p + 1]
        distinct[p + 1] = _local_codes(keys[lo:hi], lc[lo:hi])
    for p in range(n_parts):
        distinct[p + 1] += distinct[p]  # now the first code of each partition
    first = np.empty(distinct[n_parts], np.int64)
    for c in prange(n_chunks):  # replay the partitioning to put each code back on its row
        pos = start[c].copy()
        for i in range(cut[c], cut[c + 1]):
            if not valid[i]:
                codes[i] = -1
                continue
            p = _part(h1[i], bits)
            w = lc[pos[p]]
            pos[p] += 1
            codes[i] = distinct[p] + (w >> 1)
            if w & 1:
                first[codes[i]] = i
    return first


def dense_codes(values: pl.Series, *, narrow: bool = False) -> tuple[np.ndarray, list[str]]:
    """Dense codes of a text column, numbered in sorted order of the values.

    Parameters
    ----------
    values : a String (or Categorical) Series; nulls get code −1.
    narrow : codes in the narrowest signed type that holds them (:func:`room_for`: int8 for
        a dozen channels, int16 for the countries) instead of int32. For an ``Enum`` column
        they are made in that type from its physical codes, with no int32 array between
        (10M countries: 20 MB held on the way where the int32 path held 90 MB).

    Returns
    -------
    codes : int32 array (int64 past 2**31 distinct values), ``codes[i]`` is the position of
        ``values[i]`` in ``uniques``.
    uniques : the distinct non-null values, sorted; for an ``Enum`` column every declared
        category (sorted), present or not, read from its codes without hashing.

    Notes
    -----
    O(n) hashing with two independent 64-bit hashes; the exact path (sort the distinct values,
    join) runs instead when the first hashes of two different values collide, so the codes are
    always exact. About 4× faster than the join at 20M values. A ``Categorical`` column is
    coded from its physical codes instead (no string is hashed again). For a text column of
    few values read from Parquet (the city),
    :func:`~fininvest.screening.view_codes.dense_codes_from_views` is cheaper still.
    """
    if isinstance(values.dtype, pl.Enum):  # a declared vocabulary: its codes, re-numbered
        categories = values.dtype.categories
        phys = values.to_physical()  # uint8 for up to 256 categories
        if phys.null_count():  # the renumbering's last entry (−1) answers null
            phys = phys.fill_null(len(categories))
        return _in_sorted_order(phys.to_numpy(), categories, narrow)
    if isinstance(values.dtype, pl.Categorical):
        codes, uniques = _categorical_codes(values)
    else:
        s = values.cast(pl.String)
        h1, h2 = _two_hashes(s)
        valid = s.is_not_null().to_numpy()
        codes, first, ok = _hash_codes(h1, h2, valid, numba.get_num_threads())
        del h1, h2, valid
        codes, uniques = (
            _in_sorted_order(codes, s.gather(pl.Series(first))) if ok else _exact_codes(s)
        )
    return (codes.astype(room_for(len(uniques))) if narrow else codes), uniques


def room_for(n: int) -> np.dtype:
    """The narrowest signed integer type that holds −1 … n.

    >>> room_for(13), room_for(250), room_for(40_000)
    (dtype('int8'), dtype('int16'), dtype('int32'))
    """
    return np.min_scalar_type(-max(n, 1))


def _two_hashes(s: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """Both 64-bit hashes of every value, computed at the same time: each runs on one core
    and Polars releases the GIL, so two threads take about half the time (20M account ids:
    0.2–0.38 s one after the other, 0.08–0.18 s together)."""
    with ThreadPoolExecutor(2) as pool:
        second = pool.submit(lambda: s.hash(seed=_SEED2).to_numpy())
        return s.hash().to_numpy(), second.result()


def _categorical_codes(values: pl.Series) -> tuple[np.ndarray, list[str]]:
    """:func:`dense_codes` of a ``Categorical`` column: a lookup table over the physical
    codes gives each present one its rank among the present values in sorted order (the
    renumbering done on the table, not on the rows), then one gather per row."""
    present = values.drop_nulls().unique()
    phys = present.to_physical().to_numpy().astype(np.int64)
    none = int(phys.max(initial=-1)) + 1  # the lookup's last entry answers null
    lut = np.full(none + 1, -1, np.int32 if len(present) < 1 << 31 else np.int64)
    lut[phys] = np.arange(len(present))
    ranks, uniques = _in_sorted_order(lut, present.cast(pl.String))
    rows = values.to_physical().fill_null(none).to_numpy()
    return take(ranks, rows), uniques


def _in_sorted_order(
    codes: np.ndarray, values: pl.Series, narrow: bool = False
) -> tuple[np.ndarray, list[str]]:
    """Renumber ``codes`` (positions in ``values``; −1, or ``len(values)``, for null) so that
    they follow the sorted order of ``values``, as int32 or (``narrow``) the narrowest type;
    returns the new codes and the sorted values."""
    order = values.arg_sort().to_numpy()
    wide = np.int32 if order.shape[0] < 1 << 31 else np.int64
    rank = np.empty(order.shape[0] + 1, room_for(order.shape[0]) if narrow else wide)
    rank[order] = np.arange(order.shape[0])
    rank[-1] = -1  # code −1 (null) stays −1
    return take(rank, codes), values.gather(pl.Series(order)).to_list()


@njit(cache=True, parallel=True, nogil=True)
def take(values: np.ndarray, index: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """``values[index]`` on every core, for a large integer ``index`` (−1 reads the last
    entry of ``values``, as in numpy).

    numpy's fancy indexing runs on one core, and a per-event gather through the event order
    (17M events, rows in random order) took 0.15 s there; this one takes about a third of
    that. Used for renumbering codes, for a text column's codes in event order and for lookup
    tables over codes.

    >>> take(np.array([10, 20, 30]), np.array([2, -1, 0], np.int8)).tolist()
    [30, 30, 10]
    """
    out = np.empty(index.shape[0], values.dtype)
    for i in prange(index.shape[0]):
        out[i] = values[index[i]]
    return out


def _exact_codes(s: pl.Series) -> tuple[np.ndarray, list[str]]:
    uniques = s.drop_nulls().unique().sort()
    lut = pl.DataFrame({"v": uniques, "c": pl.int_range(len(uniques), eager=True)})
    codes = (
        s.to_frame("v")
        .join(lut, on="v", how="left", maintain_order="left")["c"]
        .fill_null(-1)
        .cast(pl.Int32 if len(uniques) < 1 << 31 else pl.Int64)
        .to_numpy()
    )
    return codes, uniques.to_list()


#: target number of account buckets in the first pass of :func:`bucket_rows` (each bucket's events
#: then fit in the core's cache for the second pass)
_BUCKETS = 1024
#: scratch records (32 bytes each) held at once while bucketing: 128 MB (the build's peak is
#: the scratch beside the finished event columns; 256 MB cost 30-60 MB more peak at 10M rows
#: for no gain in time, three alternating runs each)
_MAX_RECORDS = 1 << 22


@njit(cache=True, inline="always")
def _nth(order: np.ndarray, k: int) -> int:  # pragma: no cover - compiled
    """The k-th row in time order: ``order[k]``, or k itself when ``order`` is empty."""
    return k if order.shape[0] == 0 else order[k]


@njit(cache=True, parallel=True, nogil=True)
def _plan(
    order: np.ndarray,
    payer: np.ndarray,
    payee: np.ndarray,
    ts: np.ndarray,
    n_accounts: int,
    n_parts: int,
    max_records: int,
) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """The plan of :func:`bucket_rows`' two passes (``order``: the rows in time order, or
    empty when they already are).

    Returns ``shift`` (accounts ``a`` and ``a'`` share a bucket when ``a >> shift`` agree:
    about :data:`_BUCKETS` buckets of consecutive accounts), ``cut`` (part p of the first pass
    reads ``order[cut[p]:cut[p + 1]]``, a run of whole seconds), ``start`` (where part p's
    records of each bucket go), ``bucket_start`` (each bucket's first event, then the total)
    and ``group`` (the buckets taken together, about ``max_records`` events per group).
    """
    n = ts.shape[0]
    shift = 0
    while (n_accounts - 1) >> shift >= _BUCKETS:
        shift += 1
    n_buckets = ((n_accounts - 1) >> shift) + 1
    cut = np.empty(n_parts + 1, np.int64)
    cut[0] = 0
    for p in range(1, n_parts):
        c = max(cut[p - 1], n * p // n_parts)
        while 0 < c < n and ts[_nth(order, c)] == ts[_nth(order, c - 1)]:
            c += 1
        cut[p] = c
    cut[n_parts] = n
    hist = np.zeros((n_parts, n_buckets), np.int64)
    for p in prange(n_parts):
        for k in range(cut[p], cut[p + 1]):
            r = _nth(order, k)
            if payer[r] >= 0:
                hist[p, payer[r] >> shift] += 1
            if payee[r] >= 0:
                hist[p, payee[r] >> shift] += 1
    start, bucket_start = _run_starts(hist)
    m = bucket_start[n_buckets]
    n_groups = max(1, -(-m // max_records))
    group = np.searchsorted(bucket_start, np.arange(n_groups + 1) * (m // n_groups))
    group[0], group[n_groups] = 0, n_buckets
    return shift, cut, start, bucket_start, group


@njit(cache=True, parallel=True, nogil=True)
def _scatter(
    order: np.ndarray,
    payer: np.ndarray,
    payee: np.ndarray,
    ts: np.ndarray,
    amount_bits: np.ndarray,
    mcc: np.ndarray,
    city: np.ndarray,
    shift: int,
    cut: np.ndarray,
    start: np.ndarray,
    bucket_start: np.ndarray,
    b_lo: int,
    b_hi: int,
    t0: int,
    rec: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Pass 1 for the buckets ``b_lo:b_hi``: the rows read in time order (a thread per part
    of :func:`_plan`'s ``cut``), each side of an account in those buckets written as a 32-byte
    record — (row, mcc, side), (ts − t0, account low bits), amount bits, (counterparty,
    city) — at its bucket's next slot, stably. Within one second, inflows first."""
    low = (1 << shift) - 1
    base = bucket_start[b_lo]
    for p in prange(cut.shape[0] - 1):
        pos = start[p] - base
        i = cut[p]
        while i < cut[p + 1]:
            j = i + 1
            while j < cut[p + 1] and ts[_nth(order, j)] == ts[_nth(order, i)]:
                j += 1
            for side in range(2):  # inflows of this second first, then outflows
                for k in range(i, j):
                    r = _nth(order, k)
                    acc = np.int64(payee[r] if side == 0 else payer[r])
                    if acc < 0 or (acc >> shift) < b_lo or (acc >> shift) >= b_hi:
                        continue
                    cp = np.int64(payer[r] if side == 0 else payee[r])
                    e = pos[acc >> shift]
                    pos[acc >> shift] += 1
                    rec[e, 0] = (((np.int64(r) << 16) | (mcc[r] + 1)) << 1) | side
                    rec[e, 1] = ((ts[r] - t0) << 24) | (acc & low)
                    rec[e, 2] = amount_bits[r]
                    rec[e, 3] = ((cp + 1) << 32) | (city[r] + 1)
            i = j


@njit(cache=True, parallel=True, nogil=True)
def _distribute(
    rec: np.ndarray,
    shift: int,
    n_accounts: int,
    bucket_start: np.ndarray,
    b_lo: int,
    b_hi: int,
    t0: int,
    offsets: np.ndarray,
    outflow: np.ndarray,
    ev_ts: np.ndarray,
    ev_amount: np.ndarray,
    row: np.ndarray,
    ev_mcc: np.ndarray,
    ev_city: np.ndarray,
    account: np.ndarray,
    counterparty: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Pass 2 for the buckets ``b_lo:b_hi`` (a thread per bucket): a counting sort of the
    bucket's records by account, written straight into the event columns. Every write lands
    in the bucket's own region, which fits in cache; a direct scatter into 500k account
    segments misses the cache (and the TLB) on nearly every event."""
    low = (1 << shift) - 1
    base = bucket_start[b_lo]
    for b in prange(b_lo, b_hi):
        a0 = b << shift
        width = min(a0 + low + 1, n_accounts) - a0
        nxt = np.zeros(width + 1, np.int64)  # nxt[k]: next free slot of account a0 + k
        for e in range(bucket_start[b] - base, bucket_start[b + 1] - base):
            nxt[(rec[e, 1] & low) + 1] += 1
        nxt[0] = bucket_start[b]
        for k in range(width):
            nxt[k + 1] += nxt[k]
            offsets[a0 + k + 1] = nxt[k + 1]
        for e in range(bucket_start[b] - base, bucket_start[b + 1] - base):
            w = rec[e, 0]
            k = rec[e, 1] & low
            d = nxt[k]
            nxt[k] += 1
            outflow[d] = (w & 1) == 1
            ev_mcc[d] = ((w >> 1) & 0xFFFF) - 1
            row[d] = w >> 17
            account[d] = a0 + k
            ev_ts[d] = (rec[e, 1] >> 24) + t0
            ev_amount[d] = rec[e, 2]
            counterparty[d] = (rec[e, 3] >> 32) - 1
            ev_city[d] = (rec[e, 3] & 0xFFFFFFFF) - 1


def _integers(a: np.ndarray) -> np.ndarray:
    """``a`` as a contiguous integer array, kept narrow when it already is (int16 MCCs, int32
    codes: a quarter or half of the memory of int64)."""
    return np.ascontiguousarray(a if np.issubdtype(a.dtype, np.integer) else a.astype(np.int64))


def bucket_rows(
    rows: dict[str, np.ndarray],
    n_accounts: int,
    max_records: int = _MAX_RECORDS,
) -> dict[str, np.ndarray]:
    """Order the two sides of every transaction row as per-account event streams.

    Parameters
    ----------
    rows : per-row arrays ``payer`` and ``payee`` (account codes, −1: no account on that side,
        e.g. cash), ``ts`` (int64 seconds), ``amount`` (float64), ``mcc`` and ``city``. The
        dict is emptied: each array is let go once it has been read for the last time, before
        the last part of the event columns is written (at 10M rows the rows take ~300 MB, at
        the build's peak beside the events), so a caller that keeps no other reference to
        them lowers the peak.
    n_accounts : number of account codes.
    max_records : scratch records held at once (32 bytes each); more events are bucketed in
        groups of accounts, reading the rows once per group.

    Returns
    -------
    A dict of per-event arrays: ``row`` (the source row), ``outflow`` (True: the payer's side),
    ``account``, ``counterparty`` (−1 when the other side has none), ``ts``, ``amount``,
    ``mcc``, ``city`` (int16 while the codes fit: 34 MB less than int32 at 17M events, held
    through the whole screen); and ``offsets`` (int64[n_accounts + 1], the segment of each
    account).

    Notes
    -----
    Events are ordered by (account, time, inflow first, row): exactly
    :func:`~fininvest.screening.events.order_events` on the doubled event list. O(n) plus one
    stable sort of the row times when they are not already ascending.

    Two passes (:func:`_plan`, then per group of buckets :func:`_scatter` and
    :func:`_distribute`): the first scatters 32-byte records into about :data:`_BUCKETS`
    buckets of consecutive accounts, stably, reading the rows in time order; the second takes
    one bucket at a time (in parallel) and counting-sorts it by account straight into the event
    columns. To bound the scratch records to ``max_records``, the buckets go in groups of
    consecutive accounts, the first pass reading the rows once per group.

    Examples
    --------
    >>> import numpy as np
    >>> rows = {"payer": np.array([0, 1]), "payee": np.array([1, -1]), "ts": np.array([5, 5]),
    ...         "amount": np.array([9.0, 4.0]), "mcc": np.array([-1, -1]),
    ...         "city": np.array([-1, 0])}
    >>> ev = bucket_rows(rows, 2)
    >>> [ev[k].tolist() for k in ("row", "outflow", "account", "amount", "offsets")]
    [[0, 0, 1], [True, False, True], [0, 1, 1], [9.0, 9.0, 4.0], [0, 1, 3]]
    >>> rows
    {}
    """
    ts = np.ascontiguousarray(rows.pop("ts"), np.int64)
    if ts.shape[0] > 1 and not bool(np.all(ts[1:] >= ts[:-1])):
        order = np.argsort(ts, kind="stable")
        if ts.shape[0] < 1 << 31:  # held through the whole build: half the memory as int32
            order = order.astype(np.int32)
    else:
        order = np.empty(0, np.int64)  # already in time order
    mcc, city = _integers(rows.pop("mcc")), _integers(rows.pop("city"))
    payer, payee = _integers(rows.pop("payer")), _integers(rows.pop("payee"))
    amount_bits = np.ascontiguousarray(rows.pop("amount"), np.float64).view(np.int64)
    # each bound read once: it both checks the input and picks the event columns' widths
    mcc_lo, mcc_hi = (int(mcc.min()), int(mcc.max())) if mcc.shape[0] else (-1, -1)
    city_hi = int(city.max(initial=-1))
    t_lo, t_hi = (int(ts.min()), int(ts.max())) if ts.shape[0] else (0, 0)
    if not (-1 <= mcc_lo and mcc_hi < 0xFFFF):
        raise ValueError("merchant category codes must lie in 0..65534")
    if payer.shape[0] >= 1 << 46 or n_accounts >= 1 << 31 or city_hi >= 1 << 31:
        raise ValueError("too many rows, accounts or cities for the event records")
    if t_hi - t_lo >= 1 << 39:
        raise ValueError("the transactions span more than 17,000 years: check the timestamps")
    n_parts = max(1, numba.get_num_threads())
    shift, cut, start, bucket_start, group = _plan(
        order, payer, payee, ts, n_accounts, n_parts, max_records
    )
    m = int(bucket_start[-1])
    row = np.empty(m, np.int32 if payer.shape[0] < 1 << 31 else np.int64)
    ev_mcc = np.empty(m, np.int16 if mcc_hi < 1 << 15 else np.int32)
    ev_city = np.empty(m, np.int16 if city_hi < 1 << 15 else np.int32)
    account, counterparty = np.empty(m, np.int32), np.empty(m, np.int32)
    offsets = np.zeros(n_accounts + 1, np.int64)
    outflow = np.empty(m, np.bool_)
    ev_ts = np.empty(m, np.int64)
    ev_amount = np.empty(m, np.int64)
    rec = np.empty((int(np.diff(bucket_start[group]).max(initial=0)), 4), np.int64)
    t0 = t_lo
    last = group.shape[0] - 2
    for g in range(last + 1):
        b_lo, b_hi = int(group[g]), int(group[g + 1])
        _scatter(
            order, payer, payee, ts, amount_bits, mcc, city,
            shift, cut, start, bucket_start, b_lo, b_hi, t0, rec,
        )  # fmt: skip
        if g == last:  # the rows are read for the last time: let them go before the last part
            del order, payer, payee, ts, amount_bits, mcc, city
        _distribute(
            rec, shift, n_accounts, bucket_start, b_lo, b_hi, t0,
            offsets, outflow, ev_ts, ev_amount, row, ev_mcc, ev_city, account, counterparty,
        )  # fmt: skip
    return {
        "row": row,
        "outflow": outflow,
        "account": account,
        "counterparty": counterparty,
        "offsets": offsets,
        "ts": ev_ts,
        "amount": ev_amount.view(np.float64),
        "mcc": ev_mcc,
        "city": ev_city,
    }
