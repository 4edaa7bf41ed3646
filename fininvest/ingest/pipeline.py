"""The ingest pipeline: detect → read → validate → finish → deduplicate → store → quarantine.

Nothing is lost: for every file, ``read == accepted + rejected``; every rejected record is kept in
``quarantine/`` with its file, record number, line, field and reason; every accepted row carries
its provenance (file name, SHA-256 of the file, record number, line). Re-ingesting a file
replaces its own parts, so it is idempotent; records whose id another file already brought
are counted as ``already_present`` and not stored twice.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import polars as pl

from fininvest.errors import BadInput, FininvestError, WorkspaceError
from fininvest.formats import readers
from fininvest.formats.accounts import AccountCounts, normalise_accounts
from fininvest.formats.declarations import (
    GOAML,
    KIND_ORDER,
    KINDS,
    SOURCE_KIND_DTYPE,
    TABLE_KEYS,
    kind_by_name,
    table_schema,
)
from fininvest.formats.fields import FinishContext, RecordKind
from fininvest.formats.finishers import REJECT_FIELD, REJECT_REASON
from fininvest.formats.goaml import GoamlRows, parse_goaml
from fininvest.formats.readers import (
    RawRecords,
    check_columns,
    detect_csv_kind,
    first_line,
    parquet_columns,
    read_csv,
    read_head,
    read_parquet,
)
from fininvest.fx import reference_daily_rates
from fininvest.ingest.repeats import RepeatedKeys
from fininvest.ingest.validate import REJECTED_SCHEMA, validate
from fininvest.limits import Limits, limits_from_config
from fininvest.workspace import Workspace, copy_file, file_sha256, scan_parts

FORMATS = ("csv", "parquet", "xml")
QUARANTINE_SCHEMA = {
    "source_file": pl.String, "source_sha256": pl.String, "kind": pl.String,
    "record_no": pl.Int64, "source_line": pl.Int64, "record_id": pl.String,
    "field": pl.String, "reason": pl.String, "raw": pl.String,
}  # fmt: skip

Progress = Callable[[str], None]


@dataclass
class FileSummary:
    """What happened to one input file (also the JSON shape of ``ingest --format json``)."""

    file: str
    kind: str
    format: str
    sha256: str = ""
    read: int = 0
    accepted: int = 0
    rejected: int = 0
    added: int = 0
    already_present: int = 0
    #: accepted records in a currency with no FX rate to the base: kept, base amount empty
    no_base_amount: int = 0
    #: accepted records with an IBAN written with spaces or in lower case, stored compact
    iban_rewritten: int = 0
    #: accepted records with an IBAN-shaped account id of wrong length or check digits:
    #: kept, flagged in ``<column>_iban_valid``
    iban_invalid: int = 0
    tables: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    hint: str | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def detect_format(path: Path, fmt: str | None) -> str:
    if fmt is not None:
        if fmt not in FORMATS:
            raise BadInput(f"unknown format '{fmt}'", hint="Known formats: " + ", ".join(FORMATS))
        return fmt
    name = path.name.lower().removesuffix(".gz")
    for suffix, f in (
        (".parquet", "parquet"),
        (".xml", "xml"),
        (".csv", "csv"),
        (".tsv", "csv"),
        (".txt", "csv"),
    ):
        if name.endswith(suffix):
            return f
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head == b"PAR1":
        return "parquet"
    if head.lstrip().startswith(b"<"):
        return "xml"
    return "csv"


def detect_kind(path: Path, fmt: str, kind: str | None, limits: Limits | None = None) -> str:
    if kind is not None:
        if kind != GOAML:
            kind_by_name(kind)
        return kind
    if fmt == "xml":
        return GOAML
    candidates = [k for k in KINDS.values() if fmt in k.formats]
    limits = limits or Limits()
    if fmt == "parquet":
        cols = parquet_columns(path)
        header = ",".join(cols)
    else:
        data = read_head(path, limits)
        if not data.strip():
            raise BadInput(f"{path.name}: the file is empty", hint="Export the data again.")
        header = first_line(data)
        cols = max((header.split(d) for d in readers.DELIMITERS), key=len)
    check_columns(cols, path.name, limits)
    found = detect_csv_kind(header, candidates)
    if found is None:
        # a link's target may be any file of the user's (say /etc/passwd): never shown
        shown = "a symbolic link: not shown" if path.is_symlink() else repr(header[:200])
        raise BadInput(
            f"{path.name}: cannot tell which kind of record this is from its columns ({shown})",
            hint="Pass --kind. Known kinds: "
            + ", ".join((*KINDS, GOAML))
            + ". The layouts are in docs/formats.md.",
        )
    return found.name


def _order(item: tuple[Path, str, str]) -> int:
    return KIND_ORDER.index(item[2]) if item[2] in KIND_ORDER else len(KIND_ORDER)


def ingest_files(
    ws: Workspace,
    paths: Sequence[Path],
    *,
    kind: str | None = None,
    fmt: str | None = None,
    copy_raw: bool = True,
    progress: Progress | None = None,
) -> list[FileSummary]:
    """Ingest files into the workspace; one summary per file (a failed file gets ``error``)."""
    say = progress or (lambda _msg: None)
    limits = workspace_limits(ws)
    plan: list[tuple[Path, str, str]] = []
    summaries: list[FileSummary] = []
    for p in paths:
        try:
            if not p.is_file():
                raise BadInput(f"{p}: no such file")
            f = detect_format(p, fmt)
            plan.append((p, f, detect_kind(p, f, kind, limits)))
        except FininvestError as exc:
            summaries.append(
                FileSummary(p.name, kind or "?", fmt or "?", error=exc.message, hint=exc.hint)
            )
    for p, f, k in sorted(plan, key=_order):
        s = FileSummary(p.name, k, f)
        copy: Future[Path] | None = None
        try:
            # one helper thread, beside the parse (both release the GIL): the SHA-256, which
            # the first stored chunk needs, then the copy of the file into raw/, kept once the
            # file is ingested (copied after the ingest, 908 MB took 0.4-0.9 s more wall)
            with ThreadPoolExecutor(1) as pool:
                digest = pool.submit(file_sha256, p)
                if copy_raw and not _in_raw(ws, p):
                    copy = pool.submit(_copy_aside, ws, p)
                try:
                    _ingest_one(ws, p, f, k, s, say, digest, limits)
                except BaseException:
                    if copy is not None and not copy.cancel():  # cancelled if not started
                        _drop_copy(copy)
                    raise
            if copy is not None:
                was_link = p.is_symlink()
                _keep_raw(ws, p, s.sha256, copy.result())
                if was_link and not p.is_symlink():
                    s.notes.append(
                        "was a symbolic link: raw/ now holds a copy of its bytes instead"
                    )
        except FininvestError as exc:
            s.error, s.hint = exc.message, exc.hint
            _drop_parts(ws, s.sha256)
        summaries.append(s)
    return summaries


def workspace_limits(ws: Workspace) -> Limits:
    """The input limits the workspace's ``fininvest.toml`` sets (:mod:`fininvest.limits`)."""
    try:
        return limits_from_config(ws.config)
    except ValueError as exc:
        raise WorkspaceError(
            f"{ws.root / 'fininvest.toml'}: {exc}", hint="The limits are listed in docs/limits.md."
        ) from exc


