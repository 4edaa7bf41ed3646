"""Deconfliction between two JIT sides: private set intersection, match keys, caps, the log.

Two synthetic workspaces (tests/jit_synth.py) with a known overlap: persons spelled in
Latin and Cyrillic, with one-letter typos, in another order; identifiers written in other
forms on each side. Ground truth comes from the generator, not from fininvest.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fininvest.cli import cli
from fininvest.ingest import ingest_files
from fininvest.jit import psi
from fininvest.jit.identifiers import name_match_keys, normalise_identifier, transliterate
from fininvest.jit.ledger import LEDGER_NAME, verify_ledger
from fininvest.workspace import Workspace, init_workspace

sys.path.insert(0, str(Path(__file__).parent))
from jit_synth import Person, iban, make_people, spaced, write_side  # noqa: E402

JIT = "JIT-2026-DE-UA"


def run(*args: object, code: int = 0) -> Any:
    res = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert res.exit_code == code, res.output
    return res


def run_json(*args: object, code: int = 0) -> Any:
    return json.loads(run(*args, "--format", "json", code=code).stdout)


# ----- match keys: recall and false matches (plaintext key equality = what PSI computes) --------
def _keys(p: Person, name: str) -> set[tuple[str, str]]:
    return {(k.kind, k.value) for k in name_match_keys(name, p.born, p.nationality)}


def test_match_keys_find_90_percent_of_overlap_and_no_false_match_among_10000() -> None:
    overlap, only_a, only_b = make_people(seed=5, n_overlap=600, n_a=5_000, n_b=5_000)
    side_a: dict[tuple[str, str], set[str]] = {}
    for p in [p for p, _ in overlap] + only_a:
        for k in _keys(p, p.name):
            side_a.setdefault(k, set()).add(p.pid)
    found: dict[str, list[int]] = {}
    false_matches = []
    for p, var in overlap:
        hits = [k for k in _keys(p, var.name) if k in side_a]
        stats = found.setdefault(var.how, [0, 0])
        stats[0] += any(p.pid in side_a[k] for k in hits)
        stats[1] += 1
        false_matches += [(p.pid, k) for k in hits if side_a[k] - {p.pid}]
    for p in only_b:  # 5,000 on B and 5,000 on A that overlap nobody
        false_matches += [(p.pid, k) for k in _keys(p, p.name) if k in side_a]
    recall = sum(f for f, _ in found.values()) / len(overlap)
    print("recall by variant:", {how: f"{f}/{n}" for how, (f, n) in found.items()})
    assert found["cyrillic"][1] >= 100 and found["typo"][1] >= 150
    assert recall >= 0.90
    assert false_matches == []


def test_transliteration_bridges_alphabets_and_order() -> None:
    assert sorted(transliterate("Шевченко Олена").split()) == ["olena", "shevchenko"]
    born = date(1990, 1, 2)
    cyrillic = _keys(Person("x", "", "", born, "UA"), "Юлия Иванова")
    latin = _keys(Person("x", "", "", born, "UA"), "IVANOVA Iuliia")
    assert latin <= cyrillic  # the Cyrillic name also has keys of the older passport spelling


# ----- two ingested workspaces --------------------------------------------------------------------
def _side(tmp: Path, name: str, home: str, partner: str) -> Workspace:
    ws = init_workspace(tmp / name, name=name)
    run("jit", "create", ws.root, "--id", JIT, "--home", home, "--partner", partner,
        "--authority", f"{partner}=Partner police", "--from", "2026-01-01",
        "--until", "2030-12-31", "--purpose", "synthetic deconfliction test")  # fmt: skip
    return ws


@pytest.fixture(scope="module")
def two_sides(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Side A (DE) and side B (UA) with known common identifiers and persons."""
    tmp = tmp_path_factory.mktemp("jit")
    rng = random.Random(3)
    overlap, only_a, only_b = make_people(seed=9, n_overlap=45, n_a=120, n_b=120)
    a = _side(tmp, "case_a", "DE", "UA")
    b = _side(tmp, "case_b", "UA", "DE")
    pers_a = [(p.pid, p.name, p) for p, _ in overlap] + [(p.pid, p.name, p) for p in only_a]
    pers_b = [(f"UA-{p.pid}", v.name, p) for p, v in overlap] + [(p.pid, p.name, p) for p in only_b]
    acc_a, acc_b, id_a, id_b = [], [], [], []
    common: dict[str, set[str]] = {"iban": set(), "phone": set(), "email": set()}
    for n, (pid, _, _) in enumerate(pers_a):
        own = iban("DE", 10_000 + n)
        acc_a.append((f"A-ACC-{n}", pid, own))
        id_a.append((pid, "phone", f"+49 151 {2000000 + n}", "DE"))
        id_a.append((pid, "email", f"Person.{n}@Mail-A.example", ""))
    for n, (pid, _, _) in enumerate(pers_b):
        acc_b.append((f"B-ACC-{n}", pid, iban("UA", 50_000 + n)))
        id_b.append((pid, "phone", f"+380 67 {3000000 + n}", "UA"))
    for n in range(30):  # shared accounts, phones, e-mails, written differently on B
        shared_iban = iban("DE", 10_000 + n)
        acc_b.append((f"B-SHARED-{n}", pers_b[n][0], spaced(shared_iban).lower()))
        common["iban"].add(shared_iban)
        id_b.append((pers_b[n][0], "phone", f"0151 {2000000 + n}", "DE"))  # national format
        common["phone"].add(f"+49151{2000000 + n}")
    for n in rng.sample(range(len(pers_a)), 12):
        id_b.append((pers_b[0][0], "email", f"PERSON.{n}@mail-a.EXAMPLE", ""))
        common["email"].add(f"person.{n}@mail-a.example")
    write_side(a.path("incoming"), pers_a, acc_a, id_a)
    write_side(b.path("incoming"), pers_b, acc_b, id_b)
    for ws in (a, b):
        ingest_files(ws, sorted(ws.path("incoming").iterdir()))
    # the persons' match keys in plaintext, for the expected intersection
    keys_a = {k for _, name, p in pers_a for k in _keys(p, name)}
    keys_b = {k for _, name, p in pers_b for k in _keys(p, name)}
    secrets_in_clear = {i[2] for i in acc_a + acc_b} | {i[2] for i in id_a + id_b}
    secrets_in_clear |= {name for _, name, _ in pers_a + pers_b}
    return {
        "a": a, "b": b, "tmp": tmp, "common": common, "common_keys": keys_a & keys_b,
        "keys": keys_a | keys_b, "clear": secrets_in_clear, "overlap": overlap,
    }  # fmt: skip


