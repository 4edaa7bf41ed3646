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

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the labels are light: `screen --help` imports this module, not polars
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

    def in_text(self, text: str) -> str:
        """``text`` (a sentence) with each id it quotes followed by its name, once.

        >>> Names({"P-1": "Elena Popa"}).in_text("swept to P-1 within 2 days")
        'swept to P-1 (Elena Popa) within 2 days'
        >>> Names({"P-1": "Elena Popa"}).in_text("swept to P-1 (Elena Popa)")
        'swept to P-1 (Elena Popa)'
        """

        def named(m: re.Match[str]) -> str:
            name = self.name(m.group(0))
            if not name or text.startswith(f" ({name})", m.end()):
                return m.group(0)
            return f"{m.group(0)} ({name})"

        return ID_TOKEN.sub(named, text)

    def annotate(self, doc: Any) -> Any:
        """A JSON document with the name beside every id it holds (returns a new document).

        In each object: a field holding an id gets a ``<field>_name`` beside it (``holder_id``
        → ``holder_name``, ``id`` → ``name``, ``account`` → ``account_name``) unless the
        object already names it; a list of ids, or a mapping that holds ids (as keys or
        values), gets ``<field>_names`` (id → name) beside it. Lists of objects are annotated
        object by object. The sentences fininvest writes (the fields in :data:`SENTENCES`)
        name the ids they quote (:meth:`in_text`); other text is never altered (a raw record
        stays as it was read).

        >>> n = Names({"P-1": "Elena Popa"}, {"RO49X": "P-1"})
        >>> n.annotate({"account": "RO49X", "holder_name": None, "victims": ["P-1", "P-9"]})
        ... # doctest: +NORMALIZE_WHITESPACE
        {'account': 'RO49X', 'holder_name': None, 'victims': ['P-1', 'P-9'],
         'account_name': 'Elena Popa', 'victims_names': {'P-1': 'Elena Popa'}}
        >>> n.annotate([{"holder": "P-1", "holder_name": None}])
        [{'holder': 'P-1', 'holder_name': 'Elena Popa'}]

        Complexity: one pass over the document.
        """
        if isinstance(doc, list):
            return [self.annotate(x) for x in doc]
        if not isinstance(doc, dict):
            return doc
        out: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for k, v in doc.items():
            if isinstance(v, str) and k in SENTENCES:
                out[k] = self.in_text(v)
            elif isinstance(v, list) and k in SENTENCE_LISTS:
                out[k] = [self.in_text(x) if isinstance(x, str) else x for x in v]
            elif isinstance(v, str):
                name = self.name(v)
                key = name_key(k)
                if name and not doc.get(key) and name not in doc.values():
                    extra[key] = name
                out[k] = v
            elif isinstance(v, list) and any(isinstance(x, dict | list) for x in v):
                out[k] = self.annotate(v)
            elif isinstance(v, list | dict):
                found = {i: n for i in ids_in(v) if (n := self.name(i))}
                if found and not doc.get(f"{k}_names"):
                    extra[f"{k}_names"] = found
                out[k] = v
            else:
                out[k] = v
        return {**out, **extra}

    def name_sentences(self, df: pl.DataFrame, column: str) -> pl.DataFrame:
        """``df`` with the sentences of ``column`` naming the ids they quote (:meth:`in_text`).

        >>> import polars as pl
        >>> df = pl.DataFrame({"detail": ["swept to P-1", None]})
        >>> Names({"P-1": "Elena Popa"}).name_sentences(df, "detail")["detail"].to_list()
        ['swept to P-1 (Elena Popa)', None]
        """
        import polars as pl

        col = df.get_column(column)
        listed = isinstance(col.dtype, pl.List)
        texts = (col.explode() if listed else col).drop_nulls().unique().to_list()
        named = {t: n for t in texts if (n := self.in_text(t)) != t}
        if not named:
            return df
        if listed:
            return df.with_columns(pl.col(column).list.eval(pl.element().replace(named)))
        return df.with_columns(pl.col(column).replace(named))

    def name_all_sentences(self, df: pl.DataFrame) -> pl.DataFrame:
        """``df`` with every sentence column it has named (:data:`SENTENCES`,
        :data:`SENTENCE_LISTS`)."""
        for column in sorted((SENTENCES | SENTENCE_LISTS) & set(df.columns)):
            df = self.name_sentences(df, column)
        return df


#: fields holding sentences that fininvest writes (an explanation, a record's note)
SENTENCES = frozenset({"detail", "note"})
#: fields holding lists of such sentences (the findings of one explanation)
SENTENCE_LISTS = frozenset({"details"})

#: what an id looks like inside a sentence (IBANs, ``bank:number``, ``P-0008888``)
ID_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9:_\-]*[A-Za-z0-9]")


def ids_in(value: Any) -> list[str]:
    """Every string (and mapping key) inside ``value``, in order, nested ones included.

    >>> ids_in({"P-1": ["A", "B"], "x": {"y": "C"}})
    ['P-1', 'A', 'B', 'x', 'y', 'C']
    """
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*ids_in(k), *ids_in(v))]
    if isinstance(value, list | tuple):
        return [s for x in value for s in ids_in(x)]
    return []


def name_key(field: str) -> str:
    """The field that holds the name of the id in ``field``.

    >>> name_key("holder_id"), name_key("id"), name_key("account")
    ('holder_name', 'name', 'account_name')
    """
    return "name" if field == "id" else f"{field.removesuffix('_id')}_name"


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
    import polars as pl

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
