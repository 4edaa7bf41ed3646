"""The investigation workspace: one folder per case.

Layout (created by :func:`init_workspace`)::

    CASE_DIR/
      fininvest.toml     case name, base currency, reporting thresholds, graph connection
      raw/               input files as received (the sample generator writes here)
      tables/<table>/    ingested, normalised Parquet; one part per source file
      quarantine/        rejected records, one Parquet file per source file
      results/           screening alerts, chains, evaluations
      graph/             embedded graph store data (append-only file, snapshots)
      evidence/          evidence packs for prosecutors
      secrets/           owner-only: generated graph password
      truth/             ground truth of synthetic cases (never read by screening)
      audit.jsonl        append-only log of every command run on the case
"""

from __future__ import annotations

import getpass
import hashlib
import json
import mmap
import os
import shutil
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from fininvest import __version__
from fininvest.errors import WorkspaceError

CONFIG_NAME = "fininvest.toml"
AUDIT_NAME = "audit.jsonl"
SUBDIRS = ("raw", "tables", "quarantine", "results", "graph", "evidence", "secrets", "truth")

#: Default per-jurisdiction cash reporting thresholds written into a new workspace.
#: They are starting points to be checked against current national law by the case team.
DEFAULT_THRESHOLDS: dict[str, tuple[int, str, str]] = {
    "US": (10_000, "USD", "31 CFR 1010.311 currency transaction report"),
    "CA": (10_000, "CAD", "FINTRAC large cash transaction report"),
    "AU": (10_000, "AUD", "AUSTRAC threshold transaction report"),
    "GB": (10_000, "EUR", "MLR 2017 high-value dealer cash threshold (EUR 10,000)"),
    "DEFAULT": (
        10_000,
        "EUR",
        "EU AMLR (EU) 2024/1624 cash payment limit; replace with the national rule",
    ),
}


def _config_text(name: str, base_currency: str) -> str:
    lines = [
        "# fininvest workspace configuration. Edit freely; `fininvest status` validates it.",
        "[case]",
        f"name = {json.dumps(name)}",
        f'base_currency = "{base_currency}"',
        f'created = "{datetime.now(UTC).isoformat(timespec="seconds")}"',
        f'fininvest_version = "{__version__}"',
        "",
        "# Cash reporting thresholds per jurisdiction (ISO 3166 alpha-2), in the given currency.",
        "# Screening indicators such as structuring compare amounts against these.",
    ]
    for country, (amount, currency, source) in DEFAULT_THRESHOLDS.items():
        lines += [
            f"[thresholds.{country}]",
            f"cash = {amount}",
            f'currency = "{currency}"',
            f"source = {json.dumps(source)}",
        ]
    lines += [
        "",
        "# Graph store: 'embedded' starts FalkorDB on a unix socket inside graph/;",
        "# 'neo4j' uses uri/user below and the password from the environment or the secrets file.",
        "[graph]",
        'backend = "embedded"',
        'uri = ""',
        'user = "neo4j"',
        "# The embedded server stops after this many minutes without a command (0: never).",
        "idle_stop_minutes = 60",
        "",
        "[secrets]",
        'file = "secrets/graph.password"',
        "",
    ]
    return "\n".join(lines)


