"""The workspace configuration, ``fininvest.toml``: its schema, declared once as data, and its
validation.

:data:`SCHEMA` says, for every table, which keys it takes, of which type, with which default
and what each means; ``docs/configuration.md`` is generated from it (a test fails on drift).
:func:`validate_config` checks a whole file against it and reports every problem at once, as a
:class:`~fininvest.errors.WorkspaceError` (exit status 4) naming the file, the table and the key,
with the nearest valid key for a typo. Every command that opens a workspace runs it
(:func:`fininvest.workspace.open_workspace`).

Adding a table is one more entry in :data:`SCHEMA`, or, for a table another module owns, an
entry in :data:`PLUGGED_TABLES` naming the module attribute that holds its spec (the same shape
as the entries of :data:`SCHEMA`).

Examples
--------
>>> validate_config({"case": {"name": "x", "base_currency": "EUR"}})["graph"]["backend"]
'embedded'
>>> nearest("window_dayz", ["window_days", "min_payments"])
'window_days'
"""

from __future__ import annotations

import difflib
import importlib
import tomllib
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fininvest.errors import WorkspaceError

if TYPE_CHECKING:
    from fininvest.workspace import Workspace

#: Value types a key may have, with what the documentation says about each.
TYPES: dict[str, str] = {
    "string": "text",
    "text": "non-empty text",
    "number": "a number (integer or decimal)",
    "integer": "a whole number",
    "boolean": "true or false",
    "currency": "an ISO 4217 currency code (e.g. EUR), of a currency with exchange rates",
    "country": "an ISO 3166-1 alpha-2 country code (e.g. DE)",
    "choice": "one of the listed values",
}

#: The tables of ``fininvest.toml``. A table with ``each`` holds one sub-table per name (a
#: country, an indicator id) with the keys under ``keys``.
SCHEMA: dict[str, dict[str, Any]] = {
    "case": {
        "meaning": "The case: its name and the currency every amount is converted to.",
        "required": True,
        "keys": {
            "name": {"type": "text", "required": True,
                     "meaning": "Case name, shown by every command and in the graph's Case node."},
            "base_currency": {"type": "currency", "required": True, "default": "EUR",
                              "meaning": "Currency every amount is converted to at ingest "
                                         "(amount_base). Changing it once tables exist needs "
                                         "`fininvest ingest --force`."},
            "created": {"type": "string", "meaning": "When the workspace was created (ISO 8601)."},
            "fininvest_version": {"type": "string",
                                  "meaning": "fininvest version that created the workspace."},
            "organization": {"type": "text",
                             "meaning": "The organisation that holds the case: the "
                                        "Source-Organization of its evidence packs."},
        },
    },
    "thresholds": {
        "meaning": "Cash reporting thresholds per jurisdiction, compared by screening "
                   "indicators such as structuring.",
        "each": "country",  # [thresholds.DE], [thresholds.DEFAULT]
        "each_meaning": "an ISO 3166-1 alpha-2 code, or DEFAULT for every other country",
        "keys": {
            "cash": {"type": "number", "required": True,
                     "meaning": "Cash amount at or above which a report is due."},
            "currency": {"type": "currency",
                         "meaning": "Currency of `cash` (when absent: the base currency)."},
            "source": {"type": "string", "meaning": "The rule the threshold comes from."},
        },
    },
    "graph": {
        "meaning": "Graph store: the embedded FalkorDB (default) or a Neo4j 5 server.",
        "keys": {
            "backend": {"type": "choice", "choices": ["embedded", "neo4j"], "default": "embedded",
                        "meaning": "'embedded' starts FalkorDB on a unix socket inside graph/; "
                                   "'neo4j' uses `uri` and `user`."},
            "uri": {"type": "string", "default": "",
                    "meaning": "bolt:// or neo4j:// URI of a Neo4j server (empty: embedded)."},
            "user": {"type": "string", "default": "neo4j", "meaning": "Neo4j user name."},
            "database": {"type": "string", "default": "",
                         "meaning": "Neo4j database (empty: the server's default)."},
            "idle_stop_minutes": {"type": "number", "default": 60,
                                  "meaning": "Minutes without use after which the embedded "
                                             "graph server is stopped (0: never)."},
        },
    },
    "fx": {
        "meaning": "Exchange rates beyond the case's own fx files.",
        "keys": {
            "reference": {"type": "choice", "choices": ["ecb", "none"], "default": "ecb",
                          "meaning": "'ecb': the ECB euro reference rates convert what the "
                                     "case's own rates do not; 'none': only the case's rates."},
        },
    },
    "secrets": {
        "meaning": "Where secrets are kept (owner-only).",
        "keys": {
            "file": {"type": "string", "default": "secrets/graph.password",
                     "meaning": "The embedded graph's generated password, relative to the case."},
        },
    },
    "indicators": {
        "meaning": "Overrides of indicator parameters, one table per indicator id "
                   "(see docs/indicators.md for the parameters and their ranges).",
        "each": "indicator",  # [indicators.structuring] window_days = 10
        "each_meaning": "an indicator id from indicators/",
        "keys": {},  # the parameters of each indicator, read from its file in indicators/
    },
}  # fmt: skip

