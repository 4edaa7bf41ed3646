"""Import profiles: a bank's export conventions declared once, as data in the workspace
(``CASE_DIR/profiles/NAME.toml``), and applied as a streaming pre-step that rewrites the export
into the canonical layout of its record kind (docs/formats.md) before the ordinary ingest.

A profile (every key optional but ``kind``)::

    kind = "bank"                      # the record kind the file becomes
    delimiter = ";"
    encoding = "utf-8"
    decimal = ","                      # decimal mark of amounts
    thousands = "."                    # thousands separator of amounts
    date_format = "%d/%m/%Y %H:%M"     # strptime format of timestamps (and dates)
    utc_offset = "+01:00"              # offset of timestamps that carry none
    [columns]                          # canonical column = column of the export
    txn_id = "Buchungs-ID"
    amount = "Betrag"
    [constants]                        # columns the export lacks, one value for the file
    channel = "sepa"

Nothing is silently altered: a value that does not parse under the profile is passed on as
it is, and the validator rejects it with its reason (``fininvest quarantine``). The original
file is kept byte for byte in ``CASE_DIR/originals/``; the rewritten file goes to ``raw/``
(same records in the same order, one line each, so record numbers and lines agree with the
original's) and the audit entry names both SHA-256s and the profile.
"""

from __future__ import annotations

import csv
import re
import shutil
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from fininvest.errors import BadInput, WorkspaceError
from fininvest.formats.declarations import KINDS
from fininvest.workspace import Workspace

PROFILE_KEYS = {"kind", "delimiter", "encoding", "decimal", "thousands", "date_format",
                "utc_offset", "columns", "constants", "description"}  # fmt: skip


@dataclass
class Profile:
    """One import profile (see the module docstring)."""

    name: str
    kind: str
    delimiter: str = ","
    encoding: str = "utf-8"
    decimal: str = "."
    thousands: str = ""
    date_format: str | None = None
    utc_offset: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)

    def source_column(self, canonical: str) -> str:
        """The export's column for a canonical one (the same name when not mapped)."""
        return self.columns.get(canonical, canonical)

    def number(self, text: str) -> str:
        """An amount in the canonical form, or ``text`` unchanged when it does not parse.

        >>> Profile("p", "bank", decimal=",", thousands=".").number("9.500,00")
        '9500.00'
        >>> Profile("p", "bank", decimal=",", thousands=".").number("9,800.00")
        '9,800.00'
        """
        value = text.strip()
        t, d = re.escape(self.thousands), re.escape(self.decimal)
        grouped = rf"\d{{1,3}}(?:{t}\d{{3}})+" if self.thousands else r"(?!)"
        if not re.fullmatch(rf"[+-]?(?:{grouped}|\d+)(?:{d}\d+)?", value):
            return text  # e.g. a misplaced separator: left for the validator to reject
        if self.thousands:
            value = value.replace(self.thousands, "")
        return value.replace(self.decimal, ".")

    def when(self, text: str, kind: str) -> str:
        """A timestamp or date in ISO 8601, or ``text`` unchanged when it does not parse.

        >>> Profile("p", "bank", date_format="%d/%m/%Y %H:%M", utc_offset="+01:00").when(
        ...     "14/03/2025 21:45", "timestamp")
        '2025-03-14T21:45:00+01:00'
        """
        if not self.date_format or not text.strip():
            return text
        fmt = self.date_format if kind == "timestamp" else self.date_format.split(" ")[0]
        try:
            parsed = datetime.strptime(text.strip(), fmt)
        except ValueError:
            return text
        if kind == "date":
            return parsed.date().isoformat()
        return parsed.isoformat() + (self.utc_offset or "")


def profiles_dir(ws: Workspace) -> Path:
    return ws.path("profiles")


def load_profile(ws: Workspace, name: str) -> Profile:
    """The profile ``CASE_DIR/profiles/NAME.toml``; exit 4 naming the file and key when it
    is not valid."""
    path = profiles_dir(ws) / f"{name}.toml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in profiles_dir(ws).glob("*.toml"))) or "none"
        raise WorkspaceError(
            f"no import profile {name!r} in {profiles_dir(ws)} (profiles: {known})",
            hint="Write one as described in docs/analyst.md (Bring your own export).",
        )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise WorkspaceError(f"{path}: {exc}") from exc
    return _profile(name, raw, path)


