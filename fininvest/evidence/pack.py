"""Write a pack: :func:`write_pack` turns a :class:`PackContent` into a signed BagIt bag.

Layout (RFC 8493, BagIt 1.0)::

    PACK/
      bagit.txt  bag-info.txt  manifest-sha256.txt  tagmanifest-sha256.txt
      signature.ed25519          (with a signing key: over tagmanifest-sha256.txt)
      data/report.html  data/report.pdf  data/entities.ftm.json  data/chart.anx
      data/evidence.json  data/provenance.json  data/records/<kind>.csv

The bag is made by the ``bagit`` library. Everything is a function of the content and the
export time: records sorted by id, JSON with sorted keys, the PDF dated from ``at``, the
``Bagging-Date`` from ``at``; a ``.zip`` has its entries sorted, dated 1980-01-01 and
mode 0644. So the same workspace, chains and ``at`` give the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
import threading
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from fininvest import __version__
from fininvest.errors import BadInput
from fininvest.evidence.anx import build_anx
from fininvest.evidence.content import RECORD_KINDS, PackContent, Record
from fininvest.evidence.ftm import entities_text
from fininvest.evidence.html import render_html
from fininvest.evidence.pdf import render_pdf
from fininvest.evidence.report import build_report
from fininvest.evidence.signing import SIGNATURE_NAME, SIGNED_FILE, fingerprint, load_private
from fininvest.evidence.signing import signature_text as make_signature

ZIP_TIME = (1980, 1, 1, 0, 0, 0)
#: bagit.py chdirs into the bag while it writes one: held around every bag step of the process
BAG_LOCK = threading.Lock()
PROVENANCE_HEADER = ("source_file", "source_sha256", "record_no", "source_line")


@dataclass
class PackResult:
    """What :func:`write_pack` wrote."""

    path: Path
    files: list[str]  # relative paths inside the bag, sorted
    tagmanifest_sha256: str
    payload_oxum: str
    signed_by: str | None
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "files": self.files,
            "tagmanifest_sha256": self.tagmanifest_sha256,
            "payload_oxum": self.payload_oxum,
            "signed_by": self.signed_by,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
        }


def iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def records_csv(records: list[Record]) -> str:
    """Records of one kind as CSV: ``record_id``, their fields, their provenance; by id."""
    columns: list[str] = []
    for r in records:
        for k, v in r.fields.items():
            if v is not None and k not in columns:
                columns.append(k)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["record_id", *columns, *PROVENANCE_HEADER])
    for r in sorted(records, key=lambda r: r.id):
        p = r.provenance
        prov = (p.source_file, p.source_sha256, p.record_no, p.source_line) if p else ("",) * 4
        w.writerow(
            [
                r.id,
                *(r.fields.get(c) or "" for c in columns),
                *("" if v is None else v for v in prov),
            ]
        )
    return buf.getvalue()


def _dump(data: Any) -> str:
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False, default=str) + "\n"


def write_payload(
    content: PackContent,
    folder: Path,
    *,
    at: datetime,
    title: str,
    signer: str | None,
) -> dict[str, float]:
    """Write the payload files (report, records, entities, chart, JSON) into ``folder``."""
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    blocks = build_report(content, title=title)
    (folder / "report.html").write_text(render_html(blocks, title), "utf-8")
    seconds["html"] = time.perf_counter() - t
    t = time.perf_counter()
    render_pdf(
        blocks, folder / "report.pdf", title=title, author=content.source_organization, at=at
    )
    seconds["pdf"] = time.perf_counter() - t
    t = time.perf_counter()
    (folder / "records").mkdir()
    for kind in RECORD_KINDS:
        of_kind = [r for r in content.records if r.kind == kind]
        if of_kind:
            (folder / "records" / f"{kind}.csv").write_text(records_csv(of_kind), "utf-8")
    (folder / "entities.ftm.json").write_text(entities_text(content), "utf-8")
    (folder / "chart.anx").write_text(build_anx(content), "utf-8")
    (folder / "evidence.json").write_text(
        _dump({"title": title, "exported_at": iso(at), **content.to_dict()}), "utf-8"
    )
    cust = content.custody
    (folder / "provenance.json").write_text(
        _dump(
            {
                "chains": [c.id for c in content.chains],
                "case": content.case_name,
                "exported_at": cust.exported_at,
                "exported_by": cust.exported_by,
                "source_organization": content.source_organization,
                "fininvest_version": cust.fininvest_version,
                "catalogue_version": cust.catalogue_version,
                "signing_key": signer,
                "source_files": [s.__dict__ for s in cust.sources],
                "commands": cust.steps,
                "withheld": [w.__dict__ for w in content.withheld],
            }
        ),
        "utf-8",
    )
    seconds["files"] = time.perf_counter() - t
    return seconds


def write_pack(
    content: PackContent,
    out: Path,
    *,
    at: datetime,
    sign_key: Path | None = None,
    title: str | None = None,
    extra_payload: Mapping[str, str | bytes] | None = None,
    extra_info: Mapping[str, str] | None = None,
) -> PackResult:
    """Write ``content`` as a BagIt bag at ``out`` (a folder, or a ``.zip`` when so named).

    Parameters
    ----------
    content : PackContent
        From :func:`fininvest.evidence.assemble`, possibly transformed (a share).
    out : Path
        Must not exist yet. A name ending in ``.zip`` gives a deterministic zip holding one
        top-level folder named like the zip.
    at : datetime
        The export time: ``Bagging-Date``, the PDF's dates, the custody record.
    sign_key : Path, optional
        An Ed25519 private key (PEM, ``fininvest evidence keygen``): writes
        ``signature.ed25519`` and the key's fingerprint in ``bag-info.txt``.
    title : str, optional
        The report's title (default: "Evidence pack — <chains>").
    extra_payload : mapping, optional
        More payload files, by path under ``data/`` (e.g. ``{"share.json": text}`` for a
        partner share's scope); they are hashed, listed and signed like the others.
    extra_info : mapping, optional
        More ``bag-info.txt`` fields (e.g. ``{"Share-Recipient": "RO"}``); the fields
        fininvest writes cannot be replaced.

    Returns
    -------
    PackResult

    Raises
    ------
    BadInput
        ``out`` exists, the key cannot be read, or an extra payload path would replace a
        pack file or leave ``data/``.

    Examples
    --------
    >>> write_pack(content, Path("CH-4BB2.zip"), at=at, sign_key=key)  # doctest: +SKIP

    Complexity: linear in the number of cited records; the PDF dominates.
    """
    import bagit

    out = Path(out)
    if out.exists():
        raise BadInput(
            f"{out} exists already", hint="Give a new --out path (packs are never overwritten)."
        )
    private = load_private(sign_key) if sign_key is not None else None
    signer = fingerprint(private.public_key()) if private is not None else None
    chains = " ".join(c.id for c in content.chains)
    title = title or f"Evidence pack — {chains}"
    as_zip = out.suffix.lower() == ".zip"
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".evidence-", dir=out.parent))
    try:
        seconds = write_payload(content, staging, at=at, title=title, signer=signer)
        for rel, data in sorted((extra_payload or {}).items()):
            target = _extra_path(staging, rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        t = time.perf_counter()
        info = {
            "Bagging-Date": at.astimezone(UTC).date().isoformat(),
            "Bag-Software-Agent": f"fininvest {__version__} (bagit.py {bagit.VERSION})",
            "External-Identifier": f"{content.case_name} {chains}",
            "External-Description": title,
            "Source-Organization": content.source_organization,
            "Export-Time": iso(at),
            "Exported-By": content.custody.exported_by,
        }
        if signer:
            info["Signing-Key-Fingerprint"] = signer
        info = {**(extra_info or {}), **info}
        # bagit.py changes the process's working directory while it bags (make_bag, save):
        # one bag at a time per process, so that threads (the web app) never interleave
        with BAG_LOCK:
            bagit.make_bag(str(staging), info, checksums=["sha256"])
            # bagit.py writes version 0.97; RFC 8493 is 1.0 (same layout): say so, and let the
            # library rewrite the tag files and the tag manifest
            (staging / "bagit.txt").write_text(
                "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n", "utf-8"
            )
            bagit.Bag(str(staging)).save()
        tagmanifest = (staging / SIGNED_FILE).read_bytes()
        if private is not None:
            (staging / SIGNATURE_NAME).write_text(make_signature(private, tagmanifest), "utf-8")
        files = sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())
        oxum = bagit.Bag(str(staging)).info["Payload-Oxum"]
        for p in staging.rglob("*"):
            os.chmod(p, 0o700 if p.is_dir() else 0o600)
        if as_zip:
            write_zip(staging, out, out.name[: -len(".zip")], files)
            shutil.rmtree(staging)
        else:
            os.chmod(staging, 0o700)
            os.replace(staging, out)
        seconds["bag"] = time.perf_counter() - t
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    import hashlib

    return PackResult(
        path=out,
        files=files,
        tagmanifest_sha256=hashlib.sha256(tagmanifest).hexdigest(),
        payload_oxum=str(oxum),
        signed_by=signer,
        seconds=seconds,
    )


def _extra_path(folder: Path, rel: str) -> Path:
    path = PurePosixPath(rel)
    target = folder.joinpath(*path.parts)
    if path.is_absolute() or ".." in path.parts or not path.parts or target.exists():
        raise BadInput(f"extra payload file '{rel}': not a new path inside data/")
    return target


def write_zip(folder: Path, out: Path, top: str, files: list[str]) -> None:
    """A deterministic zip of ``files`` under ``top/``: sorted, fixed time and mode, deflate 9."""
    tmp = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(tmp, "w") as z:
        for rel in sorted(files):
            zi = zipfile.ZipInfo(f"{top}/{rel}", date_time=ZIP_TIME)
            zi.create_system = 3
            zi.external_attr = 0o100644 << 16
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, (folder / rel).read_bytes(), compresslevel=9)
    os.replace(tmp, out)
