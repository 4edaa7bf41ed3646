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

import fcntl
import functools
import getpass
import hashlib
import json
import mmap
import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from fininvest import __version__
from fininvest.errors import WorkspaceError
from fininvest.permissions import make_private, private_umask

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
                hint=f"Ingest the matching records first: fininvest ingest {self.root} FILES...",
            )
        return scan_parts(table, parts)

    def tables(self) -> list[str]:
        d = self.root / "tables"
        return sorted(p.name for p in d.iterdir() if p.is_dir()) if d.is_dir() else []

    def quarantine_parts(self) -> list[Path]:
        return sorted((self.root / "quarantine").glob("*.parquet"))

    def chains(self, *, required: bool = True) -> list[dict[str, Any]]:
        """The chains of trafficking of ``results/chains.json`` (written by ``fininvest
        chains``). When it is missing: a :class:`WorkspaceError` naming the commands to run,
        or an empty list if not ``required``."""
        path = self.root / "results" / "chains.json"
        if not path.exists():
            if not required:
                return []
            raise WorkspaceError(
                f"{self.root} has no chains yet (results/chains.json)",
                hint=f"Reconstruct them first: fininvest graph load {self.root}, then fininvest "
                f"chains {self.root}",
            )
        chains: list[dict[str, Any]] = json.loads(path.read_text("utf-8"))
        return chains

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
        line = json.dumps(entry, default=str, sort_keys=True) + "\n"
        fd = os.open(self.root / AUDIT_NAME, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # one appender at a time, also across processes
            repair_torn_tail(fd)
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)  # releases the lock

    @contextmanager
    def audit_run(self, command: str, params: dict[str, Any]) -> Iterator[None]:
        """Write a ``started`` entry before the body and a ``failed`` one if it raises, so that
        a command killed half-way still left a trace of what it set out to change (the
        ``ok`` entry with the counts is the caller's, at the end)."""
        self.audit(command, params, status="started")
        try:
            yield
        except BaseException as exc:
            self.audit(command, params, counts={"error": str(exc)[:500]}, status="failed")
            raise

    def audit_entries(self) -> list[dict[str, Any]]:
        """Every entry of the audit log; a line that is not JSON (a torn write that was not
        repaired yet) comes back as ``{"status": "unreadable", "line": n, "text": ...}``."""
        path = self.root / AUDIT_NAME
        if not path.exists():
            return []
        out = []
        with open(path, encoding="utf-8", errors="replace") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:
                    out.append({"command": "?", "status": "unreadable", "line": n,
                                "text": line[:200]})  # fmt: skip
        return out


def repair_torn_tail(fd: int) -> None:
    """If the audit log's last line has no newline (a write cut off by a crash), move it into
    an ``audit repair`` entry that keeps its text, so the log stays one JSON document per line
    and the next entry is not glued onto it."""
    size = os.lseek(fd, 0, os.SEEK_END)
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return
    start = max(0, size - (1 << 20))
    tail = os.pread(fd, size - start, start)
    cut = start + tail.rfind(b"\n") + 1 if b"\n" in tail else start
    torn = os.pread(fd, size - cut, cut)
    os.ftruncate(fd, cut)
    entry = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "command": "audit repair",
        "params": {"torn_line": torn.decode("utf-8", errors="replace")},
        "inputs": [],
        "counts": {"bytes": len(torn)},
        "status": "repaired",
        "user": _user(),
        "fininvest_version": __version__,
    }
    os.write(fd, (json.dumps(entry, sort_keys=True) + "\n").encode("utf-8"))


def current_user() -> str:
    """The login name of whoever runs fininvest (the uid where there is none)."""
    return _user()


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return str(os.getuid())


def init_workspace(root: Path, *, name: str | None = None, base_currency: str = "EUR") -> Workspace:
    """Create a workspace in ``root`` (which may exist but must not be a workspace already)."""
    from fininvest.config import check_value

    base_currency = base_currency.upper()
    if (why := check_value({"type": "currency"}, base_currency)) is not None:
        raise WorkspaceError(
            f"unknown base currency '{base_currency}': {why}",
            hint="Use an ISO 4217 code such as EUR, USD or GBP.",
        )
    root = root.resolve()
    if (root / CONFIG_NAME).exists():
        raise WorkspaceError(
            f"{root} is already a fininvest workspace",
            hint="Use it as it is, or choose another directory.",
        )
    private_umask()
    root.mkdir(parents=True, exist_ok=True)
    make_private(root)
    for sub in SUBDIRS:
        (root / sub).mkdir(mode=0o700, exist_ok=True)
        make_private(root / sub)
    (root / CONFIG_NAME).write_text(_config_text(name or root.name, base_currency), "utf-8")
    (root / AUDIT_NAME).touch()
    for file_name in (CONFIG_NAME, AUDIT_NAME):
        make_private(root / file_name)
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
    from fininvest.config import read_config

    config = read_config(cfg_path)
    private_umask()  # everything this process writes into the case: owner-only
    for sub in SUBDIRS:
        (root / sub).mkdir(mode=0o700, exist_ok=True)
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
    schema = table_schema(table)
    for part in parts:
        check_part_schema(table, part, schema)
    return pl.scan_parquet(parts, schema=schema, missing_columns="insert", extra_columns="ignore")


def check_part_schema(table: str, part: Path, schema: Mapping[str, pl.DataType]) -> None:
    """Refuse a part written with other column types than this version declares.

    A table built by an earlier fininvest can hold, e.g., a vocabulary (``Enum``) with fewer
    values than today's; Polars would fail deep inside a later query with "data type
    mismatch". This says which table and column, and how to rebuild the tables from the
    byte copies in ``raw/`` (ingesting a file again replaces its parts).

    Raises
    ------
    WorkspaceError
        Naming the table, the column and both types.

    Complexity: one Parquet footer read per part and change of the file (cached).
    """
    stat = part.stat()
    stored = _stored_schema(str(part), stat.st_mtime_ns, stat.st_size)
    for name, dtype in stored.items():
        want = schema.get(name)
        if want is None or dtype == want or dtype == pl.Null:
            continue
        root = part.parent.parent.parent
        raise WorkspaceError(
            f"table '{table}' was built by an earlier version of fininvest: column '{name}' "
            f"is stored as {dtype}, this version reads {want} ({part.name})",
            hint=f"Rebuild the tables from the raw copies: fininvest ingest {root}",
        )


@functools.lru_cache(maxsize=4096)
def _stored_schema(path: str, mtime_ns: int, size: int) -> dict[str, pl.DataType]:
    return dict(pl.read_parquet_schema(path))


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
    """Copy a file byte for byte, with its times (as ``shutil.copy2``), owner-only (0600)
    whatever the source's mode: copies land in a case, which is the owner's only.

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
            make_private(target)
            return
    shutil.copy2(source, target)
    make_private(target)


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
