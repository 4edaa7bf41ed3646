"""``fininvest evidence export|verify|list|keygen``: prosecutor evidence packs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from fininvest.cli.output import FORMAT_OPTION, emit, stderr
from fininvest.cli.output import printable as esc
from fininvest.errors import EXIT_BAD_INPUT
from fininvest.workspace import open_workspace

#: exit status of ``evidence verify`` when the pack does not verify (documented in --help)
EXIT_NOT_VERIFIED = EXIT_BAD_INPUT


def _parse_at(_ctx: click.Context, _p: click.Parameter, value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"'{value}': write an ISO 8601 time, e.g. 2026-12-01T12:00:00Z"
        ) from None
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    return at.astimezone(UTC).replace(microsecond=0)


@click.group()
def evidence() -> None:
    """Prosecutor evidence packs: one signed, deterministic BagIt bag per chain.

    \b
    Typical use:
      fininvest evidence keygen CASE_DIR                 # once: an Ed25519 signing key
      fininvest evidence export CASE_DIR --chain CH-4BB2F4A718 --out CH-4BB2F4A718.zip
      fininvest evidence verify CH-4BB2F4A718.zip --key signing-key.pub
      fininvest evidence list CASE_DIR

    What a pack holds and how a court verifies it with standard tools: docs/evidence.md.
    """


@evidence.command()
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.option(
    "--chain",
    "chains",
    multiple=True,
    required=True,
    help="Chain id from `fininvest chains` (CH-…). Repeat for several chains in one pack.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="Where to write the pack: a new folder, or a .zip file.",
)
@click.option(
    "--at",
    "at",
    callback=_parse_at,
    metavar="TIME",
    help="Export time (ISO 8601, UTC if no offset): Bagging-Date, PDF dates, custody "
    "record. The same workspace, chains and --at give a byte-identical pack. "
    "Default: now.",
)
@click.option(
    "--sign-key",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Ed25519 private key (PEM). Default: the workspace key from "
    "`fininvest evidence keygen`, if there is one.",
)
@click.option("--unsigned", is_flag=True, help="Write no signature even if a key exists.")
@click.option("--title", help="The report's title (default: Evidence pack — CHAINS).")
@FORMAT_OPTION
def export(
    case_dir: Path,
    chains: tuple[str, ...],
    out: Path,
    at: datetime,
    sign_key: Path | None,
    unsigned: bool,
    title: str | None,
    fmt: str,
) -> None:
    """Export the chains' evidence as one BagIt bag (folder or .zip).

    The pack holds data/report.html (self-contained) and data/report.pdf: the chain diagram,
    each link's claim and the records that prove it with their provenance (source file,
    SHA-256, record number and line), red flags with their sources, a timeline, money between
    the parties, jurisdictions, assets, chain of custody and how to verify; data/records/*.csv
    (every cited record); data/entities.ftm.json (FollowTheMoney); data/chart.anx (i2
    Analyst's Notebook); data/evidence.json and data/provenance.json. With a key it is signed
    (signature.ed25519 over the tag manifest). Needs `fininvest chains` first.

    \b
    Example:
      fininvest evidence export demo-case --chain CH-4BB2F4A718 --out CH-4BB2F4A718.zip \\
          --at 2026-12-01T12:00:00Z
    """
    from fininvest.evidence.export import export_pack
    from fininvest.evidence.signing import PRIVATE_NAME

    ws = open_workspace(case_dir)
    if sign_key is None and not unsigned and ws.path("secrets", PRIVATE_NAME).is_file():
        sign_key = ws.path("secrets", PRIVATE_NAME)
    if unsigned:
        sign_key = None
    if sign_key is not None and sign_key.is_file() and sign_key.stat().st_mode & 0o077:
        stderr.print(
            f"warning: {esc(str(sign_key))} is readable by others than its owner; chmod 600 it",
            style="yellow",
        )
    with stderr.status("collecting the records, writing the pack (report, PDF, records, "
                       "entities, chart, bag)"):  # fmt: skip
        res, records = export_pack(ws, list(chains), out, at=at, sign_key=sign_key, title=title)
    data = {**res.to_dict(), "chains": list(chains), "records": records}

    def render(c: Console) -> None:
        c.print(
            f"wrote {esc(str(res.path))} ({len(res.files)} files, {records} records, "
            f"payload {res.payload_oxum} bytes.files)"
        )
        c.print(f"tag manifest sha256: {res.tagmanifest_sha256}")
        c.print(
            f"signed by {res.signed_by}"
            if res.signed_by
            else Text.assemble(
                ("unsigned", "yellow"),
                f" (create a key: fininvest evidence keygen {esc(str(ws.root))})",
            )
        )
        c.print(f"verify: fininvest evidence verify {esc(str(res.path))}")
        c.print(
            "seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in res.seconds.items()), style="dim"
        )

    emit(fmt, data, render)


@evidence.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--key",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The signer's public key (PEM). Without it the signature is checked against "
    "the key the pack names: unchanged since signing, but not who signed.",
)
@click.option("--all", "show_all", is_flag=True, help="List the checks that hold too.")
@FORMAT_OPTION
def verify(path: Path, key: Path | None, show_all: bool, fmt: str) -> None:
    """Verify a pack (folder or .zip); needs no workspace.

    Checks every payload file against manifest-sha256.txt (missing, extra, modified with hash
    and size), Payload-Oxum, the tag manifest, the signature (or says "unsigned"), the
    FollowTheMoney entities, and runs the bagit library's validator.

    \b
    Exit status: 0 the pack verifies · 3 it does not (each problem names its file)
    Example:
      fininvest evidence verify CH-4BB2F4A718.zip --key signing-key.pub
    """
    from fininvest.evidence import verify_pack

    rep = verify_pack(path, key)

    def render(c: Console) -> None:
        t = Table("check", "file", "result", "detail", title=esc(str(path)))
        for ch in rep.checks if show_all else rep.problems:
            t.add_row(
                ch.check,
                esc(ch.path or ""),
                "ok" if ch.ok else Text(esc(ch.problem), style="red"),
                esc(ch.detail),
                style=None,
            )
        if t.row_count:
            c.print(t)
        sig = next((ch for ch in rep.checks if ch.check == "signature"), None)
        if sig is not None and sig.ok:
            c.print(f"signature: {esc(sig.detail)}")
        verdict = (
            Text("VERIFIED", style="green")
            if rep.ok
            else Text.assemble(("NOT VERIFIED", "red"), f": {len(rep.problems)} problems")
        )
        c.print(Text.assemble(verdict, f" ({len(rep.checks)} checks)"))

    emit(fmt, rep.to_dict(), render)
    if not rep.ok:
        click.get_current_context().exit(EXIT_NOT_VERIFIED)


@evidence.command("list")
@click.argument("case_dir", type=click.Path(path_type=Path))
@FORMAT_OPTION
def list_packs(case_dir: Path, fmt: str) -> None:
    """List the packs exported from the workspace (from its audit log).

    \b
    Example:
      fininvest evidence list demo-case
    """
    ws = open_workspace(case_dir)
    packs: list[dict[str, Any]] = [
        {
            "time": e.get("time"),
            "chains": e.get("params", {}).get("chains", []),
            "out": e.get("params", {}).get("out"),
            "at": e.get("params", {}).get("at"),
            "user": e.get("user"),
            "tagmanifest_sha256": e.get("counts", {}).get("tagmanifest_sha256"),
            "signed_by": e.get("counts", {}).get("signed_by"),
            "exists": Path(str(e.get("params", {}).get("out"))).exists(),
        }
        for e in ws.audit_entries()
        if e.get("command") == "evidence export" and e.get("status", "ok") == "ok"
    ]

    def render(c: Console) -> None:
        if not packs:
            c.print(
                f"no pack exported yet: fininvest evidence export {ws.root} --chain ID --out PATH",
                markup=False,
            )
            return
        t = Table("exported", "chains", "pack", "tag manifest sha256", "signed by", "by")
        for p in packs:
            where = esc(str(p["out"])) + ("" if p["exists"] else " (no longer there)")
            t.add_row(
                str(p["time"]),
                esc(", ".join(p["chains"])),
                where,
                str(p["tagmanifest_sha256"]),
                str(p["signed_by"] or "unsigned"),
                esc(str(p["user"])),
            )
        c.print(t)

    emit(fmt, packs, render)


@evidence.command()
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.option(
    "--force",
    is_flag=True,
    help="Replace an existing key (old packs keep verifying against the old public key only).",
)
@FORMAT_OPTION
def keygen(case_dir: Path, force: bool, fmt: str) -> None:
    """Create the workspace's Ed25519 signing key (private key owner-only in secrets/).

    The public key goes to secrets/evidence-signing.pub and evidence/signing-key.pub: hand it
    to whoever verifies the packs (`fininvest evidence verify PACK --key signing-key.pub`).

    \b
    Example:
      fininvest evidence keygen demo-case
    """
    import shutil

    from fininvest.evidence import keygen as make_key

    ws = open_workspace(case_dir)
    pair = make_key(ws.path("secrets"), overwrite=force)
    public = ws.path("evidence", "signing-key.pub")
    shutil.copyfile(pair.public_path, public)
    ws.audit("evidence keygen", {"force": force}, counts={"fingerprint": pair.fingerprint})
    data = {
        "private_key": str(pair.private_path),
        "public_key": str(public),
        "fingerprint": pair.fingerprint,
    }
    emit(
        fmt,
        data,
        lambda c: c.print(
            f"signing key {pair.fingerprint}\n  private (owner-only): "
            f"{esc(str(pair.private_path))}\n  public (hand it to verifiers): {esc(str(public))}"
        ),
    )