def _in_raw(ws: Workspace, path: Path) -> bool:
    """Is the file already in the workspace's raw/ folder (then it is not copied)? A symbolic
    link there is not: its target's bytes are copied in its place (:func:`_keep_raw`)."""
    if path.is_symlink():
        return False
    return ws.path("raw") in path.absolute().parent.resolve().joinpath(path.name).parents


def _copy_aside(ws: Workspace, path: Path) -> Path:
    """Copy a file into raw/ under a hidden temporary name (see :func:`_keep_raw`)."""
    fd, name = tempfile.mkstemp(prefix=".tmp-", suffix=f"-{path.name}", dir=ws.path("raw"))
    os.close(fd)
    try:
        copy_file(path, Path(name))
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def _drop_copy(copy: Future[Path]) -> None:
    """The ingest failed: remove the raw copy being made (once it is made)."""
    if copy.exception() is None:
        copy.result().unlink(missing_ok=True)


def _keep_raw(ws: Workspace, path: Path, sha: str, copied: Path) -> None:
    """Keep ``copied`` (a copy of ``path`` with SHA-256 ``sha``) as the file's raw copy: under
    its own name, unless raw/ already holds another file of that name (then prefixed with the
    digest); dropped when raw/ already holds this very file."""
    target = ws.path("raw") / path.name
    if target.is_symlink() and path.absolute() == target.absolute():
        os.replace(copied, target)  # the link in raw/ becomes the copy of its target's bytes
        return
    if target.exists():
        if file_sha256(target) == sha:
            copied.unlink()
            return
        target = target.with_name(f"{sha[:8]}-{path.name}")
    os.replace(copied, target)