@pytest.fixture(scope="module")
def exchange(two_sides: dict[str, Any]) -> dict[str, Any]:
    """One full exchange A -> B -> A -> B through the CLI."""
    a, b, tmp = two_sides["a"], two_sides["b"], two_sides["tmp"]
    offer, answer, closing = tmp / "offer.json", tmp / "answer.json", tmp / "closing.json"
    sent = run_json("deconflict", "offer", a.root, "--jit", JIT, "--partner", "UA", "--out", offer)
    ans = run_json("deconflict", "answer", b.root, "--jit", JIT, offer, "--out", answer)
    res_a = run_json("deconflict", "result", a.root, "--jit", JIT, answer, "--out", closing)
    res_b = run_json("deconflict", "result", b.root, "--jit", JIT, closing)
    return {"offer": sent, "answer": ans, "a": res_a, "b": res_b,
            "files": [offer, answer, closing]}  # fmt: skip


def test_exact_identifiers_equal_the_plaintext_intersection(
    two_sides: dict[str, Any], exchange: dict[str, Any]
) -> None:
    for side in ("a", "b"):
        got: dict[str, set[str]] = {"iban": set(), "phone": set(), "email": set()}
        for h in exchange[side]["identifiers"]:
            got[h["kind"]].add(h["value"])
        assert got == two_sides["common"], side


def test_name_keys_equal_the_plaintext_intersection_and_say_which_key(
    two_sides: dict[str, Any], exchange: dict[str, Any]
) -> None:
    common = two_sides["common_keys"]
    for side in ("a", "b"):
        r = exchange[side]
        name_hits = sum(n for kind, n in r["by_kind"].items() if kind not in ("iban", "phone",
                                                                              "email"))  # fmt: skip
        assert name_hits == len(common)
        assert all(p["keys"] for p in r["persons"])
    found_a = {p["record"].split(" ")[0] for p in exchange["a"]["persons"]}
    overlap_ids = {p.pid for p, _ in two_sides["overlap"]}
    assert len(found_a & overlap_ids) >= 0.9 * len(overlap_ids)
    assert found_a <= overlap_ids  # no stranger met


