"""App users: salted scrypt hashes in the workspace's ``secrets/``, expiring sessions.

``fininvest app-user add CASE_DIR NAME`` stores ``secrets/app-users.json`` (owner-only) with,
per user, a random salt and the scrypt hash of the password (``hashlib.scrypt``, n=2^15, r=8,
p=1: about 0.1 s and 32 MB per check, which makes guessing slow). The app signs its session
cookie with a key kept in ``secrets/app-session.key``; a session expires after
``session_minutes`` (a new login is needed).

Once a user exists, every request needs a login, on any address. Without users the app only
serves loopback (see :func:`check_bind`).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import os
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fininvest.errors import AccessRefused, BadInput
from fininvest.workspace import Workspace

USERS_NAME = "app-users.json"
KEY_NAME = "app-session.key"
SCRYPT = {"n": 2**15, "r": 8, "p": 1, "maxmem": 64 * 1024 * 1024, "dklen": 32}


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(mode=0o700, exist_ok=True)
    tmp = path.with_suffix(".partial")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def users(ws: Workspace) -> dict[str, dict[str, Any]]:
    """The app users of the workspace (name → salt, hash, parameters, jurisdictions)."""
    path = ws.path("secrets", USERS_NAME)
    return dict(json.loads(path.read_text("utf-8"))) if path.exists() else {}


def _hash(password: str, salt: bytes, params: dict[str, int]) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, **params)


def add_user(
    ws: Workspace, name: str, password: str, jurisdictions: list[str] | None = None
) -> dict[str, Any]:
    """Add or replace an app user; returns the stored entry without its hash.

    Examples
    --------
    >>> add_user(ws, "anna", "correct horse battery staple")  # doctest: +SKIP
    """
    if not name or not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise BadInput(f"user name {name!r}: use letters, digits, '.', '-' or '_'")
    if len(password) < 12:
        raise BadInput("the password needs at least 12 characters")
    salt = secrets.token_bytes(16)
    entry = {
        "salt": salt.hex(),
        "hash": _hash(password, salt, SCRYPT).hex(),
        "scrypt": SCRYPT,
        "jurisdictions": sorted({j.upper() for j in jurisdictions or []}),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    table = users(ws)
    table[name] = entry
    _write_private(ws.path("secrets", USERS_NAME), json.dumps(table, indent=2, sort_keys=True))
    return {"name": name, "jurisdictions": entry["jurisdictions"], "created": entry["created"]}


def verify(ws: Workspace, name: str, password: str) -> bool:
    """True if ``password`` is the user's (constant-time comparison; unknown users cost the
    same hash, so timing does not tell which names exist)."""
    entry = users(ws).get(name)
    if entry is None:
        _hash(password, b"0" * 16, SCRYPT)
        return False
    got = _hash(password, bytes.fromhex(entry["salt"]), entry["scrypt"])
    return hmac.compare_digest(got, bytes.fromhex(entry["hash"]))


def session_key(ws: Workspace) -> bytes:
    """The key that signs session cookies (generated once, owner-only)."""
    path = ws.path("secrets", KEY_NAME)
    if not path.exists():
        _write_private(path, secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(ws: Workspace, host: str) -> None:
    """Refuse to serve beyond this machine unless app users exist.

    Raises
    ------
    AccessRefused
        ``host`` is not a loopback address and the workspace has no app users.
    """
    if not is_loopback(host) and not users(ws):
        raise AccessRefused(
            f"refusing to serve the case on {host}: anyone who can reach that address would "
            "see it, and no app user is configured",
            hint="Add a user first (fininvest app-user add CASE_DIR NAME), or serve on "
            "127.0.0.1 and reach it through an SSH tunnel.",
        )


def session_valid(session: dict[str, Any], now: float | None = None) -> bool:
    """A session is valid while its expiry time lies ahead."""
    return bool(session.get("user")) and float(session.get("expires", 0)) > (now or time.time())