def _fx(ws: Workspace) -> pl.DataFrame | None:
    return ws.scan("fx_rates").collect() if ws.has_table("fx_rates") else None


def _reference(ws: Workspace) -> Callable[[], pl.DataFrame] | None:
    """The reference rates to the base (read when a record first needs them), or None when
    ``[fx] reference = "none"``."""
    if ws.config.get("fx", {}).get("reference", "ecb") == "none":
        return None
    return partial(reference_daily_rates, ws.base_currency, ws.root)


def _ingest_one(
    ws: Workspace,
    path: Path,
    fmt: str,
    kind_name: str,
    s: FileSummary,
    say: Progress,
    digest: Future[str],
    limits: Limits,
) -> None:
    say(f"{path.name}: reading as {kind_name} ({fmt})")
    if kind_name == GOAML:
        rows, n_reports = parse_goaml(path, say, limits)
        s.notes.append(f"{n_reports:,} reports, {len(rows.transactions):,} transactions")
        s.sha256 = digest.result()
        for sub, raw in _goaml_frames(rows):
            _store(ws, path, KINDS[sub], raw, s, say, digest)
        return
    kind = KINDS[kind_name]
    if fmt not in kind.formats:
        raise BadInput(
            f"{path.name}: kind '{kind_name}' is not read from {fmt}",
            hint="Formats for this kind: " + ", ".join(kind.formats),
        )
    raw = (
        read_parquet(path, kind, limits)
        if fmt == "parquet"
        # a .gz is decompressed into an unnamed file beside the tables (no trace if killed)
        else read_csv(path, kind, limits, scratch=ws.path("tables"))
    )
    s.notes.extend(raw.notes)
    # the digest is awaited only when the first chunk needs it for its provenance: the
    # SHA-256 of a large file (0.5 s per GB) runs beside the first chunk's scan and parse
    _store(ws, path, kind, raw, s, say, digest)


def _goaml_frames(rows: GoamlRows) -> list[tuple[str, RawRecords]]:
    """The parsed goAML rows as each kind's raw records: every declared column (null where
    goAML has none), record numbers counted per kind, validated in chunks like a CSV."""
    out = []
    for sub, table in (
        ("str_reports", rows.reports),
        ("kyc_customers", rows.parties),
        ("kyc_accounts", rows.accounts),
        ("kyc_identifiers", rows.identifiers),
        ("bank", rows.transactions),
    ):
        parsed = table.frame()
        frame = parsed.select(
            *(
                pl.col(f.out) if f.out in parsed.columns else pl.lit(None, pl.String).alias(f.out)
                for f in KINDS[sub].fields
            ),
            # record_no counts the records of this kind in the file; _line is where it starts
            pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("_record_no"),
            pl.col("_line"),
            pl.col("_problem")
            if "_problem" in parsed.columns
            else pl.lit(None, pl.String).alias("_problem"),
        )
        out.append((sub, RawRecords(frame, _chunks=partial(_slices, frame))))
    return out


