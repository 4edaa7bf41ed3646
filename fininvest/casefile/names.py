"""Names beside ids: the holder's name for an account, the name of a person or company.

Names come from the workspace tables: ``parties.name`` first, then ``accounts.holder_name``,
then the names intelligence reports give (``intel_links.subject_name`` / ``object_name``).
An account's name is its holder's.

>>> n = Names({"P-1": "Elena Popa"}, {"RO49AAAA1B31007593840000": "P-1"})
>>> n.label("RO49AAAA1B31007593840000")
'RO49AAAA1B31007593840000 (Elena Popa)'
>>> n.label("P-2")
'P-2'
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from fininvest.workspace import Workspace


@dataclass
class Names:
    """Who an id is: ``party`` maps party ids to names, ``holder`` account ids to holder ids."""

    party: dict[str, str] = field(default_factory=dict)
    holder: dict[str, str] = field(default_factory=dict)

    def holder_of(self, entity_id: str) -> str | None:
        """The holder's party id of an account (None for unknown accounts and for parties)."""
        return self.holder.get(entity_id)

    def name(self, entity_id: str | None) -> str | None:
        """The name of a party, or of an account's holder; None when the case has none."""
        if entity_id is None:
            return None
        if entity_id in self.party:
            return self.party[entity_id]
        holder = self.holder.get(entity_id)
        return self.party.get(holder) if holder is not None else None

    def label(self, entity_id: str | None) -> str:
        """``id (Name)``, or the id alone when no name is known; "" for None."""
        return label(entity_id, self.name(entity_id))


def label(entity_id: str | None, name: str | None) -> str:
    """``id (Name)``; the id alone without a name; "" without an id.

    >>> label("P-1", "Elena Popa"), label("P-1", None), label(None, "x")
    ('P-1 (Elena Popa)', 'P-1', '')
    """
    if entity_id is None:
        return ""
    return f"{entity_id} ({name})" if name else entity_id


def load_names(ws: Workspace) -> Names:
    """The names the workspace knows (reads ``parties``, ``accounts`` and ``intel_links``).

    Complexity: one pass over those three tables' id and name columns.
    """
    party: dict[str, str] = {}
    holder: dict[str, str] = {}
    if ws.has_table("intel_links"):
        for side in ("subject", "object"):
            rows = (
                ws.scan("intel_links")
                .select(pl.col(f"{side}_id").alias("id"), pl.col(f"{side}_name").alias("name"))
                .drop_nulls()
                .unique("id")
                .collect()
            )
            party.update(rows.iter_rows())
    if ws.has_table("accounts"):
        acc = ws.scan("accounts").select("account_id", "holder_id", "holder_name").collect()
        holder.update(acc.select("account_id", "holder_id").drop_nulls().iter_rows())
        party.update(acc.select("holder_id", "holder_name").drop_nulls().iter_rows())
    if ws.has_table("parties"):
        party.update(
            ws.scan("parties").select("party_id", "name").drop_nulls().collect().iter_rows()
        )
    return Names(party, holder)
