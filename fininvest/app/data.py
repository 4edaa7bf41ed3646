"""What the app reads, in one place: the workspace tables and results, and the graph.

The pages never touch files or Cypher themselves; they call :class:`CaseData`, which reads the
same results as the command line (``results/alerts.parquet``, ``explanations.parquet``,
``results/chains.json``, ``tables/``) and runs named queries from ``cypher/`` through the graph
store. Tables are read once and kept (the app serves one case).
"""

from __future__ import annotations

import unicodedata
from collections import OrderedDict
from datetime import UTC, datetime
from threading import Lock
from typing import Any

import polars as pl

from fininvest.app.elements import Link, links
from fininvest.graph.store import GraphStore
from fininvest.graph.trace import TraceParams, trace_money
from fininvest.workspace import Workspace

PROVENANCE = ("source_file", "record_no", "source_line", "source_sha256")
TX_COLUMNS = ("txn_id", "ts", "amount", "currency", "from_account", "to_account", "channel", "city")


def fold(text: str) -> str:
    """Accent- and case-insensitive form of a text: ``"Ștefan"`` → ``"stefan"``.

    Examples
    --------
    >>> fold("Ionescu, Ștefan ÉLISE")
    'ionescu, stefan elise'
    """
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def compact(text: str) -> str:
    """An identifier without spaces, dashes, dots or brackets, upper case (IBANs, phones)."""
    return "".join(c for c in text if c.isalnum() or c in "+@").upper()


def ms_to_iso(ms: int | None) -> str:
    """Epoch milliseconds → ``YYYY-MM-DD`` (empty for none)."""
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d")


