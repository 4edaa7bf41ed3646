"""The indicator catalogue: one declarative TOML file per indicator in ``indicators/``.

Each file says what the red flag is in the field's words, which families it belongs to, which
record fields it needs, its parameters (default, unit, allowed range, and whether the number
comes from a source or is our proposal), its weight, and the public sources it rests on.
:func:`load_catalogue` validates the whole catalogue and reports every problem at once;
``docs/indicators.md`` is generated from it (a test fails on drift).

Changing a threshold means adding a ``[[changes]]`` entry (date, parameter, from, to, reason)
to the file, so the catalogue keeps the history and the reason of every change.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fininvest.errors import EXIT_BAD_INPUT, FininvestError
from fininvest.formats.declarations import TABLES, table_schema
from fininvest.resources import resource_dir

FAMILIES = {
    "sexual_exploitation": "Sexual exploitation",
    "forced_labour": "Forced labour",
    "forced_criminality": "Forced criminality and begging",
    "laundering_mechanics": "Laundering mechanics",
    "technology_facilitated": "Technology-facilitated",
    "travel_logistics": "Travel and logistics",
    "identity_shared_identifiers": "Identity and shared identifiers",
    "victim_control": "Control of victims",
}
LEVELS = ("account", "pair", "merchant", "graph")
SIGNALS = ("suspect", "victim", "both")
UNITS = ("days", "hours", "hour", "months", "count", "share", "share of threshold", "amount",
         "quantile", "multiple", "hops", "MCC list", "country list", "account list",
         "z-score")  # fmt: skip
BASES = ("source", "proposed")
READ = ("primary", "secondary")
TOP_KEYS = {"id", "title", "families", "level", "signals", "weight", "description", "fields",
            "parameters", "citations", "changes"}  # fmt: skip
REQUIRED = TOP_KEYS - {"parameters", "changes"}
PARAM_KEYS = {"default", "unit", "min", "max", "basis", "description"}
CITATION_KEYS = {"document", "issuer", "year", "section", "url", "read"}
CHANGE_KEYS = {"date", "parameter", "from", "to", "reason"}


class CatalogueError(FininvestError):
    """The indicator catalogue (or a workspace override of it) is invalid."""

    exit_code = EXIT_BAD_INPUT
    kind = "catalogue"

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            f"{len(problems)} problem(s) in the indicator catalogue:\n  - "
            + "\n  - ".join(problems),
            hint="Fix the named files in indicators/ (the format is described in "
            "indicators/README.md).",
        )
        self.problems = problems


@dataclass(frozen=True)
class Parameter:
    name: str
    default: Any
    unit: str
    description: str
    basis: str
    min: float | None = None
    max: float | None = None

    def check(self, value: Any) -> str | None:
        """Why ``value`` is not allowed for this parameter, or None."""
        if isinstance(self.default, list):
            return None if isinstance(value, list) else "expected a list"
        if not isinstance(value, int | float) or isinstance(value, bool):
            return "expected a number"
        if self.min is not None and value < self.min:
            return f"{value} is below the minimum {self.min}"
        if self.max is not None and value > self.max:
            return f"{value} is above the maximum {self.max}"
        return None


@dataclass(frozen=True)
class Citation:
    document: str
    issuer: str
    year: int
    section: str
    url: str
    read: str  # "primary": the source text itself was read; "secondary": only a summary of it

    def short(self) -> str:
        return f"{self.issuer} {self.year}, {self.section}"


@dataclass(frozen=True)
class Indicator:
    id: str
    title: str
    families: tuple[str, ...]
    level: str
    signals: str
    weight: float
    description: str
    fields: tuple[str, ...]
    parameters: dict[str, Parameter]
    citations: tuple[Citation, ...]
    changes: tuple[dict[str, Any], ...] = ()
    path: Path = field(default=Path("."), compare=False)

    @property
    def tables(self) -> tuple[str, ...]:
        """The workspace tables this indicator needs (for 'not evaluated' reporting)."""
        return tuple(dict.fromkeys(f.split(".", 1)[0] for f in self.fields))


def _check_file(path: Path, raw: dict[str, Any], problems: list[str]) -> Indicator | None:
    where = path.name
    before = len(problems)
    for k in sorted(set(raw) - TOP_KEYS):
        problems.append(f"{where}: unknown key '{k}'")
    for k in sorted(REQUIRED - set(raw)):
        problems.append(f"{where}: missing '{k}'")
    if len(problems) > before and REQUIRED - set(raw):
        return None
    if raw["id"] != path.stem:
        problems.append(f"{where}: id '{raw['id']}' differs from the file name")
    fams = raw["families"]
    if not fams or not isinstance(fams, list):
        problems.append(f"{where}: 'families' must be a non-empty list")
        fams = []
    for fam in fams:
        if fam not in FAMILIES:
            problems.append(f"{where}: unknown family '{fam}' (known: {', '.join(FAMILIES)})")
    if raw["level"] not in LEVELS:
        problems.append(f"{where}: level '{raw['level']}' is not one of {', '.join(LEVELS)}")
    if raw["signals"] not in SIGNALS:
        problems.append(f"{where}: signals '{raw['signals']}' is not one of {', '.join(SIGNALS)}")
    w = raw["weight"]
    if not isinstance(w, int | float) or not 0 < w <= 5:
        problems.append(f"{where}: weight must be a number in (0, 5], got {w!r}")
    for ref in raw["fields"]:
        table, _, column = str(ref).partition(".")
        if table not in TABLES:
            problems.append(f"{where}: field '{ref}': unknown table '{table}'")
        elif column not in table_schema(table):
            problems.append(f"{where}: field '{ref}': table '{table}' has no column '{column}'")
    params: dict[str, Parameter] = {}
    for name, spec in raw.get("parameters", {}).items():
        for k in sorted(set(spec) - PARAM_KEYS):
            problems.append(f"{where}: parameter '{name}': unknown key '{k}'")
        missing = {"default", "unit", "basis", "description"} - set(spec)
        if missing:
            problems.append(f"{where}: parameter '{name}': missing {', '.join(sorted(missing))}")
            continue
        if spec["unit"] not in UNITS:
            problems.append(f"{where}: parameter '{name}': unknown unit '{spec['unit']}'")
        if spec["basis"] not in BASES:
            problems.append(f"{where}: parameter '{name}': basis must be source or proposed")
        prm = Parameter(
            name,
            spec["default"],
            spec["unit"],
            spec["description"],
            spec["basis"],
            spec.get("min"),
            spec.get("max"),
        )
        why = prm.check(prm.default)
        if why:
            problems.append(f"{where}: parameter '{name}': default {why}")
        params[name] = prm
    cites = []
    if not raw["citations"]:
        problems.append(f"{where}: at least one citation is required")
    for i, cit in enumerate(raw["citations"], start=1):
        missing = CITATION_KEYS - set(cit)
        if missing:
            problems.append(f"{where}: citation {i}: missing {', '.join(sorted(missing))}")
            continue
        if not str(cit["url"]).startswith(("https://", "http://")):
            problems.append(f"{where}: citation {i}: url must be http(s)")
        if cit["read"] not in READ:
            problems.append(f"{where}: citation {i}: read must be primary or secondary")
        cites.append(
            Citation(
                cit["document"],
                cit["issuer"],
                int(cit["year"]),
                cit["section"],
                cit["url"],
                cit["read"],
            )
        )
    for i, ch in enumerate(raw.get("changes", []), start=1):
        if set(ch) != CHANGE_KEYS:
            problems.append(f"{where}: change {i}: needs exactly {', '.join(sorted(CHANGE_KEYS))}")
        elif ch["parameter"] not in params:
            problems.append(f"{where}: change {i}: unknown parameter '{ch['parameter']}'")
    if len(problems) > before:
        return None
    return Indicator(
        raw["id"],
        raw["title"],
        tuple(fams),
        raw["level"],
        raw["signals"],
        float(w),
        raw["description"],
        tuple(raw["fields"]),
        params,
        tuple(cites),
        tuple(raw.get("changes", [])),
        path,
    )


def load_catalogue(folder: Path | None = None) -> dict[str, Indicator]:
    """Load and validate every ``*.toml`` indicator file.

    Raises
    ------
    CatalogueError
        Listing every problem in every file (unknown key or parameter, missing citation,
        unknown table or column, default out of range, family without indicators, …).
    """
    folder = folder or resource_dir("indicators")
    problems: list[str] = []
    out: dict[str, Indicator] = {}
    for path in sorted(folder.glob("*.toml")):
        try:
            raw = tomllib.loads(path.read_text("utf-8"))
        except tomllib.TOMLDecodeError as exc:
            problems.append(f"{path.name}: invalid TOML: {exc}")
            continue
        ind = _check_file(path, raw, problems)
        if ind is not None:
            out[ind.id] = ind
    if not out and not problems:
        problems.append(f"{folder}: no indicator files")
    covered = {f for ind in out.values() for f in ind.families}
    for fam in FAMILIES:
        if out and fam not in covered:
            problems.append(f"no indicator covers the family '{fam}'")
    if problems:
        raise CatalogueError(problems)
    return out


def effective_parameters(
    catalogue: dict[str, Indicator], overrides: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Parameters of every indicator after a workspace's ``[indicators.<id>]`` overrides.

    Raises CatalogueError listing every unknown indicator, unknown parameter or value out of
    its allowed range.
    """
    problems = []
    out = {i: {p.name: p.default for p in ind.parameters.values()} for i, ind in catalogue.items()}
    for ind_id, values in overrides.items():
        if ind_id not in catalogue:
            problems.append(f"[indicators.{ind_id}]: no such indicator")
            continue
        for name, value in values.items():
            prm = catalogue[ind_id].parameters.get(name)
            if prm is None:
                problems.append(f"[indicators.{ind_id}]: unknown parameter '{name}'")
            elif (why := prm.check(value)) is not None:
                problems.append(f"[indicators.{ind_id}] {name}: {why}")
            else:
                out[ind_id][name] = value
    if problems:
        raise CatalogueError(problems)
    return out
