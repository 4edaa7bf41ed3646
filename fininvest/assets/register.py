"""The asset register: an append-only, hash-chained journal of asset events in the workspace.

Where it lives: ``CASE_DIR/register/asset_events.jsonl`` (folder 0700, file 0600), one JSON
event per line, only ever appended to (under an exclusive lock). It is the one history of every
asset. Two kinds of event enter it:

* **ingested** ``asset_events`` records (``source = "ingest"``, with their file, SHA-256, record
  and line): every ``fininvest assets`` command (and ``graph load``) first brings the records
  ingested since the last time into the journal — per asset in date order, then record order —
  through the same checks as an update. A record that fails them is not appended; it is listed
  in ``quarantine/asset-register.parquet`` with its reason (rewritten at each sync). An asset
  in the ``assets`` table whose history does not start with ``identified`` gets an
  ``identified`` event from its ``identified_on`` date (``source = "assets"``).
* **updates** from ``fininvest assets update`` (``source = "update"``), with who recorded them.

Each append is also written to the audit log with the new head (sequence number and hash) of
each asset it touched, so :meth:`Register.verify` can tell a removed last event from a short
history.

Examples
--------
>>> reg = Register(open_workspace(case_dir))  # doctest: +SKIP
>>> reg.update("AS-1", "frozen", date(2025, 5, 1), decision_ref="LG HH 6/25",
...            authority="Landgericht Hamburg")  # doctest: +SKIP
"""

from __future__ import annotations

import fcntl
import getpass
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import polars as pl

from fininvest.assets.history import AssetState, apply_event, seal
from fininvest.assets.lifecycle import Lifecycle, load_lifecycle
from fininvest.assets.money import FxRates, parse_amount
from fininvest.assets.verify import verify_journal
from fininvest.errors import BadInput, UnknownEntity
from fininvest.ingest.pipeline import QUARANTINE_SCHEMA
from fininvest.normalise import clean_country, clean_currency
from fininvest.workspace import Workspace

JOURNAL = ("register", "asset_events.jsonl")
QUARANTINE = ("quarantine", "asset-register.parquet")
PREFIX = "asset register: "
COUNTRY = "a country (ISO 3166 alpha-2, e.g. DE)"


class RefusedEvent(BadInput):
    """An event the lifecycle, the dates or the money invariants do not allow (exit 3)."""

    kind = "refused_event"


class RegisterNotIntact(BadInput):
    """``assets verify`` found altered, removed or unreadable events (exit 3)."""

    kind = "register_not_intact"


@dataclass
class Asset:
    """An asset as ingested (``assets`` table), with its value in base currency."""

    asset_id: str
    kind: str
    owner_id: str
    description: str
    jurisdiction: str
    value: Decimal | None
    currency: str | None
    value_base: Decimal | None
    identified_on: date | None


@dataclass
class SyncResult:
    appended: int = 0
    refused: list[dict[str, Any]] = field(default_factory=list)


def _recorder() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return str(os.getuid())


def _code(value: str | None, clean: Callable[[str | None], str | None], what: str) -> str | None:
    """``value`` as a country or currency code via ``clean``; a clear error if it is none."""
    if not value:
        return None
    code = clean(value)
    if code is None:
        raise BadInput(f"'{value}' is not {what}")
    return code


def _text(v: object) -> str | None:
    return None if v is None or v == "" else str(v)