class CaseData:
    """The case as the app sees it.

    Parameters
    ----------
    ws : the opened workspace.
    store : the graph store (embedded FalkorDB or Neo4j), already loaded.
    """

    def __init__(self, ws: Workspace, store: GraphStore, cache_size: int = 512) -> None:
        self.ws = ws
        self.store = store
        self._tables: dict[str, pl.DataFrame] = {}
        self._lock = Lock()
        self._neighbours: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
        self._links: OrderedDict[tuple[str, int | None, int | None], list[Link]] = OrderedDict()
        self._cache_size = cache_size

    # ----- tables -------------------------------------------------------------------------
    def table(self, name: str) -> pl.DataFrame:
        """An ingested table (empty frame if the case has none)."""
        with self._lock:
            if name not in self._tables:
                self._tables[name] = (
                    self.ws.scan(name).collect() if self.ws.has_table(name) else pl.DataFrame()
                )
            return self._tables[name]

    def result(self, name: str) -> pl.DataFrame:
        """``results/<name>.parquet`` (empty frame if screening has not run)."""
        key = f"results/{name}"
        with self._lock:
            if key not in self._tables:
                path = self.ws.path("results", f"{name}.parquet")
                self._tables[key] = pl.read_parquet(path) if path.exists() else pl.DataFrame()
            return self._tables[key]

    def names(self) -> dict[str, str]:
        """Party id → name, and account id → its holder's name."""
        key = "names"
        if key not in self._tables:
            parties = self.table("parties")
            accounts = self.table("accounts")
            names: dict[str, str] = {}
            if parties.height:
                names.update(
                    parties.select("party_id", "name").drop_nulls().unique("party_id").iter_rows()
                )
            if accounts.height:
                for acc, holder, holder_name in accounts.select(
                    "account_id", "holder_id", "holder_name"
                ).iter_rows():
                    n = names.get(holder) or holder_name
                    if n:
                        names.setdefault(acc, n)
            self._tables[key] = pl.DataFrame({"id": list(names), "name": list(names.values())})
        return dict(self._tables[key].iter_rows())

    def account_countries(self) -> dict[str, str]:
        acc = self.table("accounts")
        if not acc.height:
            return {}
        return dict(acc.select("account_id", pl.col("country").cast(pl.String)).iter_rows())

    # ----- alerts -------------------------------------------------------------------------
    def alerts(self) -> pl.DataFrame:
        """The ranked alerts with the holder's name and the account's country."""
        alerts = self.result("alerts")
        if not alerts.height:
            return alerts
        names, countries = self.names(), self.account_countries()
        return alerts.with_columns(
            pl.col("holder_id").replace_strict(names, default=None).alias("holder_name"),
            pl.col("entity_id").replace_strict(countries, default=None).alias("country"),
        )

    def explanations(self, entity_id: str) -> list[dict[str, Any]]:
        """The explanation rows of one alert (one per fired indicator)."""
        expl = self.result("explanations")
        if not expl.height:
            return []
        rows = expl.filter(pl.col("entity_id") == entity_id).sort("weight", descending=True)
        return rows.to_dicts()

    def transactions(self, ids: list[str]) -> list[dict[str, Any]]:
        """Bank and card transactions by id, in time order, with payer and payee."""
        wanted = list(ids)
        out: list[dict[str, Any]] = []
        tx = self.table("transactions")
        if tx.height:
            out += (
                tx.filter(pl.col("txn_id").is_in(wanted))
                .select(*TX_COLUMNS, *PROVENANCE)
                .with_columns(pl.col("channel").cast(pl.String))
                .to_dicts()
            )
        card = self.table("card_transactions")
        if card.height:
            out += (
                card.filter(pl.col("txn_id").is_in(wanted))
                .select(
                    "txn_id",
                    "ts",
                    "amount",
                    pl.col("currency").cast(pl.String),
                    pl.col("payer_account").alias("from_account"),
                    pl.col("merchant_name").alias("to_account"),
                    pl.col("channel").cast(pl.String),
                    pl.col("merchant_city").alias("city"),
                    *PROVENANCE,
                )
                .to_dicts()
            )
        return sorted(out, key=lambda r: (r["ts"], r["txn_id"]))

    # ----- chains -------------------------------------------------------------------------
    def chains(self) -> list[dict[str, Any]]:
        """``results/chains.json`` (from ``fininvest chains``); empty if not built."""
        return self.ws.chains(required=False)

    def chain(self, chain_id: str) -> dict[str, Any] | None:
        return next((c for c in self.chains() if c["id"] == chain_id), None)

    # ----- graph --------------------------------------------------------------------------
    def neighbours(self, node_id: str) -> list[dict[str, Any]]:
        """Rows of ``query/app_neighbours`` for one node (kept for the session, LRU)."""
        with self._lock:
            if node_id in self._neighbours:
                self._neighbours.move_to_end(node_id)
                return self._neighbours[node_id]
        rows = self.store.run("query/app_neighbours", {"id": node_id})
        with self._lock:
            self._neighbours[node_id] = rows
            while len(self._neighbours) > self._cache_size:
                self._neighbours.popitem(last=False)
        return rows

    def links(self, node_id: str, since: int | None = None, until: int | None = None) -> list[Link]:
        """The aggregated neighbours of a node (:func:`fininvest.app.elements.links` over
        :meth:`neighbours`), kept per node and date range (LRU): paging, expanding and
        re-rendering a view aggregate each node once."""
        key = (node_id, since, until)
        with self._lock:
            if key in self._links:
                self._links.move_to_end(key)
                return self._links[key]
        found = links(node_id, self.neighbours(node_id), since, until)
        with self._lock:
            self._links[key] = found
            while len(self._links) > self._cache_size:
                self._links.popitem(last=False)
        return found

    def trace(self, sources: list[str], params: TraceParams) -> dict[str, Any]:
        """``fininvest trace`` from ``sources`` (see :func:`fininvest.graph.trace.trace_money`)."""
        return trace_money(self.store, sources, params)

    def node(self, node_id: str) -> dict[str, Any] | None:
        """Kind and properties of a node, or None if the graph has no such node."""
        rows = self.store.run("query/app_nodes", {"id": node_id})
        return rows[0] if rows else None

    # ----- search -------------------------------------------------------------------------
    def search(self, text: str, limit: int = 20) -> list[dict[str, Any]]:
        """Parties by name (accent- and case-insensitive), accounts by id or IBAN, and phones,
        e-mails and other identifiers by value. Exact matches first.

        Complexity: one pass over parties, accounts and identifiers (vectorised).
        """
        text = text.strip()
        if len(text) < 2:
            return []
        q, qc = fold(text), compact(text)
        found: list[dict[str, Any]] = []
        parties = self.table("parties")
        if parties.height:
            folded = parties.select(
                "party_id",
                "name",
                pl.col("kind").cast(pl.String),
                pl.col("name").fill_null("").map_elements(fold, return_dtype=pl.String).alias("f"),
            )
            hits = folded.filter(
                pl.col("f").str.contains(q, literal=True) | (pl.col("party_id") == text)
            )
            for pid, name, kind, f in hits.unique("party_id").iter_rows():
                found.append(
                    {
                        "id": pid,
                        "kind": "Company" if kind == "company" else "Person",
                        "label": name or pid,
                        "exact": f == q or pid == text,
                    }
                )
        accounts = self.table("accounts")
        if accounts.height and qc:
            hits = accounts.filter(
                pl.col("account_id")
                .str.to_uppercase()
                .str.replace_all(r"[^0-9A-Z]", "")
                .str.contains(qc, literal=True)
                | pl.col("iban")
                .fill_null("")
                .str.replace_all(" ", "")
                .str.to_uppercase()
                .str.contains(qc, literal=True)
            ).unique("account_id")
            names = self.names()
            for (acc,) in hits.select("account_id").iter_rows():
                found.append(
                    {
                        "id": acc,
                        "kind": "Account",
                        "label": f"{acc} ({names.get(acc, '?')})",
                        "exact": compact(acc) == qc,
                    }
                )
        idents = self.table("identifiers")
        if idents.height and qc:
            kinds = {
                "phone": "Phone",
                "email": "Email",
                "address": "Address",
                "device": "Device",
                "ip": "IP",
            }
            hits = idents.filter(
                pl.col("value")
                .str.to_uppercase()
                .str.replace_all(r"[\s\-\.\(\)]", "")
                .str.contains(qc, literal=True)
            ).unique("value")
            for value, kind in hits.select("value", pl.col("kind").cast(pl.String)).iter_rows():
                if kind in kinds:
                    found.append(
                        {
                            "id": value,
                            "kind": kinds[kind],
                            "label": value,
                            "exact": compact(value) == qc,
                        }
                    )
        found.sort(key=lambda r: (not r["exact"], r["kind"], str(r["label"])))
        return found[:limit]

    # ----- provenance ---------------------------------------------------------------------
    def provenance(self, node_id: str) -> list[dict[str, Any]]:
        """Source file and record of the rows that describe a party, account or asset."""
        out: list[dict[str, Any]] = []
        for table, key in (
            ("parties", "party_id"),
            ("accounts", "account_id"),
            ("assets", "asset_id"),
            ("identifiers", "value"),
        ):
            df = self.table(table)
            if df.height:
                rows = df.filter(pl.col(key) == node_id).select(*PROVENANCE).head(10)
                out += [{"table": table, **r} for r in rows.to_dicts()]
        return out

    def accounts_of(self, party_id: str) -> list[str]:
        acc = self.table("accounts")
        if not acc.height:
            return []
        return acc.filter(pl.col("holder_id") == party_id)["account_id"].to_list()

    def alerts_of(self, node_id: str) -> list[dict[str, Any]]:
        """Alerts on the account, or on the accounts the party holds."""
        alerts = self.result("alerts")
        if not alerts.height:
            return []
        ids = [node_id, *self.accounts_of(node_id)]
        return alerts.filter(pl.col("entity_id").is_in(ids)).to_dicts()

    # ----- assets -------------------------------------------------------------------------
    def asset_register(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The assets and their decisions, from the ``assets`` and ``asset_events`` tables.

        The one place the app reads assets: when the asset register (``fininvest.assets``)
        lands, this function reads it instead.

        Returns
        -------
        (assets, events)
            ``assets`` with the latest status and its date per asset; ``events`` in time order.
        """
        assets, events = self.table("assets"), self.table("asset_events")
        if not assets.height:
            return assets, events
        events = (
            events.with_columns(pl.col("status").cast(pl.String)).sort(
                "asset_id", "date", "event_id"
            )
            if events.height
            else pl.DataFrame(schema={"asset_id": pl.String, "status": pl.String, "date": pl.Date})
        )
        latest = events.group_by("asset_id").agg(
            pl.col("status").last().alias("status"), pl.col("date").last().alias("status_date")
        )
        names = self.names()
        out = (
            assets.with_columns(
                pl.col("kind").cast(pl.String),
                pl.col("jurisdiction").cast(pl.String),
                pl.col("currency").cast(pl.String),
                pl.col("owner_id").replace_strict(names, default=None).alias("owner_name"),
            )
            .join(latest, on="asset_id", how="left")
            .with_columns(pl.col("status").fill_null("identified"))
            .sort("asset_id")
        )
        return out, events