def _slices(frame: pl.DataFrame) -> Iterator[pl.DataFrame]:
    """``frame`` in pieces of at most ``readers.CHUNK_RECORDS`` rows, as a CSV file is read."""
    size = readers.CHUNK_RECORDS
    for offset in range(0, max(frame.height, 1), size):
        yield frame.slice(offset, size)


def _store(
    ws: Workspace,
    path: Path,
    kind: RecordKind,
    raw: RawRecords,
    s: FileSummary,
    say: Progress,
    digest: Future[str],
) -> None:
    """Validate, finish and write one kind of record from one file, chunk by chunk.

    Each chunk is written to a part in a temporary folder (removed whatever happens);
    duplicates (within the file, and ids another file already brought) are then found on the
    key column alone and removed from the parts that hold them, and the parts replace the
    file's previous ones in one step. ``digest`` (the file's SHA-256, maybe still being
    computed) is awaited when the first part needs it for its provenance.
    """
    table, key = kind.table, TABLE_KEYS[kind.table]
    ws.table_dir(table).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(
        prefix=f".tmp-{kind.name}-", dir=ws.table_dir(table), ignore_cleanup_errors=True
    ) as folder:
        tmp = Path(folder)
        ctx = FinishContext(ws.base_currency, _fx(ws), path.name, _reference(ws))
        no_rate: dict[str, int] = {}
        ibans = AccountCounts()
        rejected_parts: list[pl.DataFrame] = []
        labels_parts: list[pl.DataFrame] = []
        files: list[Path] = []
        rows: list[int] = []  # rows in each part file
        seen = RepeatedKeys()  # each part's key hashes, and which repeat
        # a small pipeline: the next chunk is parsed and the previous one written (both release
        # the GIL) while this one is validated
        chunks = raw.chunks()
        with ThreadPoolExecutor(1) as reader, ThreadPoolExecutor(1) as writer:
            pending = reader.submit(next, chunks, None)
            writes = []
            i = 0
            while (frame := pending.result()) is not None:
                pending = reader.submit(next, chunks, None)
                first = int(frame["_record_no"][0]) if frame.height else 0
                say(
                    f"{path.name}: {kind.name} records {first:,}–{first + frame.height - 1:,}"
                    if frame.height
                    else f"{path.name}: no {kind.name} records"
                )
                out, rejected, labels = _process_chunk(
                    kind, frame, ctx, key, raw.strip_candidates(), ibans
                )
                rejected_parts.append(rejected)
                labels_parts.extend(labels)
                s.sha256 = digest.result()
                out = conform(_with_provenance(out, kind, path, s), table)
                if "amount_base" in out.columns and out["amount_base"].null_count():
                    for cur, n in (
                        out.filter(pl.col("amount_base").is_null())["currency"]
                        .value_counts()
                        .iter_rows()
                    ):
                        no_rate[str(cur)] = no_rate.get(str(cur), 0) + n
                files.append(tmp / f"{i:05d}.parquet")
                writes.append(writer.submit(write_part, out, files[-1]))
                rows.append(out.height)
                seen.add(_key_hashes(out, key))  # while the reader and the writer are busy
                i += 1
            h, repeated = seen.result()  # while the last part is still being written
            for w in writes:
                w.result()
        s.sha256 = digest.result()
        rejected = (
            pl.concat(rejected_parts) if rejected_parts else pl.DataFrame(schema=REJECTED_SCHEMA)
        )
        drop = _duplicates(ws, files, h, repeated, key, table, s)
        if drop.height:
            rejected = pl.concat(
                [
                    rejected,
                    drop.filter(pl.col("reason").is_not_null()).select(list(REJECTED_SCHEMA)),
                ]
            )
            gone = drop["record_no"].implode()
            for i, f in enumerate(files):  # rewrite only the parts that hold dropped records
                if seen.parts[i]["record_no"].is_in(gone).any():
                    kept = pl.read_parquet(f).filter(~pl.col("record_no").is_in(gone))
                    write_part(kept, f)
                    rows[i] = kept.height
        stored = sum(rows)
        # the rows this file brought last time are replaced by the same rows: not "added"
        added = max(stored - _replace_parts(ws, table, s.sha256, kind.name, files, rows), 0)
    if labels_parts:
        label_rows = pl.concat(labels_parts)
        if drop.height:
            label_rows = label_rows.filter(~pl.col("_record_no").is_in(drop["record_no"].implode()))
        label_rows = label_rows.filter(pl.col("value").is_not_null())
        lab_file = ws.table_dir("labels") / f".tmp-{s.sha256[:16]}-{kind.name}.parquet"
        lab_file.parent.mkdir(parents=True, exist_ok=True)
        write_part(conform(_with_provenance(label_rows, kind, path, s), "labels"), lab_file)
        _replace_parts(ws, "labels", s.sha256, kind.name, [lab_file], [label_rows.height])
    if no_rate:
        s.no_base_amount += sum(no_rate.values())
        s.notes.append(
            f"{sum(no_rate.values()):,} records in "
            + ", ".join(f"{c} ({n:,})" for c, n in sorted(no_rate.items()))
            + f" have no FX rate to {ws.base_currency} for their day: accepted with an empty "
            "base amount (ingest an fx file, or see fininvest fx status)"
        )
    if ibans.rewritten or ibans.invalid:
        s.iban_rewritten += ibans.rewritten
        s.iban_invalid += ibans.invalid
        s.notes.append(
            f"{ibans.rewritten:,} records with an IBAN written with spaces or in lower case "
            f"(stored compact, upper case); {ibans.invalid:,} records with an IBAN-shaped "
            "account id of wrong length or check digits (kept, flagged in *_iban_valid)"
        )
    accepted_n = raw.records - rejected.height
    s.read += raw.records
    s.rejected += rejected.height
    s.accepted += accepted_n
    s.added += added
    s.already_present += accepted_n - added  # accepted = added + already present
    s.tables[table] = s.tables.get(table, 0) + added
    _write_quarantine(ws, path, kind, raw, rejected, s)