class Register:
    """The register of one workspace. Opening it reads the ``assets`` table, the FX rates and
    the journal; :meth:`sync` brings in newly ingested events."""

    def __init__(self, ws: Workspace, lifecycle: Lifecycle | None = None) -> None:
        self.ws = ws
        self.lc = lifecycle or load_lifecycle()
        self.path = ws.path(*JOURNAL)
        rows = ws.scan("fx_rates").collect().to_dicts() if ws.has_table("fx_rates") else []
        self.fx = FxRates.from_rows(ws.base_currency, rows)
        self.assets = self._read_assets()

    # ----- reading -------------------------------------------------------------------------
    def _read_assets(self) -> dict[str, Asset]:
        if not self.ws.has_table("assets"):
            return {}
        out = {}
        for r in self.ws.scan("assets").collect().to_dicts():
            value = parse_amount(r["value"]) if r.get("value") is not None else None
            cur = _text(r.get("currency")) or self.ws.base_currency
            on = r.get("identified_on")
            base = None
            if value is not None:
                try:
                    base = self.fx.to_base(value, cur, on or date.today())[0]
                except BadInput:
                    base = None
            out[str(r["asset_id"])] = Asset(
                asset_id=str(r["asset_id"]),
                kind=str(r["kind"]),
                owner_id=str(r["owner_id"]),
                description=str(r.get("description") or ""),
                jurisdiction=str(r["jurisdiction"]),
                value=value,
                currency=cur if value is not None else None,
                value_base=base,
                identified_on=on,
            )
        return out

    def events(self) -> list[dict[str, Any]]:
        """Every event in the journal, in append order (unreadable lines are skipped here and
        reported by :meth:`verify`)."""
        if not self.path.exists():
            return []
        out = []
        with open(self.path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    ev = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(ev, dict):
                    out.append(ev)
        return out

    def states(self) -> dict[str, AssetState]:
        """Each asset's state, replayed from the journal (events the replay refuses — possible
        only if the journal was edited — are left out; :meth:`verify` names them)."""
        out: dict[str, AssetState] = {a: AssetState(a) for a in self.assets}
        for ev in self.events():
            st = out.setdefault(str(ev.get("asset_id")), AssetState(str(ev.get("asset_id"))))
            apply_event(self.lc, st, ev)
        return out

    def state(self, asset_id: str) -> AssetState:
        st = self.states().get(asset_id)
        if st is None:
            raise UnknownEntity(
                f"no asset '{asset_id}' in this case",
                hint=f"List them with: fininvest assets {self.ws.root} list",
            )
        return st

    # ----- appending -----------------------------------------------------------------------
    @contextmanager
    def _locked(self) -> Iterator[None]:
        folder = self.path.parent
        folder.mkdir(mode=0o700, exist_ok=True)
        os.chmod(folder, 0o700)
        fd = os.open(folder / ".lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _append(self, events: list[dict[str, Any]]) -> None:
        fd = os.open(self.path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            for ev in events:
                fh.write(json.dumps(ev, ensure_ascii=False, sort_keys=True) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        heads = {}
        for ev in events:
            heads[ev["asset_id"]] = {"seq": ev["seq"], "hash": ev["hash"]}
        sources = sorted({ev["source"] for ev in events})
        self.ws.audit(
            "assets append",
            {"sources": sources},
            counts={"appended": len(events), "heads": heads},
        )

    def _complete(self, st: AssetState, ev: dict[str, Any]) -> dict[str, Any]:
        """Defaults (issuing = jurisdiction of the decision, executing = issuing), the base
        amount at the event date's rate, and the sequence number; raises BadInput on FX."""
        ev["issuing_state"] = ev.get("issuing_state") or ev.pop("jurisdiction", None)
        ev.pop("jurisdiction", None)
        ev["executing_state"] = ev.get("executing_state") or ev["issuing_state"]
        if ev.get("amount") is not None:
            amt = parse_amount(ev["amount"])
            cur = ev.get("currency") or self.ws.base_currency
            base, rate = self.fx.to_base(amt, cur, date.fromisoformat(ev["date"]))
            ev.update(amount=str(amt), currency=cur, amount_base=str(base), fx_rate=str(rate))
        else:
            ev.update(amount=None, currency=None, amount_base=None, fx_rate=None)
        ev["asset_id"], ev["seq"] = st.asset_id, st.seq + 1
        ev["recorded_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        return ev

    def _try(self, st: AssetState, ev: dict[str, Any]) -> dict[str, Any] | str:
        """The sealed event, or the reason it is refused (``st`` advanced only if accepted)."""
        try:
            ev = self._complete(st, ev)
        except BadInput as exc:
            return exc.message
        sealed = seal(ev, st.head)
        return apply_event(self.lc, st, sealed) or sealed

    def update(
        self,
        asset_id: str,
        status: str,
        on: date,
        *,
        decision_ref: str | None = None,
        authority: str | None = None,
        amount: str | None = None,
        currency: str | None = None,
        issuing_state: str | None = None,
        executing_state: str | None = None,
        note: str | None = None,
    ) -> dict[str, Any]:
        """Append one event after the checks; raises :class:`RefusedEvent` naming the allowed
        events (or the date or money problem)."""
        with self._locked():
            self.sync(locked=True)
            st = self.state(asset_id)
            ev: dict[str, Any] = {
                "event_id": f"{asset_id}#{st.seq + 1}",
                "status": status,
                "date": on.isoformat(),
                "decision_ref": decision_ref,
                "authority": authority,
                "issuing_state": _code(issuing_state, clean_country, COUNTRY),
                "executing_state": _code(executing_state, clean_country, COUNTRY),
                "jurisdiction": self.assets[asset_id].jurisdiction
                if asset_id in self.assets
                else None,
                "amount": amount,
                "currency": _code(currency, clean_currency, "an ISO 4217 currency (e.g. EUR)"),
                "note": note,
                "source": "update",
                "recorded_by": _recorder(),
            }
            done = self._try(st, ev)
            if isinstance(done, str):
                raise RefusedEvent(
                    f"{asset_id} ({st.status or 'no event yet'}): {done}",
                    hint=f"See the allowed moves: fininvest assets {self.ws.root} show {asset_id}",
                )
            self._append([done])
            return done

    def sync(self, *, locked: bool = False) -> SyncResult:
        """Bring ingested ``asset_events`` not yet in the journal into it (see module doc)."""
        if not locked:
            with self._locked():
                return self.sync(locked=True)
        known = {str(ev.get("event_id")) for ev in self.events()}
        states = self.states()
        out = SyncResult(refused=self._quarantined())
        rows = self._ingested(known | {str(r["event_id"]) for r in out.refused})
        new: list[dict[str, Any]] = []
        for aid in sorted({*rows, *(a for a in self.assets if states[a].seq == 0)}):
            st = states.setdefault(aid, AssetState(aid))
            todo = rows.get(aid, [])
            a = self.assets.get(aid)
            if a is None:
                out.refused += [{**r, "reason": f"unknown asset '{aid}'"} for r in todo]
                continue
            if st.seq == 0 and (not todo or todo[0]["status"] != "identified"):
                dates = [a.identified_on] if a.identified_on else []
                dates += [date.fromisoformat(todo[0]["date"])] if todo else []
                first = min(dates, default=None)  # never after the first recorded decision
                todo = [
                    {
                        "event_id": f"{aid}#identified",
                        "status": "identified",
                        "date": (first or date.today()).isoformat(),
                        "authority": "recorded in the assets table",
                        "jurisdiction": a.jurisdiction,
                        "source": "assets",
                    },
                    *todo,
                ]
            for r in todo:
                done = self._try(st, dict(r))
                if isinstance(done, str):
                    out.refused.append({**r, "reason": done})
                else:
                    new.append(done)
        if new:
            self._append(new)
        out.appended = len(new)
        self._write_quarantine(out.refused)
        return out

    def _ingested(self, known: set[str]) -> dict[str, list[dict[str, Any]]]:
        """Ingested events not in the journal, per asset, in date then record order."""
        if not self.ws.has_table("asset_events"):
            return {}
        df = self.ws.scan("asset_events").collect()
        if df.height == 0:
            return {}
        df = df.filter(
            ~pl.col("event_id").is_in(pl.Series(sorted(known), dtype=pl.String).implode())
        )
        out: dict[str, list[dict[str, Any]]] = {}
        for r in df.sort("asset_id", "date", "source_file", "record_no").to_dicts():
            ev = {
                "event_id": r["event_id"],
                "status": str(r["status"]),
                "date": r["date"].isoformat(),
                "decision_ref": r.get("decision_ref"),
                "authority": r.get("authority"),
                "jurisdiction": _text(r.get("jurisdiction")),
                "executing_state": _text(r.get("executing_state")),
                "amount": r.get("amount"),
                "currency": _text(r.get("currency")),
                "note": r.get("note"),
                "source": "ingest",
                "source_file": _text(r.get("source_file")),
                "source_sha256": _text(r.get("source_sha256")),
                "record_no": r.get("record_no"),
                "source_line": r.get("source_line"),
            }
            out.setdefault(str(r["asset_id"]), []).append(ev)
        return out

    def _quarantined(self) -> list[dict[str, Any]]:
        """Records refused before: they stay refused (delete the file to try them again)."""
        target = self.ws.path(*QUARANTINE)
        if not target.exists():
            return []
        return [
            {**json.loads(r["raw"]), "reason": r["reason"].removeprefix(PREFIX)}
            for r in pl.read_parquet(target).to_dicts()
        ]

    def _write_quarantine(self, refused: list[dict[str, Any]]) -> None:
        target = self.ws.path(*QUARANTINE)
        if not refused:
            target.unlink(missing_ok=True)
            return
        q = pl.DataFrame(
            [
                {
                    "source_file": r.get("source_file") or "",
                    "source_sha256": r.get("source_sha256") or "",
                    "kind": "asset_events",
                    "record_no": r.get("record_no"),
                    "source_line": r.get("source_line"),
                    "record_id": r.get("event_id"),
                    "field": "status",
                    "reason": PREFIX + r["reason"],
                    "raw": json.dumps(
                        {k: v for k, v in r.items() if k != "reason"}, default=str, sort_keys=True
                    ),
                }
                for r in refused
            ],
            schema=QUARANTINE_SCHEMA,
            orient="row",
        )
        tmp = target.with_suffix(".partial")
        q.write_parquet(tmp)
        os.replace(tmp, target)

    # ----- verification --------------------------------------------------------------------
    def verify(self) -> list[dict[str, Any]]:
        """Every altered, removed, unreadable or disallowed event (see
        :func:`fininvest.assets.verify.verify_journal`); empty list: intact."""
        return verify_journal(self.path, self.lc, self.ws.audit_entries())
