"""Per-trainee variants: the same exercise with other names, ids and amounts for each trainee.

A variant's seed is derived from the trainer's secret, the scenario and the trainee's name
(HMAC-SHA-256), so trainees cannot copy each other's answers and cannot compute another's
variant without the secret, while the trainer can regenerate any variant (and its answer key)
at any time: nothing but the secret has to be kept.

Complexity: generating a variant costs one synthetic case of the scenario's scale (under a
second for ``tiny``, about two seconds for ``small``).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fininvest.errors import FininvestError
from fininvest.sample import generate_case
from fininvest.training.scenarios import Scenario

SECRET_ENV = "FININVEST_TRAINER_SECRET_FILE"
DEFAULT_SECRET = Path("~/.config/fininvest/trainer.secret")


class TrainerSecretError(FininvestError):
    """The trainer's secret file cannot be read or created."""

    exit_code = 4
    kind = "trainer_secret"


def secret_path(given: Path | None) -> Path:
    """The trainer secret's file: ``--secret-file``, else ``$FININVEST_TRAINER_SECRET_FILE``,
    else ``~/.config/fininvest/trainer.secret``."""
    if given is not None:
        return given
    env = os.environ.get(SECRET_ENV)
    return Path(env) if env else DEFAULT_SECRET.expanduser()