#: Tables whose keys another module declares: table → ``"module:attribute"``, the attribute
#: being a table spec (the shape of :data:`SCHEMA`'s entries) or a dict of key → ``(type,
#: default, meaning)`` as :data:`fininvest.limits.LIMITS` (input-side hardening) declares its
#: limits: whole numbers, at least 1. Without the module the table is unknown.
PLUGGED_TABLES: dict[str, str] = {"limits": "fininvest.limits:LIMITS"}
PLUGGED_MEANING = {
    "limits": "Limits on what one input file may cost (memory, disk, time); a file beyond a "
    "limit is refused with exit status 3 naming the limit (see docs/limits.md).",
}

#: ISO 4217 codes that are not money one can convert to: precious metals, funds, drawing
#: rights, test and "no currency" codes, and bitcoin. The X-codes that are currencies stay.
NOT_MONEY = frozenset({
    "XAU", "XAG", "XPT", "XPD", "XDR", "XSU", "XUA", "XBA", "XBB", "XBC", "XBD", "XTS", "XXX",
    "XBT", "BOV", "CHE", "CHW", "CLF", "COU", "MXV", "USN", "UYI", "UYW",
})  # fmt: skip


def nearest(word: str, choices: Iterable[str]) -> str | None:
    """The choice closest to ``word`` (a likely typo), or None when nothing is close."""
    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def table_spec(table: str) -> dict[str, Any] | None:
    """The spec of ``table``: from :data:`SCHEMA`, or the module named in
    :data:`PLUGGED_TABLES` (``{}`` when it declares none: the table is not checked here)."""
    if table in SCHEMA:
        return SCHEMA[table]
    if table in PLUGGED_TABLES:
        module, _, attr = PLUGGED_TABLES[table].partition(":")
        try:
            declared = getattr(importlib.import_module(module), attr, None)
        except ImportError:
            return None
        if not isinstance(declared, dict):
            return {}  # nothing declared: the table is its module's to check
        if "keys" in declared:
            return declared
        kinds = {int: "integer", float: "number", str: "string", bool: "boolean"}
        return {
            "meaning": PLUGGED_MEANING.get(table, f"Read by {module}."),
            "keys": {
                key: {
                    "type": kinds.get(t, "string"),
                    "default": default,
                    "meaning": meaning,
                    **({"min": 1} if t in (int, float) else {}),
                }  # fmt: skip
                for key, (t, default, meaning) in declared.items()
            },
        }
    return None


def known_tables() -> list[str]:
    return [t for t in (*SCHEMA, *PLUGGED_TABLES) if table_spec(t) is not None]


def _currencies() -> tuple[frozenset[str], frozenset[str]]:
    from fininvest.codes import COUNTRIES, CURRENCIES

    return CURRENCIES - NOT_MONEY, COUNTRIES | {"XK"}