def _key_hashes(df: pl.DataFrame, key: str) -> pl.DataFrame:
    """64-bit hashes of the key with record numbers: what the duplicate check works on."""
    return df.select(pl.col(key).hash(seed=HASH_SEED).alias("h"), "record_no", "source_line")


HASH_SEED = 0x5EED_F1_1


def _process_chunk(
    kind: RecordKind,
    frame: pl.DataFrame,
    ctx: FinishContext,
    key: str,
    strip_candidates: set[str] | None = None,
    ibans: AccountCounts | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, list[pl.DataFrame]]:
    """Validate and finish one chunk: (accepted rows, rejected records, label rows).

    Account ids are put in their normal form (:mod:`fininvest.formats.accounts`) before the
    finisher, which may build ids from them; what was done is added to ``ibans``."""
    accepted, rejected = validate(kind, frame, strip_candidates)
    accounts = [(f.out, f.account_kind) for f in kind.fields if f.account]
    if accounts and accepted.height:
        accepted, done = normalise_accounts(accepted, accounts)
        if ibans is not None:
            ibans.rewritten += done.rewritten
            ibans.invalid += done.invalid
    if kind.finish is not None and accepted.height:
        accepted = kind.finish(accepted, ctx)
    if REJECT_FIELD in accepted.columns:
        late = accepted.filter(pl.col(REJECT_FIELD).is_not_null())
        if late.height:
            rejected = pl.concat(
                [
                    rejected,
                    late.select(
                        "_record_no",
                        "_line",
                        (pl.col(key) if key in late.columns else pl.lit(None))
                        .cast(pl.String)
                        .alias("record_id"),
                        pl.col(REJECT_FIELD).alias("field"),
                        pl.col(REJECT_REASON).alias("reason"),
                    ),
                ]
            )
            accepted = accepted.filter(pl.col(REJECT_FIELD).is_null())
        accepted = accepted.drop(REJECT_FIELD, REJECT_REASON)
    labels = []
    if kind.labels and accepted.height:
        # ground-truth labels go to their own table, which screening never reads
        labels = [
            accepted.select(
                key, pl.lit(lab).alias("label"), pl.col(lab).alias("value"), "_record_no", "_line"
            )
            for lab in kind.labels
        ]
    return accepted, rejected, labels