def _profile(name: str, raw: dict[str, Any], path: Path) -> Profile:
    unknown = sorted(set(raw) - PROFILE_KEYS)
    if unknown:
        raise WorkspaceError(f"{path}: unknown key(s) {', '.join(unknown)}",
                             hint=f"Known keys: {', '.join(sorted(PROFILE_KEYS))}")  # fmt: skip
    kind = raw.get("kind")
    if kind not in KINDS:
        raise WorkspaceError(f"{path}: kind = {kind!r} is not a record kind",
                             hint=f"One of: {', '.join(KINDS)}")  # fmt: skip
    fields = {f.name for f in KINDS[kind].fields}
    for section in ("columns", "constants"):
        bad = sorted(set(raw.get(section, {})) - fields)
        if bad:
            raise WorkspaceError(
                f"{path}: [{section}] {', '.join(bad)} not a column of the {kind!r} layout",
                hint=f"Columns: {', '.join(f.name for f in KINDS[kind].fields)}",
            )
    for key in ("delimiter", "encoding", "decimal", "thousands", "date_format", "utc_offset"):
        if key in raw and not isinstance(raw[key], str):
            raise WorkspaceError(f"{path}: {key} = {raw[key]!r} must be a quoted text")
    if len(raw.get("delimiter", ",")) != 1:
        raise WorkspaceError(f"{path}: delimiter = {raw['delimiter']!r} must be one character")
    for section in ("columns", "constants"):
        table = raw.get(section, {})
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            raise WorkspaceError(f"{path}: [{section}] values must be quoted texts")
    args = {k: v for k, v in raw.items() if k != "description"}
    return Profile(name=name, **args)


def all_profiles(ws: Workspace) -> list[Profile]:
    """Every valid profile of the workspace."""
    out = []
    for p in sorted(profiles_dir(ws).glob("*.toml")):
        try:
            out.append(load_profile(ws, p.stem))
        except WorkspaceError:
            continue  # an invalid profile is reported when it is used by name
    return out


def read_header(path: Path, delimiter: str, encoding: str = "utf-8") -> list[str]:
    with open(path, encoding=encoding, newline="", errors="replace") as fh:
        return next(csv.reader(fh, delimiter=delimiter), [])


def suggest(ws: Workspace, path: Path) -> Profile | None:
    """The profile whose columns the file's header holds (the first by name), if any."""
    for prof in all_profiles(ws):
        header = set(read_header(path, prof.delimiter, prof.encoding))
        kind = KINDS[prof.kind]
        needed = {prof.source_column(f.name) for f in kind.fields
                  if f.required and f.name not in prof.constants}  # fmt: skip
        if prof.columns and needed <= header:
            return prof
    return None


def apply_profile(ws: Workspace, prof: Profile, source: Path) -> tuple[Path, Path]:
    """Rewrite ``source`` into the canonical layout of the profile's kind, streaming.

    Returns (the rewritten file in ``raw/``, the original kept in ``originals/``).
    Complexity: one pass over the file, one record in memory at a time.
    """
    kind = KINDS[prof.kind]
    header = read_header(source, prof.delimiter, prof.encoding)
    present = set(header)
    out_cols = [f for f in kind.fields
                if prof.source_column(f.name) in present or f.name in prof.constants]  # fmt: skip
    missing = [f.name for f in kind.fields if f.required and f not in out_cols]
    if missing:
        raise BadInput(
            f"{source.name}: profile {prof.name!r} finds no column for {', '.join(missing)}",
            hint=f"Map them in [columns] or give them in [constants] of "
            f"{profiles_dir(ws) / (prof.name + '.toml')}",
        )
    originals = ws.path("originals")
    originals.mkdir(exist_ok=True)
    kept = originals / source.name
    if source.resolve() != kept.resolve():
        shutil.copyfile(source, kept)
    target = ws.path("raw", f"{Path(source.name).stem}.{prof.name}.csv")
    tmp = target.with_name(f".{target.name}.partial")
    position = {name: i for i, name in enumerate(header)}
    with (
        open(source, encoding=prof.encoding, newline="") as fin,
        open(tmp, "w", encoding="utf-8", newline="") as fout,
    ):
        reader = csv.reader(fin, delimiter=prof.delimiter)
        writer = csv.writer(fout, lineterminator="\n")
        next(reader, None)
        writer.writerow([f.name for f in out_cols])
        for row in reader:
            writer.writerow([_value(prof, f.name, f.type, row, position) for f in out_cols])
    tmp.replace(target)
    return target, kept


def _value(prof: Profile, name: str, ftype: str, row: list[str], position: dict[str, int]) -> str:
    at = position.get(prof.source_column(name))
    if at is None:
        return prof.constants.get(name, "")
    text = row[at] if at < len(row) else ""
    if not text.strip() and name in prof.constants:
        return prof.constants[name]
    if ftype == "amount":
        return prof.number(text)
    if ftype in ("timestamp", "date"):
        return prof.when(text, ftype)
    return text
