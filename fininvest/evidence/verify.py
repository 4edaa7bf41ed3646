"""Verify a pack with nothing but the pack (and, to pin the signer, a public key).

:func:`verify_pack` checks, and reports per file:

* structure — the four BagIt tag files are there and readable;
* payload — every file of ``manifest-sha256.txt`` is there with its hash (``missing``,
  ``modified`` with expected and found hash and size), and no file under ``data/`` is
  unlisted (``extra``);
* ``Payload-Oxum`` of ``bag-info.txt`` against the payload's bytes and files;
* tag manifest — every tag file listed in ``tagmanifest-sha256.txt`` with its hash, and no
  unlisted file beside them (``signature.ed25519`` excepted: it signs the tag manifest);
* signature — ``signature.ed25519`` over the tag manifest, against the key given or the key
  the pack names, whose fingerprint must be the one in ``bag-info.txt``; "unsigned" if none;
* FtM — ``data/entities.ftm.json`` is valid FollowTheMoney;
* the ``bagit`` library's own validator, as a second opinion.

The pack verifies only if every check holds.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from fininvest.errors import BadInput
from fininvest.evidence.ftm import validate_ftm
from fininvest.evidence.signing import SIGNATURE_NAME, SIGNED_FILE, check_signature, load_public

TAG_FILES = ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", SIGNED_FILE)
FTM_FILE = "data/entities.ftm.json"


@dataclass
class Check:
    """One finding: ``check`` (what was checked), ``path``, ``ok`` and what is wrong."""

    check: str
    path: str | None
    ok: bool
    problem: str = ""
    detail: str = ""


@dataclass
class VerifyReport:
    path: str
    signed_by: str | None
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def problems(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def add(
        self, check: str, path: str | None, ok: bool, problem: str = "", detail: str = ""
    ) -> None:
        self.checks.append(Check(check, path, ok, problem, detail))

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "ok": self.ok,
            "signed_by": self.signed_by,
            "problems": len(self.problems),
            "checks": [asdict(c) for c in self.checks],
        }


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _manifest(path: Path, rep: VerifyReport, name: str) -> dict[str, str]:
    """``path -> sha256`` of a manifest file; malformed lines are reported."""
    entries: dict[str, str] = {}
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        rep.add("structure", name, False, "unreadable", str(exc))
        return entries
    for n, line in enumerate(lines, start=1):
        digest, _, rel = line.partition(" ")
        rel = rel.strip()
        if len(digest) != 64 or not rel or any(c not in "0123456789abcdef" for c in digest):
            rep.add("structure", name, False, "malformed", f"line {n}: {line[:80]!r}")
            continue
        entries[rel.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")] = digest
    return entries


def _check_files(bag: Path, entries: dict[str, str], check: str, rep: VerifyReport) -> None:
    for rel, expected in sorted(entries.items()):
        p = bag / rel
        if PurePosixPath(rel).is_absolute() or ".." in PurePosixPath(rel).parts:
            rep.add(check, rel, False, "unsafe path", "the manifest names a path outside the bag")
        elif not p.is_file():
            rep.add(check, rel, False, "missing", f"listed with sha256 {expected}")
        elif p.is_symlink():
            rep.add(check, rel, False, "symlink", "listed, but a link, not a file")
        else:
            found = _sha256(p)
            if found == expected:
                rep.add(check, rel, True)
            else:
                rep.add(
                    check,
                    rel,
                    False,
                    "modified",
                    f"expected sha256 {expected}, found {found} ({p.stat().st_size} bytes)",
                )


def _bag_info(bag: Path) -> dict[str, str]:
    info: dict[str, str] = {}
    try:
        text = (bag / "bag-info.txt").read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return info
    for line in text.splitlines():
        k, sep, v = line.partition(":")
        if sep:
            info[k.strip()] = v.strip()
    return info


def verify_folder(bag: Path, key: Path | None = None, *, label: str | None = None) -> VerifyReport:
    """Verify an unpacked pack (see the module docstring)."""
    rep = VerifyReport(label or str(bag), None)
    for p in sorted(bag.rglob("*")):
        if p.is_symlink():  # a pack holds files only; a link could point anywhere
            rep.add(
                "structure",
                p.relative_to(bag).as_posix(),
                False,
                "symlink",
                f"points to {os.readlink(p)}",
            )
    for name in TAG_FILES:
        if not (bag / name).is_file():
            rep.add("structure", name, False, "missing", "a BagIt tag file")
    payload = _manifest(bag / "manifest-sha256.txt", rep, "manifest-sha256.txt")
    _check_files(bag, payload, "payload", rep)
    data = bag / "data"
    actual = sorted(p for p in data.rglob("*") if p.is_file()) if data.is_dir() else []
    for p in actual:
        rel = p.relative_to(bag).as_posix()
        if rel not in payload:
            rep.add("payload", rel, False, "extra", "not in manifest-sha256.txt")
    info = _bag_info(bag)
    oxum = f"{sum(p.stat().st_size for p in actual)}.{len(actual)}"
    stated = info.get("Payload-Oxum")
    rep.add(
        "payload-oxum",
        "bag-info.txt",
        stated == oxum,
        "" if stated == oxum else "mismatch",
        f"bag-info.txt says {stated}, the payload is {oxum} (bytes.files)",
    )
    tags = _manifest(bag / SIGNED_FILE, rep, SIGNED_FILE)
    _check_files(bag, tags, "tagmanifest", rep)
    for p in sorted(bag.rglob("*")):
        rel = p.relative_to(bag).as_posix()
        if (
            p.is_file()
            and not rel.startswith("data/")
            and rel not in tags
            and rel not in (SIGNED_FILE, SIGNATURE_NAME)
        ):
            rep.add("tagmanifest", rel, False, "extra", f"not in {SIGNED_FILE}")
    _signature(bag, key, info, rep)
    ftm = bag / FTM_FILE
    if ftm.is_file():
        problems = validate_ftm(ftm)
        rep.add(
            "ftm", FTM_FILE, not problems, "invalid" if problems else "", "; ".join(problems[:5])
        )
    _bagit_validator(bag, rep)
    return rep


def _signature(bag: Path, key: Path | None, info: dict[str, str], rep: VerifyReport) -> None:
    expected = load_public(key) if key is not None else None
    sig = bag / SIGNATURE_NAME
    named = info.get("Signing-Key-Fingerprint")
    if not sig.is_file():
        if named or expected is not None:
            rep.add(
                "signature",
                SIGNATURE_NAME,
                False,
                "missing",
                f"bag-info.txt names signing key {named}" if named else "a key was given",
            )
        else:
            rep.add("signature", SIGNATURE_NAME, True, "", "unsigned: fixity only, no authenticity")
        return
    try:
        text, signed = sig.read_text("utf-8"), (bag / SIGNED_FILE).read_bytes()
    except (OSError, UnicodeDecodeError) as exc:
        rep.add("signature", SIGNATURE_NAME, False, "unreadable", str(exc))
        return
    ok, fp, message = check_signature(text, signed, expected)
    rep.signed_by = fp
    if ok and named != fp:
        ok, message = False, f"bag-info.txt names key {named}, the signature is by {fp}"
    rep.add("signature", SIGNATURE_NAME, ok, "" if ok else "invalid", message)


def _bagit_validator(bag: Path, rep: VerifyReport) -> None:
    import bagit

    try:
        bagit.Bag(str(bag)).validate()
    except (bagit.BagError, bagit.BagValidationError) as exc:
        details = "; ".join(str(d) for d in getattr(exc, "details", []) or [])[:300]
        rep.add("bagit", None, False, "invalid", f"{exc} {details}".strip())
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        rep.add("bagit", None, False, "unreadable", str(exc))
    else:
        rep.add("bagit", None, True, "", "the bagit library's validator accepts the bag")


def verify_pack(path: Path, key: Path | None = None) -> VerifyReport:
    """Verify a pack folder or ``.zip``.

    Parameters
    ----------
    path : Path
        The pack as exported.
    key : Path, optional
        The signer's public key (PEM). Without it the signature is checked against the key the
        pack names, which proves the pack unchanged since signing but not who signed it.

    Returns
    -------
    VerifyReport
        ``ok`` only if every check holds; ``problems`` lists the others, each naming its file.

    Raises
    ------
    BadInput
        ``path`` is neither a folder nor a zip, or the key cannot be read.

    Examples
    --------
    >>> verify_pack(Path("CH-4BB2.zip"), Path("signing-key.pub")).ok  # doctest: +SKIP
    True

    Complexity: one read of every file.
    """
    path = Path(path)
    if path.is_dir():
        return verify_folder(path, key)
    if not path.is_file():
        raise BadInput(f"{path}: no such pack")
    if not zipfile.is_zipfile(path):
        raise BadInput(f"{path}: neither a pack folder nor a zip")
    tmp = Path(tempfile.mkdtemp(prefix="fininvest-verify-"))
    try:
        rep = VerifyReport(str(path), None)
        top = _extract(path, tmp, rep)
        if top is None:
            return rep
        inner = verify_folder(tmp / top, key, label=str(path))
        inner.checks[:0] = rep.checks
        return inner
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _extract(path: Path, into: Path, rep: VerifyReport) -> str | None:
    """Unpack a zip safely; its one top-level folder, or ``None`` (reported) if unusable."""
    try:
        with zipfile.ZipFile(path) as z:
            tops = set()
            for zi in z.infolist():
                parts = PurePosixPath(zi.filename).parts
                if zi.filename.startswith("/") or ".." in parts or not parts:
                    rep.add("zip", zi.filename, False, "unsafe path", "entry outside the pack")
                    return None
                tops.add(parts[0])
                if zi.is_dir():
                    continue
                target = into.joinpath(*parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    target.write_bytes(z.read(zi))
                except (zipfile.BadZipFile, OSError) as exc:
                    rep.add("zip", zi.filename, False, "corrupt", str(exc))
            if len(tops) != 1:
                rep.add("zip", None, False, "layout", f"expected one top folder, found {len(tops)}")
                return None
            return tops.pop()
    except (zipfile.BadZipFile, OSError) as exc:
        rep.add("zip", str(path), False, "corrupt", str(exc))
        return None
