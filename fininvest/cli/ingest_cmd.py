"""``fininvest ingest``."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from fininvest.cli.output import FORMAT_OPTION, emit, printable, stages
from fininvest.cli.tables import plain, plural
from fininvest.config import check_base_currency_change
from fininvest.errors import BadInput, StrictRejections
from fininvest.formats.declarations import ALL_KIND_NAMES
from fininvest.ingest.inputs import list_inputs
from fininvest.ingest.pipeline import FORMATS, FileSummary, ingest_files
from fininvest.lock import clean_leftovers, workspace_lock
from fininvest.workspace import Workspace, open_workspace


def expand(ws: Workspace, files: tuple[Path, ...]) -> list[Path]:
    """Files as given; a directory means every file in it; nothing means CASE_DIR/raw. What is
    skipped (hidden files, links to nothing, …) is said on stderr."""
    found = list_inputs(list(files) or [ws.path("raw")])
    for note in found.skipped:
        click.echo(f"Note: skipped {note}", err=True)
    return found.files


def render_summaries(
    summaries: list[FileSummary], c: Console, case_dir: Path | str = "CASE_DIR"
) -> None:
    t = Table(
        "file",
        "kind",
        "read",
        "accepted",
        "rejected",
        "added",
        "already there",
        "notes",
        title="Ingest summary",
    )
    for s in summaries:
        notes = Text(s.error, style="red") if s.error else "; ".join(s.notes)
        t.add_row(
            printable(s.file),
            s.kind,
            f"{s.read:,}",
            f"{s.accepted:,}",
            Text(f"{s.rejected:,}", style="yellow") if s.rejected else "0",
            f"{s.added:,}",
            f"{s.already_present:,}",
            notes,
        )
    c.print(t)
    plain(c, what_changed(summaries))
    rej = sum(s.rejected for s in summaries)
    if rej:
        c.print(
            f"{rej:,} records rejected; see them by reason with: fininvest quarantine {case_dir}",
            markup=False,
        )


def what_changed(summaries: list[FileSummary]) -> str:
    """What the ingest changed in the tables, in words: the records added per table, or that
    nothing changed because every accepted record was there already.

    >>> from fininvest.ingest.pipeline import FileSummary
    >>> s = FileSummary("b.csv", "bank", "csv", accepted=4, already_present=4)
    >>> what_changed([s])
    'Nothing changed: the 4 accepted records were all in the case already.'
    >>> s.added, s.tables = 2, {"transactions": 2}
    >>> what_changed([s])
    'Tables changed: transactions +2.'
    """
    added: dict[str, int] = {}
    for s in summaries:
        for table, n in s.tables.items():
            if n:
                added[table] = added.get(table, 0) + n
    if added:
        return "Tables changed: " + ", ".join(f"{t} +{n:,}" for t, n in sorted(added.items())) + "."
    accepted = sum(s.accepted for s in summaries)
    return (
        f"Nothing changed: the {plural(accepted, 'accepted record')} "
        f"{'was' if accepted == 1 else 'were all'} in the case already."
    )


def run_ingest(
    ws: Workspace,
    files: list[Path],
    kind: str | None,
    fmt_in: str | None,
    quiet: bool = False,
    force: bool = False,
) -> list[FileSummary]:
    """Ingest under the case's writer lock: the temporary files of a killed ingest removed
    first, a base-currency change refused unless ``force``, audit entries before and after."""
    params: dict[str, object] = {
        "files": [str(f) for f in files],
        "kind": kind,
        "format": fmt_in,
        "base_currency": ws.base_currency,
    }
    with workspace_lock(ws, "ingest"):
        check_base_currency_change(ws, force=force)
        if removed := clean_leftovers(ws):
            ws.audit("cleanup", {"removed": removed}, counts={"removed": len(removed)})
        with ws.audit_run("ingest", params), stages(len(files) * 5, quiet) as say:
            summaries = ingest_files(ws, files, kind=kind, fmt=fmt_in, progress=say)
        audit_ingest(ws, params, summaries)
    return summaries


def audit_ingest(ws: Workspace, params: dict[str, object], summaries: list[FileSummary]) -> None:
    """The ``ingest`` entry that closes a run: inputs with their SHA-256 and the counts."""
    ws.audit(
        "ingest",
        params,
        inputs=[{"file": s.file, "sha256": s.sha256} for s in summaries],
        counts={
            "read": sum(s.read for s in summaries),
            "accepted": sum(s.accepted for s in summaries),
            "rejected": sum(s.rejected for s in summaries),
            "added": sum(s.added for s in summaries),
            "failed_files": sum(1 for s in summaries if s.error),
        },
        status="ok" if not any(s.error for s in summaries) else "failed_files",
    )


@click.command()
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--kind",
    type=click.Choice(ALL_KIND_NAMES),
    help="Record kind of every file (default: detected from the header / root element).",
)
@click.option(
    "--input-format",
    "fmt_in",
    type=click.Choice(FORMATS),
    help="File format (default: from the suffix or the content).",
)
@click.option(
    "--profile",
    help="Import profile CASE_DIR/profiles/NAME.toml: the export's delimiter, decimal and "
    "thousands marks, date format, column names and constants (docs/analyst.md).",
)
@click.option("--strict", is_flag=True, help="Exit with status 3 if any record was rejected.")
@click.option(
    "--force",
    is_flag=True,
    help="Ingest even though [case] base_currency changed since the tables were built.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
@FORMAT_OPTION
def ingest(
    case_dir: Path,
    files: tuple[Path, ...],
    kind: str | None,
    fmt_in: str | None,
    profile: str | None,
    strict: bool,
    force: bool,
    quiet: bool,
    fmt: str,
) -> None:
    """Validate, normalise and store FILES in the workspace (default: everything in CASE_DIR/raw).

    \b
    Formats: CSV (any of , ; TAB |, optionally .gz), Parquet, goAML XML.
    Kinds: bank, ibm_aml, ibm_accounts, card, kyc_customers, kyc_accounts,
           kyc_identifiers, intel, assets, asset_events, fx, goaml (see docs/formats.md).

    Every rejected record goes to CASE_DIR/quarantine with its file, record number, line,
    field and reason; per file, read = accepted + rejected. Re-ingesting a file is
    idempotent. Exit status 3 if a file cannot be read at all, or with --strict if anything
    was rejected.
    """
    ws = open_workspace(case_dir)
    paths = expand(ws, files)
    if not paths:
        raise BadInput("no input files", hint=f"Put files in {ws.path('raw')} or name them.")
    if profile:
        from fininvest.casefile.profiles import apply_profile, load_profile
        from fininvest.workspace import file_sha256

        prof = load_profile(ws, profile)
        rewritten = [apply_profile(ws, prof, p) for p in paths]
        ws.audit(
            "profile",
            {"profile": profile},
            inputs=[
                {
                    "original": str(o),
                    "original_sha256": file_sha256(o),
                    "file": str(r),
                    "sha256": file_sha256(r),
                }
                for r, o in rewritten
            ],  # fmt: skip
        )
        paths, kind, fmt_in = [r for r, _o in rewritten], prof.kind, "csv"
    summaries = run_ingest(ws, paths, kind, fmt_in, quiet, force)
    if any(s.tables.get("asset_events") or s.tables.get("assets") for s in summaries):
        from fininvest.assets.register import Register  # the register's checks (docs/assets.md)

        synced = Register(ws).sync()
        click.echo(f"asset register: {synced.appended} events added, {len(synced.refused)} "
                   "refused (quarantine/asset-register.parquet)", err=True)  # fmt: skip
    emit(fmt, [s.to_dict() for s in summaries], lambda c: render_summaries(summaries, c, case_dir))
    failed = [s for s in summaries if s.error]
    for s in failed:
        error = s.error or ""
        said = error if error.startswith(s.file) else f"{s.file}: {error}"
        click.secho(f"Error: {printable(said)}", err=True, fg="red")
        if s.hint:
            click.echo(f"Hint: {s.hint}", err=True)
        if not profile:
            _suggest_profile(ws, paths, s.file)
    if failed:
        raise click.exceptions.Exit(BadInput.exit_code)
    if strict and any(s.rejected for s in summaries):
        # the summary is already on stdout, so no second (JSON) document: message + status only
        n = sum(s.rejected for s in summaries)
        click.secho(f"Error: {n:,} records were rejected (--strict)", err=True, fg="red")
        click.echo(
            f"Hint: see why with: fininvest quarantine {case_dir}; fix the source and ingest "
            "again.",
            err=True,
        )
        raise click.exceptions.Exit(StrictRejections.exit_code)


def _suggest_profile(ws: Workspace, paths: list[Path], name: str) -> None:
    """Name the workspace's import profile whose columns the failed file's header holds."""
    from fininvest.casefile.profiles import suggest

    path = next((p for p in paths if p.name == name), None)
    prof = suggest(ws, path) if path is not None else None
    if prof is not None:
        click.echo(
            f"Hint: its header matches the import profile {prof.name!r}: "
            f"fininvest ingest {ws.root} --profile {prof.name} {path}",
            err=True,
        )