def test_both_sides_learn_the_same_number_of_hits(exchange: dict[str, Any]) -> None:
    assert exchange["a"]["hits"] == exchange["b"]["hits"] == exchange["b"]["partner_hits"]
    assert exchange["b"]["agree"] is True
    assert exchange["a"]["by_kind"] == exchange["b"]["by_kind"]


def _forbidden_strings(two_sides: dict[str, Any]) -> set[bytes]:
    """Every identifier in every written form, and unkeyed hashes of every normalised value."""
    out: set[bytes] = set()
    values: set[tuple[str, str]] = set(two_sides["keys"])
    for v in two_sides["clear"]:
        out |= {v.encode(), v.lower().encode(), v.upper().encode()}
        for kind in ("iban", "phone", "email"):
            n = normalise_identifier(kind, v, "DE") or normalise_identifier(kind, v, "UA")
            if n:
                values.add((kind, n))
    for kind, v in values:
        digits = v.lstrip("+")
        out |= {v.encode(), v.lower().encode(), digits.encode()}
        if kind == "iban":
            out.add(spaced(v).encode())
        if kind == "phone":
            out.add(("0" + v[3:]).encode())  # national form
        for text in (v, f"{kind}|{v}", f"{psi.DOMAIN}|{JIT}|{kind}|{v}"):
            for algo in ("md5", "sha1", "sha256", "sha512"):
                d = hashlib.new(algo, text.encode()).digest()
                out |= {d.hex().encode(), base64.b64encode(d)}
        d = psi.element_digest(JIT, kind, v)  # the domain-separated hash, unkeyed
        point = psi.hash_to_point(d)  # hashed to the curve, unblinded
        out |= {
            d.hex().encode(),
            base64.b64encode(d),
            base64.b64encode(point),
            point.hex().encode(),
        }
    return {s for s in out if len(s) >= 6}


def test_messages_hold_no_identifier_in_clear_or_unkeyed_hash(
    two_sides: dict[str, Any], exchange: dict[str, Any]
) -> None:
    forbidden = _forbidden_strings(two_sides)
    assert len(forbidden) > 5_000
    for path in exchange["files"]:
        data = path.read_bytes()
        low = data.lower()
        leaks = [s for s in forbidden if s in data or s.lower() in low]
        assert leaks == [], f"{path.name}: {leaks[:3]}"


def test_count_only_reveals_only_the_count(two_sides: dict[str, Any], tmp_path: Path) -> None:
    a, b = two_sides["a"], two_sides["b"]
    o, ans, c = tmp_path / "o.json", tmp_path / "a.json", tmp_path / "c.json"
    run("deconflict", "offer", a.root, "--jit", JIT, "--partner", "UA", "--out", o,
        "--kind", "iban", "--count-only")  # fmt: skip
    run("deconflict", "answer", b.root, "--jit", JIT, o, "--out", ans, "--kind", "iban")
    ra = run_json("deconflict", "result", a.root, "--jit", JIT, ans, "--out", c)
    rb = run_json("deconflict", "result", b.root, "--jit", JIT, c)
    for r in (ra, rb):
        assert r["count_only"] and r["hits"] == len(two_sides["common"]["iban"])
        assert r["identifiers"] == [] and r["persons"] == []
    assert rb["agree"] is True


