"""Prosecutor evidence packs: one deterministic, signed BagIt bag per chain of trafficking.

The public API separates *what a pack says* from *writing it*:

* :func:`assemble` — the chains' facts from a workspace as a :class:`PackContent` (plain
  dataclasses: parties, accounts, cited records with provenance, links with their claims and
  records, red flags, money flows, assets, chain of custody);
* :func:`write_pack` — a :class:`PackContent` as a BagIt bag (folder or ``.zip``) with the HTML
  and PDF report, ``records/*.csv``, FollowTheMoney entities, an i2 chart, ``evidence.json``,
  ``provenance.json`` and, with a key, ``signature.ed25519``;
* :func:`verify_pack` — checks a pack with nothing but the pack (and the signer's public key);
* :func:`keygen` — an Ed25519 signing key pair.

A caller may change the content between the two steps (e.g. a partner share replaces
identifiers and withholds records, adding :class:`Withheld` notes the report shows), then
call :func:`refresh_text` so that the records' summaries and the links' claims are written
again from the changed data.

Examples
--------
>>> content = assemble(ws, ["CH-4BB2F4A718"], exported_at=at, exported_by="me")  # doctest: +SKIP
>>> result = write_pack(content, Path("pack.zip"), at=at, sign_key=key)  # doctest: +SKIP
>>> verify_pack(result.path).ok  # doctest: +SKIP
True
"""

from fininvest.evidence.collect import assemble
from fininvest.evidence.content import (
    Account,
    Asset,
    Chain,
    Custody,
    Explanation,
    Flow,
    Link,
    PackContent,
    Party,
    Provenance,
    Record,
    RecordRef,
    SourceFile,
    Withheld,
)
from fininvest.evidence.pack import PackResult, write_pack
from fininvest.evidence.signing import keygen
from fininvest.evidence.verify import VerifyReport, verify_pack
from fininvest.evidence.wording import refresh_text

__all__ = [
    "Account",
    "Asset",
    "Chain",
    "Custody",
    "Explanation",
    "Flow",
    "Link",
    "PackContent",
    "PackResult",
    "Party",
    "Provenance",
    "Record",
    "RecordRef",
    "SourceFile",
    "VerifyReport",
    "Withheld",
    "assemble",
    "keygen",
    "refresh_text",
    "verify_pack",
    "write_pack",
]