def _duplicates(
    ws: Workspace,
    files: list[Path],
    h: pl.DataFrame,
    repeated: pl.DataFrame,
    key: str,
    table: str,
    s: FileSummary,
) -> pl.DataFrame:
    """Records to drop: repeated ids within the file (rejected, with the first occurrence
    named) and ids another file already brought (counted as already present, not rejected).

    Works on 64-bit hashes of the key (cheap to compare: ``h`` and ``repeated`` from
    :class:`~fininvest.ingest.repeats.RepeatedKeys`); every hash match is confirmed on the key
    itself, so a hash collision can never drop a record.

    Returns ``record_no``, ``_record_no``, ``_line``, ``record_id``, ``field``, ``reason``;
    ``reason`` is null for records that are already present.
    """
    empty = pl.DataFrame(schema={"record_no": pl.Int64, **REJECTED_SCHEMA})
    if not files:
        return empty
    out = [empty]

    def keys_of(record_nos: pl.Series) -> pl.DataFrame:
        return (
            scan_parts(table, files)
            .filter(pl.col("record_no").is_in(record_nos.implode()))
            .select(key, "record_no", "source_line")
            .collect()
        )

    if repeated.height:  # confirm on the key itself
        cand = keys_of(repeated["record_no"]).sort("record_no")
        first_seen = cand[key].is_first_distinct()
        first = cand.filter(first_seen).rename({"record_no": "_first", "source_line": "_fl"})
        dup = cand.filter(~first_seen).join(first, on=key, how="left")
        reason = pl.format(
            "duplicate " + key + " '{}'; first seen at record {} (line {})",
            pl.col(key),
            pl.col("_first"),
            pl.col("_fl"),
        )
        out.append(_dropped(dup, key, reason))
    others = [p for p in ws.table_parts(table) if s.sha256[:16] not in p.name]
    if others:
        existing = scan_parts(table, others).select(pl.col(key).hash(seed=HASH_SEED)).collect()
        hits = h.filter(pl.col("h").is_in(existing.to_series().implode()))
        if hits.height:
            cand = keys_of(hits["record_no"])
            theirs = (
                scan_parts(table, others)
                .select(key)
                .filter(pl.col(key).is_in(cand[key].implode()))
                .collect()
            )
            seen = cand.filter(pl.col(key).is_in(theirs[key].implode()))
            if len(out) > 1:  # a repeated id that is also elsewhere is only dropped once
                seen = seen.filter(~pl.col("record_no").is_in(out[1]["record_no"].implode()))
            out.append(_dropped(seen, key, pl.lit(None, pl.String)))
    return pl.concat(out)


def _dropped(rows: pl.DataFrame, key: str, reason: pl.Expr) -> pl.DataFrame:
    """Rows to drop, in the shape :func:`_duplicates` returns (null reason: already present)."""
    return rows.select(
        "record_no",
        pl.col("record_no").alias("_record_no"),
        pl.col("source_line").alias("_line"),
        pl.col(key).cast(pl.String).alias("record_id"),
        pl.lit(key).alias("field"),
        reason.alias("reason"),
    )


def _with_provenance(
    df: pl.DataFrame, kind: RecordKind, path: Path, s: FileSummary
) -> pl.DataFrame:
    return df.with_columns(
        pl.lit(kind.name, SOURCE_KIND_DTYPE).alias("source_kind"),
        pl.lit(path.name, pl.Categorical()).alias("source_file"),
        pl.lit(s.sha256, pl.Categorical()).alias("source_sha256"),
        pl.col("_record_no").alias("record_no"),
        pl.col("_line").alias("source_line"),
    ).drop("_record_no", "_line")