@dataclass(frozen=True)
class Workspace:
    """An opened investigation workspace."""

    root: Path
    config: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.config["case"]["name"])

    @property
    def base_currency(self) -> str:
        return str(self.config["case"]["base_currency"])

    def path(self, *parts: str) -> Path:
        return self.root.joinpath(*parts)

    def table_dir(self, table: str) -> Path:
        return self.root / "tables" / table

    def table_parts(self, table: str) -> list[Path]:
        d = self.table_dir(table)
        return sorted(d.glob("part-*.parquet")) if d.is_dir() else []

    def has_table(self, table: str) -> bool:
        return bool(self.table_parts(table))

    def scan(self, table: str) -> pl.LazyFrame:
        """Lazily scan an ingested table (all its parts)."""
        parts = self.table_parts(table)
        if not parts:
            raise WorkspaceError(
                f"table '{table}' is empty in {self.root}",
                hint="Ingest the matching records first: fininvest ingest CASE_DIR FILES...",
            )
        return scan_parts(table, parts)

    def tables(self) -> list[str]:
        d = self.root / "tables"
        return sorted(p.name for p in d.iterdir() if p.is_dir()) if d.is_dir() else []

    def quarantine_parts(self) -> list[Path]:
        return sorted((self.root / "quarantine").glob("*.parquet"))

    def thresholds(self) -> dict[str, dict[str, Any]]:
        return dict(self.config.get("thresholds", {}))

    # ----- audit log -------------------------------------------------------------------------
    def audit(
        self,
        command: str,
        params: dict[str, Any],
        *,
        inputs: list[dict[str, Any]] | None = None,
        counts: dict[str, Any] | None = None,
        status: str = "ok",
    ) -> None:
        """Append one entry to the append-only audit log."""
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "command": command,
            "params": params,
            "inputs": inputs or [],
            "counts": counts or {},
            "status": status,
            "user": _user(),
            "fininvest_version": __version__,
        }
        with open(self.root / AUDIT_NAME, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, default=str, sort_keys=True) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def audit_entries(self) -> list[dict[str, Any]]:
        path = self.root / AUDIT_NAME
        if not path.exists():
            return []
        with open(path, encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return str(os.getuid())


def init_workspace(root: Path, *, name: str | None = None, base_currency: str = "EUR") -> Workspace:
    """Create a workspace in ``root`` (which may exist but must not be a workspace already)."""
    from fininvest.normalise import CURRENCIES

    base_currency = base_currency.upper()
    if base_currency not in CURRENCIES:
        raise WorkspaceError(
            f"unknown base currency '{base_currency}'",
            hint="Use an ISO 4217 code such as EUR, USD or GBP.",
        )
    root = root.resolve()
    if (root / CONFIG_NAME).exists():
        raise WorkspaceError(
            f"{root} is already a fininvest workspace",
            hint="Use it as it is, or choose another directory.",
        )
    root.mkdir(parents=True, exist_ok=True)
    for sub in SUBDIRS:
        (root / sub).mkdir(exist_ok=True)
    os.chmod(root / "secrets", 0o700)
    (root / CONFIG_NAME).write_text(_config_text(name or root.name, base_currency), "utf-8")
    (root / AUDIT_NAME).touch()
    ws = open_workspace(root)
    ws.audit("init", {"name": ws.name, "base_currency": base_currency})
    return ws


def open_workspace(root: Path) -> Workspace:
    """Open an existing workspace, validating its config."""
    root = Path(root).resolve()
    cfg_path = root / CONFIG_NAME
    if not cfg_path.exists():
        raise WorkspaceError(
            f"{root} is not a fininvest workspace (no {CONFIG_NAME})",
            hint=f"Create one with: fininvest init {root}",
        )
    try:
        config = tomllib.loads(cfg_path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise WorkspaceError(f"{cfg_path}: invalid TOML: {exc}") from exc
    problems = []
    case = config.get("case")
    if not isinstance(case, dict):
        problems.append("missing [case] table")
    else:
        for key in ("name", "base_currency"):
            if key not in case:
                problems.append(f"[case] has no '{key}'")
    for country, rule in config.get("thresholds", {}).items():
        if not isinstance(rule, dict) or not isinstance(rule.get("cash"), int | float):
            problems.append(f"[thresholds.{country}] needs a numeric 'cash'")
    if problems:
        raise WorkspaceError(
            f"{cfg_path}: " + "; ".join(problems),
            hint="Compare with a freshly created workspace (fininvest init).",
        )
    for sub in SUBDIRS:
        (root / sub).mkdir(exist_ok=True)
    return Workspace(root=root, config=config)


def scan_parts(table: str, parts: list[Path]) -> pl.LazyFrame:
    """Lazily scan some parts of an ingested table, with the table's declared columns.

    A part leaves out the columns that are null in all its rows
    (:func:`fininvest.ingest.pipeline.stored_columns`); they are read back as nulls of the
    declared dtype here, so every part gives the same columns whatever file it came from.
    """
    # imported here: the declarations load the normalisers (and numba), which opening a
    # workspace does not need
    from fininvest.formats.declarations import TABLE_KEYS, table_schema

    if table not in TABLE_KEYS:
        return pl.scan_parquet(parts)
    return pl.scan_parquet(
        parts, schema=table_schema(table), missing_columns="insert", extra_columns="ignore"
    )


def file_sha256(path: Path, chunk: int = 1 << 22) -> str:
    """SHA-256 of a file's bytes, read through a memory map.

    The pages come straight from the page cache, which the ingest scan maps too, instead of
    being copied by ``read()`` (about 1 s of system time for a 1 GB file here). The hash
    releases the GIL, so it runs beside the parse.
    """
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size:
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as m, memoryview(m) as mv:
                for start in range(0, size, chunk):
                    h.update(mv[start : start + chunk])
    return h.hexdigest()


#: write unit of :func:`copy_file` with ``O_DIRECT``: a multiple of every usual block size
_DIRECT_ALIGN = 4096


def copy_file(source: Path, target: Path, block: int = 8 << 20) -> None:
    """Copy a file byte for byte, with its permissions and times (as ``shutil.copy2``).

    Where the system allows it (Linux, a file system that takes ``O_DIRECT``), the bytes go from
    a memory map of the source straight to the disk, not through the page cache: copying the
    908 MB input of the 10M-row ingest benchmark cost 0.06-0.08 s of system time that way
    against 0.23-0.30 s, and inside the two-core ingest about 1 s of CPU (page-cache pages
    allocated, zeroed and filled) that the parse needed. Otherwise (``O_DIRECT`` refused, as
    tmpfs does) an ordinary copy.
    """
    size = source.stat().st_size
    aligned = size - size % _DIRECT_ALIGN
    direct = getattr(os, "O_DIRECT", 0)
    if direct and aligned:
        try:
            _copy_direct(source, target, aligned, block, direct)
        except OSError:
            target.unlink(missing_ok=True)
        else:
            shutil.copystat(source, target)
            return
    shutil.copy2(source, target)


def _copy_direct(source: Path, target: Path, aligned: int, block: int, direct: int) -> None:
    """The first ``aligned`` bytes with ``O_DIRECT`` (page-aligned memory, whole blocks), the
    rest with an ordinary write."""
    with open(source, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as m:
        with memoryview(m) as mv:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | direct, 0o600)
            try:
                pos = 0
                while pos < aligned:
                    pos += os.write(fd, mv[pos : min(pos + block, aligned)])
            finally:
                os.close(fd)
            with open(target, "r+b") as out:
                out.seek(aligned)
                out.write(mv[aligned:])
