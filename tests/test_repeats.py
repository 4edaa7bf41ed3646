"""The chunk-by-chunk repeat finder agrees with a plain count of every hash."""

from __future__ import annotations

from collections import Counter

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from fininvest.ingest.repeats import HASH_SCHEMA, RepeatedKeys

HASHES = st.one_of(
    st.integers(0, 2**64 - 1),
    st.sampled_from([0, 1, 2**63, 2**64 - 1, 12345]),  # repeats and the extremes
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(HASHES, max_size=40), max_size=6),  # chunks, empty ones included
    st.sampled_from([1, 3, 6, 8, 28]),  # tiny bitmaps: most hashes share a bit
    st.sampled_from([0, 2, 1 << 18]),  # few candidates allowed: the check looks at every row
)
def test_repeats_match_a_plain_count(
    chunks: list[list[int]], bits_log2: int, max_candidates: int
) -> None:
    from fininvest.ingest import repeats

    old, repeats.MAX_CANDIDATES = repeats.MAX_CANDIDATES, max_candidates
    try:
        _check(chunks, bits_log2)
    finally:
        repeats.MAX_CANDIDATES = old


def _check(chunks: list[list[int]], bits_log2: int) -> None:
    seen = RepeatedKeys(bits_log2=bits_log2)
    no = 0
    for chunk in chunks:
        seen.add(
            pl.DataFrame(
                {
                    "h": chunk,
                    "record_no": list(range(no, no + len(chunk))),
                    "source_line": list(range(no + 1, no + 1 + len(chunk))),
                },
                schema=HASH_SCHEMA,
            )
        )
        no += len(chunk)
    every, repeated = seen.result()
    flat = [h for chunk in chunks for h in chunk]
    counts = Counter(flat)
    assert every["h"].to_list() == flat
    assert every.schema == pl.Schema(HASH_SCHEMA)
    want = [i for i, h in enumerate(flat) if counts[h] > 1]  # in file order
    assert repeated["record_no"].to_list() == want
    assert repeated.columns == every.columns