def conform(df: pl.DataFrame, table: str) -> pl.DataFrame:
    """Give every part of a table the same columns and dtypes, in the declared order."""
    schema = table_schema(table)
    return df.select(
        [
            (pl.col(c).cast(t) if c in df.columns else pl.lit(None, t)).alias(c)
            for c, t in schema.items()
        ]
    )


def stored_columns(df: pl.DataFrame) -> pl.DataFrame:
    """A table part as it is stored: without the columns that are null in every row, which
    :func:`fininvest.workspace.scan_parts` reads back as nulls. Polars writes an all-null text
    column row by row (0.02 s per million rows, its dictionary attempt): the bank format's
    five absent text columns were a fifth of the 10M-row ingest's writing."""
    if df.height == 0:
        return df
    return df.select([c for c in df.columns if df[c].null_count() < df.height])


def write_part(df: pl.DataFrame, target: Path) -> None:
    """Write one part of a workspace table as ingest stores it: :func:`stored_columns`, LZ4."""
    _write(stored_columns(df), target)


def _write(df: pl.DataFrame, target: Path) -> None:
    """Write a Parquet file atomically (temporary name, then rename)."""
    tmp = target.with_suffix(".partial")
    # lz4 without column statistics: the fastest write measured here (docs/performance.md);
    # nothing in fininvest relies on Parquet min/max statistics
    df.write_parquet(tmp, compression="lz4", statistics=False)
    os.replace(tmp, target)


def _replace_parts(
    ws: Workspace, table: str, sha: str, kind: str, files: list[Path], rows: list[int]
) -> int:
    """Make ``files`` (holding ``rows`` rows each) the parts of ``table`` that come from this
    source file and kind; empty files are dropped. Returns the rows the replaced parts held
    (an earlier ingest of the same bytes)."""
    prefix = f"part-{sha[:16]}-{kind}"
    replaced = 0
    for old in ws.table_parts(table):
        if old.name.startswith(prefix):
            replaced += pl.scan_parquet(old).select(pl.len()).collect().item()
            old.unlink()
    for i, (f, n) in enumerate(zip(files, rows, strict=True)):
        if n:
            os.replace(f, ws.table_dir(table) / f"{prefix}-{i:05d}.parquet")
        else:
            f.unlink()
    return replaced


def _drop_parts(ws: Workspace, sha: str) -> None:
    if not sha:
        return
    for table in ws.tables():
        for p in ws.table_parts(table):
            if f"part-{sha[:16]}-" in p.name:
                p.unlink()


def _raw_column(raw: RawRecords, record_nos: np.ndarray, batch: int = 1 << 18) -> pl.Series:
    """The raw text of the rejected records, made a batch at a time: a file of millions of
    rejected lines never holds a Python string per line at once."""
    parts = [
        pl.Series("raw", raw.raw_text(record_nos[i : i + batch]), dtype=pl.String)
        for i in range(0, len(record_nos), batch)
    ]
    return pl.concat(parts) if parts else pl.Series("raw", [], dtype=pl.String)


def _write_quarantine(
    ws: Workspace,
    path: Path,
    kind: RecordKind,
    raw: RawRecords,
    rejected: pl.DataFrame,
    s: FileSummary,
) -> None:
    target = ws.path("quarantine", f"{s.sha256[:16]}-{kind.name}.parquet")
    if rejected.height == 0:
        target.unlink(missing_ok=True)
        return
    rejected = rejected.sort("_record_no")
    record_nos = rejected["_record_no"].to_numpy()
    q = rejected.select(
        pl.lit(path.name).alias("source_file"),
        pl.lit(s.sha256).alias("source_sha256"),
        pl.lit(kind.name).alias("kind"),
        pl.col("_record_no").alias("record_no"),
        pl.col("_line").alias("source_line"),
        "record_id",
        "field",
        "reason",
        _raw_column(raw, record_nos),
    ).cast(QUARANTINE_SCHEMA)  # type: ignore[arg-type]
    _write(q, target)
