"""Ed25519 signing keys and the pack's ``signature.ed25519`` (with ``cryptography``).

A BagIt manifest proves fixity only: whoever rewrites a file and its manifests passes it. The
signature over ``tagmanifest-sha256.txt`` (which holds the hashes of the payload manifest and of
``bag-info.txt``) proves that the holder of the private key made this very pack.

``signature.ed25519`` is a short text file::

    Algorithm: Ed25519
    Signed-File: tagmanifest-sha256.txt
    Key-Fingerprint: sha256:<hex of SHA-256 of the raw 32-byte public key>
    Public-Key: <base64 of the raw public key>
    Signature: <base64 of the 64-byte signature>
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fininvest.errors import BadInput

SIGNATURE_NAME = "signature.ed25519"
SIGNED_FILE = "tagmanifest-sha256.txt"
PRIVATE_NAME = "evidence-signing.key"
PUBLIC_NAME = "evidence-signing.pub"


def _raw_public(public: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    raw: bytes = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw


def fingerprint(public: Any) -> str:
    """``sha256:`` + hex SHA-256 of the raw public key."""
    return "sha256:" + hashlib.sha256(_raw_public(public)).hexdigest()


@dataclass(frozen=True)
class KeyPair:
    private_path: Path
    public_path: Path
    fingerprint: str


def keygen(secrets_dir: Path, *, overwrite: bool = False) -> KeyPair:
    """Create an Ed25519 key pair: the private key owner-only (0600) in ``secrets_dir``.

    Raises
    ------
    BadInput
        A key exists already and ``overwrite`` is false.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    secrets_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(secrets_dir, 0o700)
    priv_path, pub_path = secrets_dir / PRIVATE_NAME, secrets_dir / PUBLIC_NAME
    if priv_path.exists() and not overwrite:
        raise BadInput(
            f"a signing key exists already: {priv_path}",
            hint="Keep it (packs signed with it verify against its public key), or pass "
            "--force to replace it.",
        )
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(priv_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    os.chmod(priv_path, 0o600)
    pub_path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return KeyPair(priv_path, pub_path, fingerprint(key.public_key()))


def load_private(path: Path) -> Any:
    """An Ed25519 private key from a PEM file."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise BadInput(f"{path}: not a readable PEM private key ({exc})") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise BadInput(f"{path}: not an Ed25519 key", hint="Create one: fininvest evidence keygen")
    return key


def load_public(path: Path) -> Any:
    """An Ed25519 public key from a PEM file (or the public half of a private key file)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInput(f"{path}: cannot read the key ({exc})") from exc
    try:
        key: Any = serialization.load_pem_public_key(data)
    except ValueError:
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as exc:
            raise BadInput(f"{path}: not a PEM Ed25519 key ({exc})") from exc
    if isinstance(key, Ed25519PrivateKey):
        key = key.public_key()
    if not isinstance(key, Ed25519PublicKey):
        raise BadInput(f"{path}: not an Ed25519 key")
    return key


def signature_text(private: Any, signed: bytes) -> str:
    """The content of ``signature.ed25519`` for the bytes of the signed file."""
    public = private.public_key()
    return (
        "Algorithm: Ed25519\n"
        f"Signed-File: {SIGNED_FILE}\n"
        f"Key-Fingerprint: {fingerprint(public)}\n"
        f"Public-Key: {base64.b64encode(_raw_public(public)).decode()}\n"
        f"Signature: {base64.b64encode(private.sign(signed)).decode()}\n"
    )


def check_signature(text: str, signed: bytes, expected: Any | None) -> tuple[bool, str, str]:
    """Check ``signature.ed25519``: ``(valid, fingerprint, message)``.

    With ``expected`` (a public key) the signature must verify against that key; without it,
    against the public key the file names (which proves integrity since signing, not who
    signed: say which key to trust with ``--key``).
    """
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    fields = dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)
    try:
        embedded = Ed25519PublicKey.from_public_bytes(base64.b64decode(fields["Public-Key"]))
        sig = base64.b64decode(fields["Signature"], validate=True)
    except (KeyError, ValueError) as exc:
        return False, fields.get("Key-Fingerprint", "?"), f"malformed signature file ({exc})"
    named = fields.get("Key-Fingerprint", "")
    if named != fingerprint(embedded):
        return False, named, "the fingerprint does not match the public key in the file"
    key = expected if expected is not None else embedded
    if expected is not None and fingerprint(expected) != named:
        return False, named, f"signed by {named}, not by the given key {fingerprint(expected)}"
    try:
        key.verify(sig, signed)
    except InvalidSignature:
        return False, named, "the signature does not match tagmanifest-sha256.txt"
    if expected is None:
        return True, named, f"valid for the key in the pack ({named}); pass --key to pin the signer"
    return True, named, f"valid, signed by the given key {named}"
