"""The register's current state of each asset, as rows for ``cypher/load/asset_register``.

``fininvest graph load`` sends these after the assets themselves, so the ``Asset`` nodes and
their ``OWNS`` relationships carry the status the register holds (ingested events and
``assets update`` alike), with the values in base currency. Graph numbers are floats; the
exact amounts stay in the register.
"""

from __future__ import annotations

import polars as pl

from fininvest.assets.register import Register
from fininvest.workspace import Workspace

SCHEMA = {
    "id": pl.String, "status": pl.String, "status_date": pl.String, "value_base": pl.Float64,
    "realised_base": pl.Float64, "to_victims_base": pl.Float64, "shared_base": pl.Float64,
    "events": pl.Int64, "register_head": pl.String,
}  # fmt: skip


def register_rows(ws: Workspace) -> pl.DataFrame:
    """One row per asset with at least one event (brings ingested events in first)."""
    reg = Register(ws)
    reg.sync()
    rows = []
    for aid, st in sorted(reg.states().items()):
        if not st.seq:
            continue
        a = reg.assets.get(aid)
        value = a.value_base if a is not None else None
        rows.append(
            {
                "id": aid,
                "status": st.status,
                "status_date": st.since.isoformat() if st.since else None,
                "value_base": float(value) if value is not None else None,
                "realised_base": float(st.realised),
                "to_victims_base": float(st.to_victims),
                "shared_base": float(st.shared),
                "events": st.seq,
                "register_head": st.head,
            }
        )
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")
