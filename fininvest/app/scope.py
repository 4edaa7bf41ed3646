"""What an app user limited to jurisdictions may see: the case cut to that scope.

A user added with ``fininvest app-user add CASE_DIR NAME --jurisdiction DE`` sees, on every
page, only what a share to ``DE`` would hold (the scope of :mod:`fininvest.jit.scope`):

* **entities in scope**: persons and companies resident, incorporated or national in one of the
  user's jurisdictions, the members of the chains that cross it (a link acted there, recruited
  there, or the jurisdiction among the chain's), the subjects and objects of intelligence held
  there, the accounts kept there or held by an entity in scope (and their holders), the
  identifiers those entities use and the assets located there or owned by them;
* **records**: the rows of the tables that touch an entity in scope, the alerts on them, the
  chains that cross the jurisdictions, the graph neighbourhood of entities in scope only.

Every other person, account, identifier or asset a shown record mentions is replaced by an
opaque token (``withheld-1a2b3c4d``, keyed per app process, never the id), and free text is
cleaned of their names and numbers with the share's :class:`~fininvest.jit.scope.Redactor`.
:class:`ScopedCaseData` is a :class:`~fininvest.app.data.CaseData` whose readers apply this cut,
so the pages need no code of their own for it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import polars as pl

from fininvest.app.data import CaseData
from fininvest.graph.trace import TraceParams
from fininvest.jit.scope import REFERENCE_COLUMNS, TEXT_COLUMNS, Redactor, chain_crosses

WITHHELD = "[withheld]"
#: Free-text fields (tables, results, graph properties, chain records) cleaned of secrets.
FREE_TEXT = frozenset({*TEXT_COLUMNS, "note", "text", "sentence", "explanation", "ad_text"})
#: Which rows of a table a limited user sees: the table's id columns, one of which must name an
#: entity in scope (tables not listed are shown when any string column names one).
ROW_KEYS: dict[str, tuple[str, ...]] = {
    "parties": ("party_id",),
    "accounts": ("account_id",),
    "identifiers": ("owner_id", "value"),
    "transactions": ("from_account", "to_account"),
    "card_transactions": ("payer_account",),
    "intel_links": ("subject_id", "object_id"),
    "assets": ("asset_id",),
    "asset_events": ("asset_id",),
}


#: Where the ids of persons, companies, accounts, identifiers and assets appear (the entities a
#: limit can hide), including counterparties known only from the records that name them.
UNIVERSE: dict[str, tuple[str, ...]] = {
    **{t: tuple(cols) for t, cols in REFERENCE_COLUMNS.items()},
    "identifiers": ("owner_id", "value"),
    "card_transactions": ("payer_account",),
    "assets": ("asset_id", "owner_id"),
    "asset_events": ("asset_id",),
}


def _ids(df: pl.DataFrame, col: str) -> set[str]:
    return set(df[col].drop_nulls().cast(pl.String).to_list()) if col in df.columns else set()


@dataclass(frozen=True)
class Cut:
    """The entities a jurisdiction limit lets through, and tokens for all the others."""

    jurisdictions: frozenset[str]
    allowed: frozenset[str]
    tokens: dict[str, str]  # out-of-scope id or name -> what is shown instead
    chains: tuple[str, ...]

    def token(self, value: str) -> str:
        return self.tokens.get(value, value)


def compute_cut(base: CaseData, jurisdictions: Iterable[str]) -> Cut:
    """Decide what a user limited to ``jurisdictions`` sees (one pass over each table).

    Examples
    --------
    >>> cut = compute_cut(data, ["DE"])  # doctest: +SKIP
    >>> "P-1" in cut.allowed  # doctest: +SKIP
    """
    jur = frozenset(j.upper() for j in jurisdictions)
    names = sorted(jur)
    parties, accounts = base.table("parties"), base.table("accounts")
    idents, intel = base.table("identifiers"), base.table("intel_links")
    assets = base.table("assets")
    chains = [c for c in base.chains() if any(chain_crosses(c, j) for j in jur)]
    party_ids: set[str] = {m for c in chains for m in c.get("members", {}).values() if m}
    if parties.height:
        here = pl.lit(False)
        for col in ("residence_country", "incorporation_country", "nationality"):
            if col in parties.columns:
                here = here | pl.col(col).cast(pl.String).is_in(names)
        party_ids |= _ids(parties.filter(here), "party_id")
    if intel.height:
        held = intel.filter(pl.col("jurisdiction").cast(pl.String).is_in(names))
        party_ids |= _ids(held, "subject_id") | _ids(held, "object_id")
    account_ids: set[str] = set()
    if accounts.height:
        kept = accounts.filter(
            pl.col("country").cast(pl.String).is_in(names)
            | pl.col("holder_id").cast(pl.String).is_in(sorted(party_ids))
        )
        account_ids = _ids(kept, "account_id") | _ids(kept, "iban")
        party_ids |= _ids(kept, "holder_id")
    inside = party_ids | account_ids
    if idents.height:
        inside |= _ids(idents.filter(pl.col("owner_id").is_in(sorted(inside))), "value")
    if assets.height:
        located = pl.col("jurisdiction").cast(pl.String).is_in(names)
        inside |= _ids(
            assets.filter(located | pl.col("owner_id").is_in(sorted(inside))), "asset_id"
        )
    universe = {m for c in base.chains() for m in c.get("members", {}).values() if m}
    universe |= {v for c in base.chains() for v in c.get("victims", [])}
    for table, columns in UNIVERSE.items():
        df = base.table(table)
        for col in columns:
            universe |= _ids(df, col)
    key = secrets.token_bytes(16)
    tokens = {
        i: "withheld-" + hmac.new(key, i.encode(), hashlib.sha256).hexdigest()[:8]
        for i in universe - inside
    }
    shown_names = _ids(parties.filter(pl.col("party_id").is_in(sorted(inside))), "name")
    if parties.height:
        hidden = parties.filter(~pl.col("party_id").is_in(sorted(inside)))
        for name in _ids(hidden, "name") - shown_names:
            tokens.setdefault(name, WITHHELD)
    return Cut(jur, frozenset(inside), tokens, tuple(c["id"] for c in chains))


class ScopedCaseData(CaseData):
    """The case as a user limited to ``jurisdictions`` sees it (see the module docstring).

    Parameters
    ----------
    base : the whole case (its tables are read once and shared).
    jurisdictions : ISO alpha-2 codes.
    """

    def __init__(self, base: CaseData, jurisdictions: Iterable[str]) -> None:
        super().__init__(base.ws, base.store)
        self.base = base
        self.cut = compute_cut(base, jurisdictions)
        self._ids = sorted(self.cut.allowed)

    @cached_property
    def redactor(self) -> Redactor:
        return Redactor({k for k in self.cut.tokens if len(k) >= 3}, WITHHELD)

    # ----- values -------------------------------------------------------------------------
    def value(self, key: str, v: Any) -> Any:
        """One value as the user may see it (ids tokenised, free text cleaned, recursively)."""
        if isinstance(v, str):
            if v in self.cut.tokens:
                return self.cut.tokens[v]
            return self.redactor.clean(v) if key in FREE_TEXT else v
        if isinstance(v, list):
            return [self.value(key, x) for x in v]
        if isinstance(v, dict):
            return {k: self.value(k, x) for k, x in v.items()}
        return v

    def frame(self, df: pl.DataFrame, text: bool = False) -> pl.DataFrame:
        """Tokenise the string columns of a frame and clean its free-text columns (all its
        string columns with ``text``)."""
        if not df.height:
            return df
        mapping = self.cut.tokens
        exprs = []
        for col, dtype in df.schema.items():
            if dtype == pl.String:
                e = pl.col(col).replace(mapping)
                if text or col in FREE_TEXT:
                    e = e.map_elements(self.redactor.clean, return_dtype=pl.String)
                exprs.append(e.alias(col))
            elif dtype == pl.List(pl.String):
                exprs.append(pl.col(col).list.eval(pl.element().replace(mapping)).alias(col))
        return df.with_columns(exprs) if exprs else df

    def _rows_in_scope(self, name: str, df: pl.DataFrame) -> pl.DataFrame:
        keys = ROW_KEYS.get(name) or tuple(c for c, t in df.schema.items() if t == pl.String)
        keep = pl.lit(False)
        for col in keys:
            if col in df.columns:
                keep = keep | pl.col(col).cast(pl.String).is_in(self._ids)
        if name == "intel_links" and "jurisdiction" in df.columns:
            keep = keep | pl.col("jurisdiction").cast(pl.String).is_in(
                sorted(self.cut.jurisdictions)
            )
        return df.filter(keep)

    # ----- the readers of CaseData, cut to the scope -----------------------------------------
    def table(self, name: str) -> pl.DataFrame:
        with self._lock:
            if name in self._tables:
                return self._tables[name]
        df = self.base.table(name)
        out = self.frame(self._rows_in_scope(name, df)) if df.height else df
        with self._lock:
            self._tables[name] = out
        return out

    def result(self, name: str) -> pl.DataFrame:
        key = f"results/{name}"
        with self._lock:
            if key in self._tables:
                return self._tables[key]
        df = self.base.result(name)
        if df.height and "entity_id" in df.columns:
            df = df.filter(pl.col("entity_id").is_in(self._ids))
        if df.height:  # results explain in sentences that may name others: all text cleaned
            df = self.frame(df, text=True)
        with self._lock:
            self._tables[key] = df
        return df

    def chains(self) -> list[dict[str, Any]]:
        """The chains that cross the user's jurisdictions, others' members tokenised."""
        wanted = set(self.cut.chains)
        return [self.value("", c) for c in self.base.chains() if c["id"] in wanted]

    def neighbours(self, node_id: str) -> list[dict[str, Any]]:
        if node_id in self.cut.tokens:
            return []
        rows = self.base.neighbours(node_id)
        return [
            {**r, "name": self.value("name", r.get("name")), "props": self.value("", r["props"])}
            for r in rows
            if r.get("other") not in self.cut.tokens
        ]

    def node(self, node_id: str) -> dict[str, Any] | None:
        if node_id in self.cut.tokens:
            return None
        found = self.base.node(node_id)
        return None if found is None else {**found, "props": self.value("", found["props"])}

    def trace(self, sources: list[str], params: TraceParams) -> dict[str, Any]:
        allowed = [s for s in sources if s in self.cut.allowed]
        res = self.base.trace(allowed, params) if allowed else {"paths": [], "edges": []}
        return {k: self.value(k, v) for k, v in res.items()}