def check_value(spec: dict[str, Any], value: Any) -> str | None:
    """Why ``value`` does not fit the key ``spec``, or None."""
    kind = spec["type"]
    if kind in ("string", "text", "currency", "country", "choice") and not isinstance(value, str):
        return f"expected {TYPES[kind]}, got {type(value).__name__} {value!r}"
    if kind == "text" and not value.strip():
        return "must not be empty"
    if kind in ("number", "integer"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"expected {TYPES[kind]}, got {type(value).__name__} {value!r}"
        if kind == "integer" and not isinstance(value, int):
            return f"expected a whole number, got {value!r}"
        if value < spec.get("min", 0):
            return f"{value} is below the minimum {spec.get('min', 0)}"
        if "max" in spec and value > spec["max"]:
            return f"{value} is above the maximum {spec['max']}"
    if kind == "boolean" and not isinstance(value, bool):
        return f"expected true or false, got {value!r}"
    if kind == "currency":
        money, _ = _currencies()
        if value not in money:
            close = nearest(value.upper(), money)
            return f"{value!r} is not an ISO 4217 currency one can convert amounts to" + (
                f" (did you mean '{close}'?)" if close else ""
            )
    if kind == "country" and value not in _currencies()[1]:
        return f"{value!r} is not an ISO 3166-1 alpha-2 country code"
    if kind == "choice" and value not in spec["choices"]:
        return f"{value!r} is not one of " + ", ".join(spec["choices"])
    return None


@lru_cache(maxsize=1)
def indicator_parameters() -> dict[str, dict[str, Any]]:
    """Indicator id → parameter name → its declaration, read from ``indicators/*.toml``
    (without loading the catalogue, whose checks run at screening)."""
    from fininvest.resources import resource_dir

    out = {}
    for path in sorted(resource_dir("indicators").glob("*.toml")):
        data = tomllib.loads(path.read_text("utf-8"))
        out[str(data.get("id", path.stem))] = dict(data.get("parameters", {}))
    return out


def _check_keys(
    where: str,
    values: dict[str, Any],
    keys: dict[str, Any],
    problems: list[str],
    what: str = "key",
) -> None:
    """Unknown keys (with the nearest known one) and values of the wrong type."""
    for key, value in values.items():
        if key not in keys:
            close = nearest(key, keys)
            problems.append(
                f"{where}: unknown {what} '{key}'"
                + (f" (did you mean '{close}'?)" if close else "")
                + (f"; known {what}s: " + ", ".join(keys) if keys else "")
            )
        elif (why := _check_value_any(keys[key], value)) is not None:
            problems.append(f"{where} {key}: {why}")
    for key, spec in keys.items():
        if spec.get("required") and key not in values:
            problems.append(f"{where}: missing key '{key}' ({spec['meaning']})")


def _indicator_keys(ind: str) -> dict[str, Any]:
    keys = {}
    for name, p in indicator_parameters()[ind].items():
        default = p.get("default")
        if isinstance(default, list):
            keys[name] = {"type": "list", "meaning": p.get("description", "")}
        else:
            keys[name] = {"type": "number", "meaning": p.get("description", "")}
            keys[name].update({k: p[k] for k in ("min", "max") if k in p})
    return keys


def _check_value_any(spec: dict[str, Any], value: Any) -> str | None:
    if spec["type"] == "list":
        return None if isinstance(value, list) else f"expected a list, got {value!r}"
    return check_value(spec, value)


def _check_table(table: str, spec: dict[str, Any], value: Any, problems: list[str]) -> None:
    if not isinstance(value, dict):
        problems.append(
            f"'{table}' must be a table ([{table}]), got {type(value).__name__} {value!r}"
        )
        return
    each = spec.get("each")
    if each is None:
        _check_keys(f"[{table}]", value, spec.get("keys", {}), problems)
        return
    for name, sub in value.items():
        where = f"[{table}.{name}]"
        if not isinstance(sub, dict):
            problems.append(f"{where} must be a table, got {type(sub).__name__} {sub!r}")
            continue
        if each == "country":
            if name != "DEFAULT" and (why := check_value({"type": "country"}, name)) is not None:
                problems.append(f"{where}: {why} (or DEFAULT)")
            _check_keys(where, sub, spec["keys"], problems)
        elif each == "indicator":
            params = indicator_parameters()
            if name not in params:
                close = nearest(name, params)
                problems.append(
                    f"{where}: no such indicator" + (f" (did you mean '{close}'?)" if close else "")
                )
                continue
            _check_keys(where, sub, _indicator_keys(name), problems, what="parameter")


def with_defaults(config: dict[str, Any]) -> dict[str, Any]:
    """``config`` with the declared default of every missing key of a plain table."""
    out = dict(config)
    for table, spec in SCHEMA.items():
        if spec.get("each") is not None:
            continue
        values = dict(out.get(table, {}))
        for key, kspec in spec["keys"].items():
            if "default" in kspec:
                values.setdefault(key, kspec["default"])
        out[table] = values
    return out


def validate_config(config: dict[str, Any], path: Path | str = "fininvest.toml") -> dict[str, Any]:
    """Check a parsed ``fininvest.toml`` against :data:`SCHEMA`; the config with defaults.

    Parameters
    ----------
    config : the parsed TOML.
    path : the file, named in the error.

    Returns
    -------
    The config with the declared defaults filled in.

    Raises
    ------
    WorkspaceError (exit status 4) listing every problem, each naming its table and key.

    Complexity: linear in the number of keys (the indicator files are read once per process).
    """
    problems: list[str] = []
    for table, value in config.items():
        spec = table_spec(table)
        if spec is None:
            close = nearest(table, known_tables())
            problems.append(
                f"unknown table or key '{table}'"
                + (f" (did you mean '[{close}]'?)" if close else "")
                + "; known tables: "
                + ", ".join(f"[{t}]" for t in known_tables())
            )
        elif spec:  # a plugged table with no spec is its module's to check
            _check_table(table, spec, value, problems)
    for table, spec in SCHEMA.items():
        if spec.get("required") and table not in config:
            problems.append(f"missing table [{table}] ({spec['meaning']})")
    if problems:
        raise WorkspaceError(
            f"{path}: {len(problems)} problem(s) in the configuration:\n  - "
            + "\n  - ".join(problems),
            hint="Fix the named keys; every key is described in docs/configuration.md "
            "(compare with a freshly created workspace: fininvest init).",
        )
    return with_defaults(config)


def read_config(path: Path) -> dict[str, Any]:
    """Read and validate ``fininvest.toml`` (exit status 4 naming the file on any problem)."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WorkspaceError(
            f"{path}: the file is not UTF-8 text (byte {exc.start} is "
            f"{exc.object[exc.start : exc.start + 1]!r})",
            hint="Save fininvest.toml as UTF-8 (TOML requires it).",
        ) from exc
    except OSError as exc:
        raise WorkspaceError(f"{path}: cannot be read ({exc.strerror})") from exc
    try:
        config = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WorkspaceError(f"{path}: invalid TOML: {exc}") from exc
    return validate_config(config, path)


def schema_md() -> str:
    """``docs/configuration.md``: every table and key of :data:`SCHEMA`."""
    lines = [
        "# Configuration: `fininvest.toml`",
        "",
        "<!-- generated by `python -m fininvest.docgen` from fininvest/config.py; do not edit -->",
        "",
        "Every case workspace has a `fininvest.toml`. Every command that opens the workspace "
        "validates it first: an unknown table or key (with the nearest valid key for a typo), a "
        "value of the wrong type, an unknown currency or country code, or a file that is not "
        "UTF-8 stops the command with exit status 4, naming the file, the table and the key.",
        "",
    ]
    tables = [(t, s) for t, s in SCHEMA.items()]
    tables += [(t, s) for t in PLUGGED_TABLES if (s := table_spec(t))]
    for table, spec in tables:
        lines += table_md(table, spec)
    return "\n".join(lines)


def table_md(table: str, spec: dict[str, Any]) -> list[str]:
    """The documentation of one table of the schema, as Markdown lines."""
    head = f"[{table}.<{spec['each']}>]" if spec.get("each") else f"[{table}]"
    lines = [f"## `{head}`", "", spec["meaning"], ""]
    if spec.get("each"):
        lines += [f"`<{spec['each']}>` is {spec['each_meaning']}.", ""]
    if spec["keys"]:
        lines += ["| key | type | default | required | meaning |", "|---|---|---|---|---|"]
        for key, k in spec["keys"].items():
            kind = TYPES[k["type"]]
            if k["type"] == "choice":
                kind += ": " + ", ".join(f"`{c}`" for c in k["choices"])
            if k["type"] in ("number", "integer"):
                kind += f", at least {k.get('min', 0)}" + (
                    f", at most {k['max']}" if "max" in k else ""
                )
            default = f"`{k['default']!r}`" if "default" in k else ""
            required = "yes" if k.get("required") else ""
            lines.append(f"| `{key}` | {kind} | {default} | {required} | {k['meaning']} |")
        lines.append("")
    elif spec.get("each") == "indicator":
        lines += ["The keys are the parameters of that indicator, with the ranges "
                  "docs/indicators.md gives.", ""]  # fmt: skip
    return lines


def tables_base_currency(ws: Workspace) -> str | None:
    """The base currency the case's stored amounts were converted to: the one the last
    ``ingest`` (or ``init``) recorded in the audit log; None for a case without tables."""
    if not any(ws.table_parts(t) for t in ws.tables()):
        return None
    for e in reversed(ws.audit_entries()):
        if e.get("command") in ("init", "ingest") and e.get("status") in ("ok", "failed_files"):
            found = (e.get("params") or {}).get("base_currency")
            if found:
                return str(found)
    return None


def check_base_currency_change(ws: Workspace, *, force: bool = False) -> None:
    """Refuse an ingest after ``[case] base_currency`` changed under existing tables, unless
    ``force``: every amount would be converted again and every transaction without an exchange
    rate to the new currency would move to the quarantine (a table could be emptied)."""
    stored = tables_base_currency(ws)
    if force or stored is None or stored == ws.base_currency:
        return
    raise WorkspaceError(
        f"{ws.path('fininvest.toml')}: [case] base_currency is {ws.base_currency}, but the "
        f"case's tables were converted to {stored}. Ingesting now would convert amounts to "
        f"{ws.base_currency} and move every transaction with no exchange rate to "
        f"{ws.base_currency} into the quarantine, which can empty the transactions table.",
        hint=f'Set base_currency = "{stored}" again; or, if the change is meant, ingest with '
        "--force and re-ingest every file so that all amounts are in the new currency.",
    )
