"""Per-JIT, per-partner keyed pseudonyms (HMAC-SHA-256) and the table to re-identify them.

A person, account or identifier that a share must mention but that lies outside the scope
agreed with a partner is replaced by ``PSN-`` + the first 16 hex digits of
``HMAC-SHA-256(key, "fininvest-pseudonym|" + id)``. The key is 32 random bytes, one per JIT
and partner, kept in ``CASE_DIR/secrets/jit/<JIT>/<partner>.key`` (owner-only) and never
written into a
package. So:

* the same person has the same pseudonym in every share to that partner within that JIT
  (the partner can follow one pseudonymous person across shares);
* the pseudonyms of two partners, or of two JITs, differ and cannot be joined;
* without the key nobody can test a guess (a phone number, an IBAN) against a pseudonym:
  unlike a plain hash, a keyed hash cannot be attacked with a dictionary (EDPB Guidelines
  01/2025 on pseudonymisation).

The table that maps pseudonyms back (``…/<partner>-pseudonyms.csv``) stays beside the key.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import os
from pathlib import Path

from fininvest.workspace import Workspace

PREFIX = "PSN-"


def _secret_dir(ws: Workspace, jit_id: str) -> Path:
    base = ws.path("secrets", "jit")
    d = base / jit_id
    for p in (base, d):
        p.mkdir(parents=True, exist_ok=True)
        os.chmod(p, 0o700)
    return d


class Pseudonymiser:
    """Keyed pseudonyms for one JIT and one partner; remembers what it pseudonymised.

    >>> import tempfile
    >>> from pathlib import Path
    >>> from fininvest.workspace import init_workspace
    >>> ws = init_workspace(Path(tempfile.mkdtemp()) / "c")
    >>> p = Pseudonymiser(ws, "JIT-X", "DE")
    >>> a = p.pseudonym("party", "P-0042")
    >>> a == p.pseudonym("party", "P-0042") and a.startswith("PSN-")
    True
    >>> a == Pseudonymiser(ws, "JIT-X", "FR").pseudonym("party", "P-0042")
    False
    """

    def __init__(self, ws: Workspace, jit_id: str, partner: str) -> None:
        self.dir = _secret_dir(ws, jit_id)
        self.partner = partner
        key_path = self.dir / f"{partner}.key"
        if not key_path.exists():
            fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(os.urandom(32))
        self._key = key_path.read_bytes()
        self.table_path = self.dir / f"{partner}-pseudonyms.csv"
        self.issued: dict[str, tuple[str, str, str]] = {}  # pseudonym -> (kind, id, label)

    def pseudonym(self, kind: str, identifier: str, label: str = "") -> str:
        """The pseudonym of ``identifier`` (an id or a normalised identifier).

        ``kind`` and ``label`` only go into the re-identification table: one id has one
        pseudonym whichever record names it."""
        msg = f"fininvest-pseudonym|{identifier}".encode()
        mac = hmac.new(self._key, msg, hashlib.sha256).hexdigest()
        token = PREFIX + mac[:16]
        self.issued.setdefault(token, (kind, identifier, label))
        return token

    def save_table(self) -> Path:
        """Add the pseudonyms issued so far to the re-identification table (owner-only)."""
        known: set[str] = set()
        if self.table_path.exists():
            with open(self.table_path, encoding="utf-8", newline="") as fh:
                known = {row["pseudonym"] for row in csv.DictReader(fh)}
        new = [(p, *v) for p, v in sorted(self.issued.items()) if p not in known]
        fresh = not self.table_path.exists()
        fd = os.open(self.table_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            if fresh:
                w.writerow(["pseudonym", "kind", "id", "label"])
            w.writerows(new)
        return self.table_path