def load_secret(path: Path, *, create: bool) -> bytes:
    """Read the trainer's secret; create it (32 random bytes, owner-only) when asked and absent.

    Raises
    ------
    TrainerSecretError
        If the file is missing (and ``create`` is false), unreadable or too short.
    """
    if not path.exists():
        if not create:
            raise TrainerSecretError(
                f"no trainer secret at {path}",
                hint="Give the --secret-file used for `fininvest train start`.",
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
    try:
        value = path.read_text("utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise TrainerSecretError(f"cannot read the trainer secret {path}: {exc}") from exc
    if len(value) < 16:
        raise TrainerSecretError(
            f"the trainer secret in {path} is too short (at least 16 characters)"
        )
    return value.encode("utf-8")


def variant_seed(secret: bytes, scenario_id: str, trainee: str) -> int:
    """The generator seed of one trainee's variant of one scenario.

    >>> variant_seed(b"0123456789abcdef", "funnel", "Ana") == variant_seed(
    ...     b"0123456789abcdef", "funnel", "Ana")
    True
    >>> variant_seed(b"0123456789abcdef", "funnel", "Ana") != variant_seed(
    ...     b"0123456789abcdef", "funnel", "Ben")
    True
    """
    msg = f"fininvest-training|{scenario_id}|{trainee.strip()}".encode()
    return int.from_bytes(hmac.new(secret, msg, hashlib.sha256).digest()[:4], "big")


@dataclass(frozen=True)
class Defect:
    """One broken record planted in an export: file, record id and the field that is wrong."""

    file: str
    record_id: str
    field: str
    what: str


def generate_variant(scenario: Scenario, seed: int, raw: Path, truth: Path) -> list[Defect]:
    """Write the variant's raw files and ground truth; plant the scenario's defects.

    Returns
    -------
    The planted defects (also part of the answer key, never of the trainee's files).
    """
    generate_case(raw, truth, scale=scenario.scale, seed=seed, scenario=scenario.family,
                  compress=False, defects=False)  # fmt: skip
    neutralise(seed, raw, truth)
    if not scenario.planted_defects:
        return []
    return plant_defects(raw, np.random.default_rng(seed), scenario.planted_defects)


#: ids that carry the generator's ring code (``INT-SE-01-00004``, ``AS-FL-01-002``), ring codes
#: themselves (``police report SE-01``) and the one role word the generator writes into a record
RING_ID = re.compile(r"\b[A-Z]{2,3}-(?:SE|FL|FC)-\d{2}-[A-Za-z0-9-]+")
RING_CODE = re.compile(r"\b(?:SE|FL|FC)-\d{2}\b")
ROLE_WORDS = {"registered to controller": "registered to the owner"}


def neutralise(seed: int, *folders: Path) -> None:
    """Replace every id and text that names the generator's rings by a neutral, per-variant one,
    consistently in the raw files and the truth, so a trainee cannot read the answer from an id.

    ``INT-SE-01-00004`` becomes ``INT-`` and eight hex digits; ``SE-01`` a six-digit case number.
    """

    def tag(text: str, n: int) -> str:
        return hashlib.sha256(f"{seed}|{text}".encode()).hexdigest()[:n].upper()

    def swap(text: str) -> str:
        text = RING_ID.sub(lambda m: m.group(0).split("-", 1)[0] + "-" + tag(m.group(0), 8), text)
        text = RING_CODE.sub(lambda m: tag(m.group(0), 6), text)
        for word, neutral in ROLE_WORDS.items():
            text = text.replace(word, neutral)
        return text

    for folder in folders:
        for path in sorted(folder.iterdir()):
            if path.is_file():
                path.write_text(swap(path.read_text("utf-8")), "utf-8")


def _rewrite(path: Path, edit: dict[int, dict[str, str]], duplicate: set[int]) -> None:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    fields = list(rows[0])
    out: list[dict[str, str]] = []
    for i, row in enumerate(rows):
        out.append({**row, **edit.get(i, {})})
        if i in duplicate:
            out.append(dict(row))
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(out)


def _break_iban(iban: str) -> str:
    check = int(iban[2:4])
    return iban[:2] + f"{(check + 1) % 97 or 2:02d}" + iban[4:]


def plant_defects(raw: Path, rng: np.random.Generator, n: int) -> list[Defect]:
    """Break ``n`` records of the bank, card and KYC-account exports in realistic ways.

    The ways are those of hurried exports: a decimal comma, an unknown currency code, an
    impossible date, a day-first date, a negative amount, a duplicated transaction and an IBAN
    whose check digits fail. Each broken record keeps its own id, so the trainee finds it in the
    quarantine, not by its name.
    """
    bank = raw / "bank_transactions.csv"
    with open(bank, newline="", encoding="utf-8") as fh:
        bank_rows = list(csv.DictReader(fh))
    with open(raw / "card_transactions.csv", newline="", encoding="utf-8") as fh:
        card_ids = [r["txn_id"] for r in csv.DictReader(fh)]
    with open(raw / "kyc_accounts.csv", newline="", encoding="utf-8") as fh:
        accounts = list(csv.DictReader(fh))
    ways = ["decimal_comma", "currency", "impossible_date", "day_first", "negative",
            "duplicate", "iban"]  # fmt: skip
    chosen = [ways[i % len(ways)] for i in range(n)]
    picks = rng.choice(len(bank_rows), size=n, replace=False)
    bank_edit: dict[int, dict[str, str]] = {}
    card_dup: set[int] = set()
    acc_edit: dict[int, dict[str, str]] = {}
    defects: list[Defect] = []
    for way, i in zip(chosen, picks, strict=True):
        row = bank_rows[int(i)]
        rid = row["txn_id"]
        if way == "decimal_comma":
            value = f"{float(row['amount']):.2f}".replace(".", ",")
            bank_edit[int(i)] = {"amount": value}
            defects.append(Defect("bank_transactions.csv", rid, "amount", f"'{value}'"))
        elif way == "currency":
            code = str(rng.choice(["EUX", "EURO", "RUR", "XYZ"]))
            bank_edit[int(i)] = {"currency": code}
            defects.append(Defect("bank_transactions.csv", rid, "currency", f"'{code}'"))
        elif way == "impossible_date":
            value = "2025-02-30" + row["timestamp"][10:]
            bank_edit[int(i)] = {"timestamp": value}
            defects.append(Defect("bank_transactions.csv", rid, "timestamp", f"'{value}'"))
        elif way == "day_first":
            d = row["timestamp"]
            value = f"{d[8:10]}/{d[5:7]}/{d[:4]} {d[11:16]}"
            bank_edit[int(i)] = {"timestamp": value}
            defects.append(Defect("bank_transactions.csv", rid, "timestamp", f"'{value}'"))
        elif way == "negative":
            value = f"-{row['amount']}"
            bank_edit[int(i)] = {"amount": value}
            defects.append(Defect("bank_transactions.csv", rid, "amount", f"'{value}'"))
        elif way == "duplicate":
            j = int(rng.integers(len(card_ids)))
            while j in card_dup:
                j = int(rng.integers(len(card_ids)))
            card_dup.add(j)
            defects.append(
                Defect("card_transactions.csv", card_ids[j], "txn_id", "repeated record")
            )
        else:
            candidates = [k for k, a in enumerate(accounts) if a["iban"] and k not in acc_edit]
            k = candidates[int(rng.integers(len(candidates)))]
            broken = _break_iban(accounts[k]["iban"])
            acc_edit[k] = {"iban": broken}
            defects.append(
                Defect("kyc_accounts.csv", accounts[k]["account_id"], "iban", f"'{broken}'")
            )
    _rewrite(bank, bank_edit, set())
    if card_dup:
        _rewrite(raw / "card_transactions.csv", {}, card_dup)
    if acc_edit:
        _rewrite(raw / "kyc_accounts.csv", acc_edit, set())
    return sorted(defects, key=lambda d: (d.file, d.record_id))
