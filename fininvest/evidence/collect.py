"""Assemble an evidence pack's content from a workspace: :func:`assemble`.

Reads what earlier commands produced rather than recomputing it: the chains and the records
each link cites from ``results/chains.json`` (``fininvest chains``), the cited rows with their
provenance from ``tables/`` (every row carries its source file, the file's SHA-256 and the
record number and line), the red flags from ``results/explanations.parquet``
(``fininvest screen``), the members' assets from the ``assets`` and ``asset_events`` tables,
and the chain of custody from ``audit.jsonl``.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import polars as pl
import polars.selectors as cs

from fininvest import __version__
from fininvest.errors import UnknownEntity
from fininvest.evidence.content import (
    Account,
    Asset,
    Chain,
    Custody,
    Explanation,
    Flow,
    Link,
    PackContent,
    Party,
    Provenance,
    Record,
    RecordRef,
    SourceFile,
)
from fininvest.evidence.wording import refresh_text, text
from fininvest.workspace import Workspace, file_sha256

#: provenance columns every workspace row carries
PROVENANCE_COLUMNS = ("source_kind", "source_file", "source_sha256", "record_no", "source_line")
#: audit-log commands that produced what a pack cites (read-only commands are left out, and so
#: are earlier exports, so that exporting twice gives the same pack)
CUSTODY_COMMANDS = (
    "init",
    "sample",
    "ingest",
    "screen",
    "graph load",
    "chains",
    "network",
    "demo",
    "quarantine",
    "forget",
    "assets",
)


def _rows(ws: Workspace, table: str, key: pl.Expr, ids: Iterable[str]) -> list[dict[str, Any]]:
    """Rows of ``table`` whose ``key`` is one of ``ids``, one per id (the first ingested)."""
    wanted = sorted(set(ids))
    if not wanted or not ws.has_table(table):
        return []
    df = (
        ws.scan(table)
        .with_columns(key.alias("_key"))
        .filter(pl.col("_key").is_in(wanted))
        .collect()
    )
    df = df.with_columns(cs.categorical().cast(pl.String), cs.enum().cast(pl.String))
    df = df.sort("_key", "source_file", "record_no").unique(
        "_key", keep="first", maintain_order=True
    )
    return df.to_dicts()


def _record(kind: str, row: dict[str, Any], time: str | None, where: str | None) -> Record:
    """A workspace row as a record (its summary is written by :func:`refresh_text`)."""
    fields = {k: text(v) for k, v in row.items() if k not in PROVENANCE_COLUMNS and k != "_key"}
    prov = Provenance(
        source_file=str(row["source_file"]),
        source_sha256=str(row["source_sha256"]),
        record_no=row.get("record_no"),
        source_line=row.get("source_line"),
    )
    return Record(kind, str(row["_key"]), "", fields, prov, time, where)


def catalogue_version() -> str:
    """``sha256:`` of the indicator catalogue files (names and bytes, sorted by name)."""
    from fininvest.resources import resource_dir

    h = hashlib.sha256()
    for p in sorted(resource_dir("indicators").glob("*.toml")):
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return "sha256:" + h.hexdigest()


def assemble(
    ws: Workspace, chain_ids: list[str], *, exported_at: datetime, exported_by: str
) -> PackContent:
    """Collect what an evidence pack for the given chains says.

    Parameters
    ----------
    ws : Workspace
        A workspace with ``results/chains.json`` (``fininvest chains``).
    chain_ids : list of str
        Chain ids (``CH-…``); at least one.
    exported_at : datetime
        The export time written into the custody record (``--at``).
    exported_by : str
        Who exports (a user name), written into the custody record.

    Returns
    -------
    PackContent
        Plain data; nothing refers back to the workspace.

    Raises
    ------
    UnknownEntity
        A chain id is not in ``results/chains.json``.

    Examples
    --------
    >>> content = assemble(ws, ["CH-4BB2F4A718"], exported_at=at, exported_by="me")  # doctest:+SKIP
    >>> [link.act for link in content.chains[0].links]  # doctest: +SKIP
    ['transported', 'exploited', 'controlled_proceeds']

    Complexity: one filtered scan per table over the cited ids, plus one scan of the
    transactions between the chain's accounts.
    """
    known = {c["id"]: c for c in ws.chains()}
    missing = [c for c in chain_ids if c not in known]
    if missing or not chain_ids:
        raise UnknownEntity(
            f"no chain {', '.join(missing) or '(none given)'} in results/chains.json",
            hint="Chains in this case: " + (", ".join(sorted(known)) or "none"),
        )
    raw = [known[c] for c in dict.fromkeys(chain_ids)]
    members = {m for c in raw for m in c["members"].values()}
    victims = {v for c in raw for v in c["victims"]} - members
    roles = {m: r for c in raw for r, m in c["members"].items()}
    roles.update({v: "victim" for v in victims})

    party_rows = _rows(ws, "parties", pl.col("party_id"), roles)
    account_rows = _rows(ws, "accounts", pl.col("account_id"), _holder_accounts(ws, set(roles)))
    records: list[Record] = []
    for row in party_rows:
        records.append(_record("party", row, None, row.get("residence_country")))
    for row in account_rows:
        records.append(_record("account", row, text(row.get("opened")), row.get("country")))
    chains = [_chain(c) for c in raw]
    refs = [r for ch in chains for r in _refs(ch)]
    records += _cited(ws, refs)
    assets, asset_records = _assets(ws, members)
    records += asset_records
    records = sorted({r.key: r for r in records}.values(), key=lambda r: (r.kind, r.id))
    names = {str(r["party_id"]): r.get("name") for r in party_rows}
    for c in raw:
        for role, pid in c["members"].items():
            names.setdefault(pid, (c.get("names") or {}).get(role))
    accounts_by_holder: dict[str, list[str]] = defaultdict(list)
    for a in account_rows:
        accounts_by_holder[str(a["holder_id"])].append(str(a["account_id"]))
    parties = [
        Party(
            id=pid,
            kind=str(row.get("kind") or "person") if row else "person",
            name=names.get(pid),
            role=roles[pid],
            country=(row or {}).get("residence_country"),
            nationality=(row or {}).get("nationality"),
            birthdate=text((row or {}).get("birthdate")),
            accounts=sorted(accounts_by_holder.get(pid, [])),
        )
        for pid in sorted(roles)
        for row in [next((r for r in party_rows if r["party_id"] == pid), None)]
    ]
    accounts = [
        Account(
            id=str(a["account_id"]),
            holder_id=a.get("holder_id"),
            institution=a.get("institution"),
            country=a.get("country"),
            iban=a.get("iban"),
            currency=a.get("currency"),
        )
        for a in account_rows
    ]
    holder_of = {a.id: a.holder_id for a in accounts}
    content = PackContent(
        case_name=ws.name,
        source_organization=str(
            ws.config["case"].get("organization") or "not stated ([case] organization)"
        ),
        base_currency=ws.base_currency,
        chains=chains,
        parties=parties,
        accounts=accounts,
        records=records,
        explanations=_explanations(ws, holder_of),
        flows=_flows(ws, holder_of),
        assets=assets,
        custody=_custody(ws, records, exported_at, exported_by),
    )
    refresh_text(content)
    return content


def _holder_accounts(ws: Workspace, holders: set[str]) -> list[str]:
    if not ws.has_table("accounts"):
        return []
    return (
        ws.scan("accounts")
        .filter(pl.col("holder_id").is_in(sorted(holders)))
        .select("account_id")
        .unique()
        .collect()["account_id"]
        .to_list()
    )


def _ref(r: dict[str, Any]) -> RecordRef:
    return RecordRef(kind=r["kind"], id=str(r["id"]), note=r.get("note"), grading=r.get("grading"))


def _chain(c: dict[str, Any]) -> Chain:
    links = [
        Link(
            id=f"{c['id']}/{i}",
            chain_id=c["id"],
            from_id=x["from"],
            from_role=x["from_role"],
            to_id=x["to"],
            to_role=x["to_role"],
            act=x["act"],
            jurisdiction=x.get("jurisdiction"),
            basis=x.get("basis", ""),
            claim="",
            records=[_ref(r) for r in x.get("records", [])],
        )
        for i, x in enumerate(c["links"], start=1)
    ]
    return Chain(
        id=c["id"],
        members=dict(c["members"]),
        victims=list(c["victims"]),
        jurisdictions=list(c["jurisdictions"]),
        recruited_in=c.get("recruited_in"),
        links=links,
        recruiter_records=[_ref(r) for r in c.get("recruiter_records", [])],
    )


def _refs(ch: Chain) -> list[RecordRef]:
    return [*ch.recruiter_records, *(r for link in ch.links for r in link.records)]


def _cited(ws: Workspace, refs: list[RecordRef]) -> list[Record]:
    """The rows that links cite, from their tables, with their provenance."""
    ids: dict[str, set[str]] = defaultdict(set)
    for r in refs:
        ids[r.kind].add(r.id)
    out: list[Record] = []
    tx = _rows(ws, "transactions", pl.col("txn_id"), ids["transaction"])
    found = {r["_key"] for r in tx}
    tx += _rows(ws, "card_transactions", pl.col("txn_id"), ids["transaction"] - found)
    for row in tx:
        where = row.get("country") or row.get("from_country") or row.get("merchant_country")
        out.append(_record("transaction", row, text(row.get("ts")), where))
    strs = _rows(ws, "str_reports", pl.col("report_id"), ids["str"])
    str_country = _str_countries(ws, [str(r["_key"]) for r in strs])
    for row in strs:
        out.append(
            _record(
                "str",
                row,
                text(row.get("submitted")),
                str_country.get(str(row["_key"])),
            )
        )
    for row in _rows(ws, "intel_links", pl.col("link_id"), ids["intelligence"]):
        out.append(
            _record(
                "intelligence",
                row,
                text(row.get("date_from")),
                row.get("jurisdiction"),
            )
        )
    kyc_key = pl.format("{}#{}", pl.col("source_file").cast(pl.String), pl.col("record_no"))
    for row in _rows(ws, "accounts", kyc_key, ids["kyc"]):
        out.append(_record("kyc", row, text(row.get("opened")), row.get("country")))
    return out


def _str_countries(ws: Workspace, report_ids: list[str]) -> dict[str, str]:
    """Where each STR sits: the country of the accounts its transactions name."""
    if not report_ids or not ws.has_table("transactions"):
        return {}
    df = (
        ws.scan("transactions")
        .filter(pl.col("report_id").is_in(report_ids))
        .select("report_id", pl.coalesce("from_country", "to_country", "country").cast(pl.String))
        .drop_nulls()
        .group_by("report_id")
        .agg(pl.col("from_country").mode().sort().first())
        .collect()
    )
    return dict(df.iter_rows())


def _assets(ws: Workspace, owners: set[str]) -> tuple[list[Asset], list[Record]]:
    if not ws.has_table("assets"):
        return [], []
    rows = [
        r
        for r in _rows(ws, "assets", pl.col("asset_id"), _ids(ws, "assets", "asset_id", owners))
        if r["owner_id"] in owners
    ]
    event_rows = (
        _rows(ws, "asset_events", pl.col("event_id"), _event_ids(ws, [r["asset_id"] for r in rows]))
        if ws.has_table("asset_events")
        else []
    )
    records = [
        _record("asset", r, text(r.get("identified_on")), r.get("jurisdiction")) for r in rows
    ]
    events: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in event_rows:
        events[e["asset_id"]].append(e)
        records.append(
            _record(
                "asset_event",
                e,
                text(e.get("date")),
                e.get("jurisdiction"),
            )
        )
    assets = []
    for r in rows:
        history = sorted(events[r["asset_id"]], key=lambda e: (e["date"], e["event_id"]))
        assets.append(
            Asset(
                id=r["asset_id"],
                kind=r["kind"],
                owner_id=r["owner_id"],
                description=r.get("description"),
                value=r.get("value"),
                currency=r.get("currency"),
                jurisdiction=r.get("jurisdiction"),
                status=history[-1]["status"] if history else "identified",
                events=[e["event_id"] for e in history],
            )
        )
    return sorted(assets, key=lambda a: a.id), records


def _ids(ws: Workspace, table: str, key: str, owners: set[str]) -> list[str]:
    return (
        ws.scan(table)
        .filter(pl.col("owner_id").is_in(sorted(owners)))
        .select(key)
        .collect()[key]
        .to_list()
    )


def _event_ids(ws: Workspace, asset_ids: list[str]) -> list[str]:
    if not asset_ids:
        return []
    return (
        ws.scan("asset_events")
        .filter(pl.col("asset_id").is_in(asset_ids))
        .select("event_id")
        .collect()["event_id"]
        .to_list()
    )


def _explanations(ws: Workspace, holder_of: dict[str, str | None]) -> list[Explanation]:
    path = ws.path("results", "explanations.parquet")
    if not path.exists() or not holder_of:
        return []
    from fininvest.indicators.catalogue import load_catalogue

    titles = {i.id: i.title for i in load_catalogue().values()}
    df = (
        pl.read_parquet(path)
        .filter(pl.col("entity_id").is_in(sorted(holder_of)))
        .sort("entity_id", "indicator")
    )
    return [
        Explanation(
            entity_id=r["entity_id"],
            holder_id=holder_of.get(r["entity_id"]),
            indicator=r["indicator"],
            title=titles.get(r["indicator"], r["indicator"]),
            detail=r["detail"] or "",
            observed=r["observed"],
            threshold=r["threshold"],
            citation=r["citation"] or "",
            evidence=sorted(r["evidence"] or []),
        )
        for r in df.iter_rows(named=True)
    ]


def _flows(ws: Workspace, holder_of: dict[str, str | None]) -> list[Flow]:
    """Money between the chain's parties: every transaction between their accounts."""
    if not holder_of or not ws.has_table("transactions"):
        return []
    accounts = sorted(holder_of)
    holders = pl.DataFrame(
        {"account": list(holder_of), "holder": [holder_of[a] for a in holder_of]},
        schema={"account": pl.String, "holder": pl.String},
    ).lazy()
    df = (
        ws.scan("transactions")
        .filter(pl.col("from_account").is_in(accounts) & pl.col("to_account").is_in(accounts))
        .select("from_account", "to_account", "amount_base", "ts")
        .join(holders.rename({"account": "from_account", "holder": "from_id"}), on="from_account")
        .join(holders.rename({"account": "to_account", "holder": "to_id"}), on="to_account")
        .filter(pl.col("from_id") != pl.col("to_id"))
        .group_by("from_id", "to_id")
        .agg(
            pl.len().alias("count"),
            pl.col("amount_base").sum().alias("total"),
            pl.col("ts").min().alias("first"),
            pl.col("ts").max().alias("last"),
        )
        .sort("total", "from_id", "to_id", descending=[True, False, False])
        .collect()
    )
    return [
        Flow(
            r["from_id"],
            r["to_id"],
            r["count"],
            round(r["total"] or 0.0, 2),
            ws.base_currency,
            text(r["first"]),
            text(r["last"]),
        )
        for r in df.iter_rows(named=True)
    ]


def _custody(
    ws: Workspace, records: list[Record], exported_at: datetime, exported_by: str
) -> Custody:
    steps = [
        e
        for e in ws.audit_entries()
        if any(
            e.get("command", "") == c or e.get("command", "").startswith(c + " ")
            for c in CUSTODY_COMMANDS
        )
    ]
    files = sorted(
        {(r.provenance.source_file, r.provenance.source_sha256) for r in records if r.provenance}
    )
    sources = []
    for name, sha in files:
        raw = ws.path("raw", name)
        state = "absent"
        if raw.is_file():
            state = "matches" if file_sha256(raw) == sha else "differs"
        sources.append(SourceFile(name, sha, state))
    return Custody(
        steps=steps,
        sources=sources,
        fininvest_version=__version__,
        catalogue_version=catalogue_version(),
        exported_by=exported_by,
        exported_at=exported_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
