"""Find ids printed without their holder's name: in a table (the name on the id's line), a
CSV (in the id's row) or a JSON document (beside the id: in its object, in a
``<field>_names`` mapping beside a list or mapping of ids, or in the sentence that quotes it).

An oracle independent of :meth:`fininvest.casefile.names.Names.annotate`: it only reads
what was printed and the names the workspace knows.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9:_\-]*[A-Za-z0-9]")


def missing_in_text(text: str, known: dict[str, str]) -> list[str]:
    """``id`` for each id on a line of ``text`` that lacks its name."""
    return [
        f"{tok}: {line.strip()[:160]}"
        for line in text.splitlines()
        for tok in TOKEN.findall(line)
        if tok in known and known[tok] not in line
    ]


def missing_in_csv(text: str, known: dict[str, str]) -> list[str]:
    out = []
    for row in csv.reader(io.StringIO(text)):
        joined = "\x1f".join(row)
        for cell in row:
            for tok in TOKEN.findall(cell):
                if tok in known and known[tok] not in joined:
                    out.append(f"{tok}: {joined[:160]}")
    return out


def missing_in_json(doc: Any, known: dict[str, str], where: str = "$") -> list[str]:
    out: list[str] = []
    if isinstance(doc, list):
        for i, x in enumerate(doc):
            if isinstance(x, str):
                if x in known:
                    out.append(f"{x} at {where}[{i}] (a list of ids with no names beside)")
            else:
                out += missing_in_json(x, known, f"{where}[{i}]")
        return out
    if not isinstance(doc, dict):
        if isinstance(doc, str):
            out += [f"{t} in {where}: {doc[:120]}" for t in TOKEN.findall(doc)
                    if t in known and known[t] not in doc]  # fmt: skip
        return out
    shallow = json.dumps({k: v for k, v in doc.items() if not isinstance(v, list | dict)},
                         ensure_ascii=False)  # fmt: skip
    for k, v in doc.items():
        path = f"{where}.{k}"
        beside = json.dumps(doc.get(f"{k}_names", {}), ensure_ascii=False)
        if isinstance(v, str):
            for t in TOKEN.findall(v):
                if t not in known:
                    continue
                if v == t and known[t] not in shallow:
                    out.append(f"{t} at {path} (no name in its object)")
                elif v != t and known[t] not in v:
                    out.append(f"{t} in {path}: {v[:120]}")
        elif isinstance(v, dict) or (isinstance(v, list) and all(isinstance(x, str) for x in v)):
            unnamed = [t for t in _strings(v) if t in known and known[t] not in beside]
            if unnamed and isinstance(v, dict):  # an object inside: it may name its own ids
                out += missing_in_json(v, known, path)
            else:
                out += [f"{t} in {path} (no {k}_names beside)" for t in unnamed]
        else:
            out += missing_in_json(v, known, path)
    return out


def _strings(v: Any) -> list[str]:
    if isinstance(v, str):
        return [v]
    if isinstance(v, dict):
        return [s for k, x in v.items() for s in (k, *_strings(x))]
    if isinstance(v, list):
        return [s for x in v for s in _strings(x)]
    return []