def test_refusals_period_partner_and_caps(two_sides: dict[str, Any], tmp_path: Path) -> None:
    a, b = two_sides["a"], two_sides["b"]
    out = tmp_path / "o.json"
    err = run_json("deconflict", "offer", a.root, "--jit", JIT, "--partner", "FR", "--out", out,
                   code=3)  # fmt: skip
    assert err["error"] == "agreement_refused" and "not a partner" in err["message"]
    run("deconflict", "offer", a.root, "--jit", "JIT-NONE", "--partner", "UA", "--out", out, code=4)
    # an agreement whose period is over
    run("jit", "create", a.root, "--id", "JIT-OLD", "--home", "DE", "--partner", "UA",
        "--from", "2020-01-01", "--until", "2020-12-31", "--purpose", "expired")  # fmt: skip
    err = run_json("deconflict", "offer", a.root, "--jit", "JIT-OLD", "--partner", "UA",
                   "--out", out, code=3)  # fmt: skip
    assert "outside that period" in err["message"]
    # caps: the sender refuses to send more, the receiver refuses to take more
    run("jit", "create", a.root, "--id", "JIT-CAP", "--home", "DE", "--partner", "UA",
        "--from", "2026-01-01", "--until", "2030-12-31", "--purpose", "cap",
        "--max-set-size", "20")  # fmt: skip
    err = run_json("deconflict", "offer", a.root, "--jit", "JIT-CAP", "--partner", "UA",
                   "--out", out, code=3)  # fmt: skip
    assert "exceed the cap of 20" in err["message"]
    run("jit", "create", b.root, "--id", "JIT-CAP", "--home", "UA", "--partner", "DE",
        "--from", "2026-01-01", "--until", "2030-12-31", "--purpose", "cap",
        "--max-set-size", "50")  # fmt: skip
    run("jit", "create", a.root, "--id", "JIT-CAP2", "--home", "DE", "--partner", "UA",
        "--from", "2026-01-01", "--until", "2030-12-31", "--purpose", "cap")  # fmt: skip
    run("deconflict", "offer", a.root, "--jit", "JIT-CAP2", "--partner", "UA", "--out", out,
        "--kind", "iban")  # fmt: skip
    msg = json.loads(out.read_text())
    msg["jit"] = "JIT-CAP"
    out.write_text(json.dumps(msg))
    err = run_json("deconflict", "answer", b.root, "--jit", "JIT-CAP", out,
                   "--out", tmp_path / "x.json", code=3)  # fmt: skip
    assert "exceed the cap of 50" in err["message"]


def test_exchange_log_verifies_and_detects_tampering(
    two_sides: dict[str, Any], exchange: dict[str, Any], tmp_path: Path
) -> None:
    a = two_sides["a"]
    log = run_json("deconflict", "log", a.root)
    assert log["verified"] and [e["step"] for e in log["entries"]][:2] == ["offer", "result"]
    assert verify_ledger(a) == []
    steps = {e["command"] for e in a.audit_entries()}
    assert {"deconflict offer", "deconflict result", "jit create"} <= steps
    # an edited count breaks the chain
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(a.root, copy)
    path = copy / "jit" / LEDGER_NAME
    lines = path.read_text().splitlines()
    entry = json.loads(lines[0])
    entry["sent"] += 1
    lines[0] = json.dumps(entry, sort_keys=True)
    path.write_text("\n".join(lines) + "\n")
    err = run_json("deconflict", "log", copy, code=4)
    assert "edited" in err["message"]


def test_pool_gives_the_same_points_as_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(psi, "POOL_MIN_ITEMS", 10)
    monkeypatch.setattr(psi, "_CHUNK", 16)
    digests = [psi.element_digest(JIT, "phone", f"+4915100000{i}") for i in range(60)]
    k = psi.new_scalar()
    assert psi.hash_and_blind(k, digests, workers=2) == psi.hash_and_blind(k, digests, workers=1)
    k2 = psi.new_scalar()
    ab = psi.blind(k2, psi.hash_and_blind(k, digests, workers=2), workers=2)
    ba = psi.blind(k, psi.hash_and_blind(k2, digests, workers=1), workers=1)
    assert ab == ba  # commutative


def test_an_invalid_point_from_the_partner_is_refused() -> None:
    from fininvest.errors import BadInput

    with pytest.raises(BadInput, match="invalid curve point"):
        psi.blind(psi.new_scalar(), [bytes(32)], workers=1)  # u = 0 has small order


def test_bench_runs_the_real_exchange_and_prints_figures() -> None:
    data = run_json("deconflict", "bench", "--n", "300", "--workers", "1")
    assert data["correct"] and data["hits"] == {"A": 150, "B": 150}
    assert set(data["steps_s"]) == {"normalise A", "normalise B", "offer (A)", "answer (B)",
                                    "result (A)", "result (B)"}  # fmt: skip


def test_our_own_records_are_named_in_the_result(
    two_sides: dict[str, Any], exchange: dict[str, Any]
) -> None:
    from fininvest.casefile.names import load_names

    from .names_check import missing_in_json

    names = load_names(two_sides["a"])
    known = {i: n for i in (*names.party, *names.holder) if (n := names.name(i))}
    hits = exchange["a"]["identifiers"]
    assert hits and any(h.get("records_names") for h in hits)
    assert missing_in_json(exchange["a"], known) == []
