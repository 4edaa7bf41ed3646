"""The set one side brings to a deconfliction: identifiers and name keys from its workspace.

* IBANs from ``tables/accounts`` (column ``iban``),
* phones, e-mails and handles from ``tables/identifiers`` (phones re-normalised with the
  record's country),
* name match keys of persons from ``tables/parties`` (name, birthdate, nationality),
* and, optionally, a CSV file of further identifiers (passports, wallets…) with the columns
  ``kind,value,country,record``.

Each item keeps the records it came from (``P-0042 (Maria Ionescu)``) so hits are mapped
back locally; those references never leave the workspace.
"""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl

from fininvest.errors import BadInput
from fininvest.jit.deconflict import Item
from fininvest.jit.identifiers import (
    IDENTIFIER_KINDS,
    NAME_KEY_KINDS,
    name_match_keys,
    normalise_identifier,
)
from fininvest.workspace import Workspace

#: What ``--kind`` accepts: identifier kinds plus "names" for all name match keys.
SET_KINDS = (*IDENTIFIER_KINDS, "names")


def collect_items(
    ws: Workspace, kinds: tuple[str, ...] = SET_KINDS, extra: Path | None = None
) -> tuple[list[Item], int]:
    """Items of the chosen kinds; returns them and the number of values that did not normalise.

    Complexity: O(rows) of the tables read.
    """
    items: list[Item] = []
    rejected = 0
    if "iban" in kinds and ws.has_table("accounts"):
        df = ws.scan("accounts").select("account_id", "iban").collect()
        for acc, iban in df.iter_rows():
            if iban:
                v = normalise_identifier("iban", iban)
                if v is None:
                    rejected += 1
                else:
                    items.append(Item("iban", v, [str(acc)]))
    wanted = [k for k in ("phone", "email", "handle") if k in kinds]
    if wanted and ws.has_table("identifiers"):
        df = (
            ws.scan("identifiers")
            .select("owner_id", pl.col("kind").cast(pl.String), "value", "country")
            .filter(pl.col("kind").is_in(wanted))
            .collect()
        )
        for owner, kind, value, country in df.iter_rows():
            v = normalise_identifier(kind, str(value), country)
            if v is None:
                rejected += 1
            else:
                items.append(Item(kind, v, [str(owner)]))
    if ("names" in kinds or "passport" in kinds) and ws.has_table("parties"):
        df = (
            ws.scan("parties")
            .filter(pl.col("kind").cast(pl.String) == "person")
            .select("party_id", "name", "birthdate", "nationality", "id_number")
            .collect()
        )
        for pid, name, born, nat, id_number in df.iter_rows():
            ref = f"{pid} ({name})"
            for key in name_match_keys(str(name or ""), born, nat) if "names" in kinds else []:
                items.append(Item(key.kind, key.value, [ref]))
            if id_number and "passport" in kinds:
                # the id document is taken as issued by the country of nationality
                v = normalise_identifier("passport", str(id_number), nat)
                if v is None:
                    rejected += 1
                else:
                    items.append(Item("passport", v, [ref]))
    if extra is not None:
        new, bad = read_identifier_file(extra, kinds)
        items += new
        rejected += bad
    return items, rejected


def read_identifier_file(path: Path, kinds: tuple[str, ...]) -> tuple[list[Item], int]:
    """Items from a CSV with the columns ``kind,value,country,record``."""
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise BadInput(f"{path}: cannot read ({exc})") from exc
    if rows and not {"kind", "value"} <= set(rows[0]):
        raise BadInput(f"{path}: needs the columns kind,value[,country,record]")
    items, rejected = [], 0
    for n, row in enumerate(rows, start=2):
        kind = (row.get("kind") or "").strip().lower()
        if kind not in IDENTIFIER_KINDS or kind in NAME_KEY_KINDS:
            raise BadInput(
                f"{path}, line {n}: unknown kind '{kind}'",
                hint="Kinds: " + ", ".join(IDENTIFIER_KINDS),
            )
        if kind not in kinds:
            continue
        v = normalise_identifier(kind, row.get("value") or "", row.get("country"))
        if v is None:
            rejected += 1
        else:
            items.append(Item(kind, v, [row.get("record") or f"{path.name}:{n}"]))
    return items, rejected
