"""Evidence packs on the committed sample case: export, determinism, signature, verification.

One workspace copy per module: the sample case screened, its chains reconstructed on the
embedded graph, a signing key made, one pack exported (folder). The corruption corpus works on
copies of that pack.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from html import escape
from pathlib import Path

import bagit
import polars as pl
import pytest
from click.testing import CliRunner
from defusedxml import ElementTree as DET

from fininvest.errors import FininvestError
from fininvest.evidence import Withheld, assemble, refresh_text, verify_pack, write_pack
from fininvest.evidence.anx import build_anx
from fininvest.evidence.ftm import validate_ftm
from fininvest.evidence.html import render_html
from fininvest.evidence.report import build_report
from fininvest.graph.chains import chains_of_trafficking
from fininvest.graph.store import GraphStore
from fininvest.workspace import Workspace, open_workspace

from .conftest import invoke

AT = "2026-12-01T12:00:00Z"


@pytest.fixture(scope="module")
def case(
    sample_ws: Workspace,
    traced_graph: tuple[GraphStore, list[str]],
    tmp_path_factory: pytest.TempPathFactory,
) -> Workspace:
    """A copy of the sample workspace, screened, with chains and a signing key."""
    root = tmp_path_factory.mktemp("evidence") / "case"
    shutil.copytree(sample_ws.root, root, ignore=shutil.ignore_patterns("graph", "results"))
    ws = open_workspace(root)
    runner = CliRunner()  # through the commands, so that the audit log records them
    ingest = invoke(runner, "ingest", root, *sorted(ws.path("raw").iterdir()), "--format", "json")
    assert ingest.exit_code == 0, ingest.output
    assert invoke(runner, "screen", root, "--format", "json").exit_code == 0
    chains = chains_of_trafficking(traced_graph[0])
    assert chains
    ws.path("results", "chains.json").write_text(json.dumps(chains, indent=2), "utf-8")
    assert invoke(runner, "evidence", "keygen", root).exit_code == 0
    return ws


@pytest.fixture(scope="module")
def chain(case: Workspace) -> dict:  # type: ignore[type-arg]
    chains = json.loads(case.path("results", "chains.json").read_text())
    return max(chains, key=lambda c: sum(len(x["records"]) for x in c["links"]))  # type: ignore[no-any-return]


def export(runner: CliRunner, case: Workspace, chain_id: str, out: Path, *more: str):  # type: ignore[no-untyped-def]
    """``fininvest evidence export`` of one chain at :data:`AT`."""
    return invoke(
        runner,
        "evidence",
        "export",
        case.root,
        "--chain",
        chain_id,
        "--out",
        out,
        "--at",
        AT,
        *more,
    )


@pytest.fixture(scope="module")
def pack(case: Workspace, chain: dict, tmp_path_factory: pytest.TempPathFactory) -> Path:  # type: ignore[type-arg]
    out = tmp_path_factory.mktemp("packs") / "pack"
    r = export(CliRunner(), case, chain["id"], out, "--format", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["signed_by"].startswith("sha256:")
    return out


def test_pack_is_a_valid_signed_bagit_bag(case: Workspace, chain: dict, pack: Path) -> None:  # type: ignore[type-arg]
    bag = bagit.Bag(str(pack))
    bag.validate()  # the bagit library's validator accepts it (raises otherwise)
    assert bag.version_info == (1, 0) and bag.algorithms == ["sha256"]
    info = bag.info
    assert info["Bagging-Date"] == "2026-12-01"
    assert chain["id"] in info["External-Identifier"] and case.name in info["External-Identifier"]
    assert info["Source-Organization"]
    files = sorted(p.relative_to(pack).as_posix() for p in pack.rglob("*") if p.is_file())
    payload = [f for f in files if f.startswith("data/")]
    assert info["Payload-Oxum"] == (
        f"{sum((pack / f).stat().st_size for f in payload)}.{len(payload)}"
    )
    for name in (
        "report.html",
        "report.pdf",
        "entities.ftm.json",
        "chart.anx",
        "evidence.json",
        "provenance.json",
        "records/transaction.csv",
        "records/intelligence.csv",
    ):
        assert f"data/{name}" in files, name
    assert "signature.ed25519" in files
    pub = case.path("evidence", "signing-key.pub")
    key = case.path("secrets", "evidence-signing.key")
    assert oct(key.stat().st_mode)[-3:] == "600"
    fp = info["Signing-Key-Fingerprint"]
    assert fp in (pack / "signature.ed25519").read_text()
    rep = verify_pack(pack, pub)
    assert rep.ok, rep.problems
    assert rep.signed_by == fp
    assert (pack / "data/report.pdf").read_bytes().startswith(b"%PDF")
    assert b"D:20261201120000" in (pack / "data/report.pdf").read_bytes()  # dated from --at


def test_report_cites_every_record_with_its_provenance(
    case: Workspace, chain: dict, pack: Path
) -> None:  # type: ignore[type-arg]
    html = (pack / "data/report.html").read_text("utf-8")
    assert not re.search(r"\b(src|href)\s*=", html), "the report must reference nothing"
    assert not re.search(r"url\((?!#)", html) and "<script" not in html
    assert "<svg" in html and "How to verify this pack" in html and "Timeline" in html
    evidence = json.loads((pack / "data/evidence.json").read_text())
    records = {(r["kind"], r["id"]): r for r in evidence["records"]}
    for link in chain["links"]:
        for ref in link["records"]:
            rec = records[ref["kind"], ref["id"]]  # every cited record is in the pack
            prov = rec["provenance"]
            assert prov["source_sha256"] and prov["record_no"] >= 1
            assert ref["id"] in html and prov["source_sha256"] in html
            # and it is the workspace's row: same source file, hash and record number
            table = {
                "transaction": "transactions",
                "intelligence": "intel_links",
                "str": "str_reports",
                "kyc": "accounts",
            }[ref["kind"]]
            rows = (
                case.scan(table)
                .filter(
                    (pl.col("source_file").cast(pl.String) == prov["source_file"])
                    & (pl.col("record_no") == prov["record_no"])
                )
                .collect()
            )
            assert (
                rows.height == 1
                and rows["source_sha256"].cast(pl.String)[0] == prov["source_sha256"]
            )
    for ev_link in evidence["chains"][0]["links"]:
        assert ev_link["claim"] and escape(ev_link["claim"]) in html
    members = set(chain["members"].values())
    owned = case.scan("assets").filter(pl.col("owner_id").is_in(list(members))).collect()
    assert owned.height, "the sample case has assets of chain members"
    for asset_id in owned["asset_id"]:
        assert asset_id in html
    assert "Money between the parties" in html and "Red flags" in html
    provenance = json.loads((pack / "data/provenance.json").read_text())
    commands = [c["command"] for c in provenance["commands"]]
    assert "ingest" in commands and "screen" in commands
    ingest = next(c for c in provenance["commands"] if c["command"] == "ingest")
    assert all(len(i["sha256"]) == 64 for i in ingest["inputs"])
    assert provenance["catalogue_version"].startswith("sha256:")
    assert provenance["exported_at"] == AT and provenance["fininvest_version"]
    assert all(s["raw_copy"] == "matches" for s in provenance["source_files"])


def test_records_csv_sorted_and_complete(pack: Path, chain: dict) -> None:  # type: ignore[type-arg]
    cited: dict[str, set[str]] = {}
    for link in chain["links"]:
        for ref in link["records"]:
            cited.setdefault(ref["kind"], set()).add(ref["id"])
    for kind, ids in cited.items():
        df = pl.read_csv(pack / f"data/records/{kind}.csv", infer_schema=False)
        assert df["record_id"].to_list() == sorted(df["record_id"].to_list())
        assert ids <= set(df["record_id"].to_list())
        assert {"source_file", "source_sha256", "record_no", "source_line"} <= set(df.columns)


def test_entities_are_valid_followthemoney(pack: Path, tmp_path: Path) -> None:
    from followthemoney import model

    path = pack / "data/entities.ftm.json"
    assert validate_ftm(path) == []
    schemata = {
        model.get_proxy(json.loads(line)).schema.name for line in path.read_text().splitlines()
    }
    assert {"Person", "BankAccount", "Ownership", "Payment", "Asset", "CourtCase"} <= schemata
    broken = tmp_path / "broken.ftm.json"
    lines = path.read_text().splitlines()
    bad = json.loads(lines[0])
    bad["properties"]["nonsense"] = ["x"]
    broken.write_text("\n".join([json.dumps(bad), '{"id": "x", "schema": "Nope"}', *lines[1:]]))
    problems = validate_ftm(broken)
    assert any("line 1" in p for p in problems) and any("line 2" in p for p in problems)


def test_anx_chart_names_every_member_and_link(pack: Path, chain: dict) -> None:  # type: ignore[type-arg]
    root = DET.parse(pack / "data/chart.anx").getroot()
    assert root.tag == "Chart"
    entities = {e.get("EntityId") for e in root.iter("Entity")}
    assert set(chain["members"].values()) <= entities and set(chain["victims"]) <= entities
    links = {(x.get("End1Id"), x.get("End2Id")) for x in root.iter("Link")}
    assert {(x["from"], x["to"]) for x in chain["links"]} <= links
    graded = [i for i in root.iter("ChartItem") if i.get("GradeOneIndex") is not None]
    assert graded and all(i.get("DateSet") in ("true", "false") for i in graded)


def test_names_are_escaped_in_html_and_anx(case: Workspace, chain: dict) -> None:  # type: ignore[type-arg]
    from datetime import UTC, datetime

    content = assemble(
        case, [chain["id"]], exported_at=datetime(2026, 12, 1, tzinfo=UTC), exported_by="t"
    )
    evil = '<script>alert("x")</script> & Co'
    for p in content.parties:
        p.name = evil
    content.withheld.append(Withheld("records", 2, "outside the <scope>"))
    html = render_html(build_report(content, title="t"), "t")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Withheld: 2 records — outside the &lt;scope&gt;" in html
    root = DET.fromstring(build_anx(content).encode())
    assert {i.get("Label") for i in root.iter("ChartItem")} >= {evil}


def _export_in_processes(case: Workspace, chain_id: str, outs: list[Path]) -> None:
    """One ``fininvest evidence export`` process per output, run side by side."""
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "fininvest",
                "evidence",
                "export",
                str(case.root),
                "--chain",
                chain_id,
                "--out",
                str(out),
                "--at",
                AT,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**os.environ, "SOURCE_DATE_EPOCH": ""},
        )
        for out in outs
    ]
    for p in procs:
        _out, err = p.communicate()
        assert p.returncode == 0, err.decode()


def test_two_exports_in_separate_processes_are_byte_identical(
    case: Workspace,
    chain: dict,  # type: ignore[type-arg]
    pack: Path,
    tmp_path: Path,
) -> None:
    outs = [tmp_path / str(i) / "pack.zip" for i in (1, 2)]
    _export_in_processes(case, chain["id"], outs)
    assert outs[0].read_bytes() == outs[1].read_bytes()
    with zipfile.ZipFile(outs[0]) as z:
        names = z.namelist()
        assert names == sorted(names)
        assert {zi.date_time for zi in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        # the folder exported in this process (another name, another time) holds the same
        # files, byte for byte: a pack does not depend on where it is written
        inside = {zi.filename.split("/", 1)[1]: z.read(zi) for zi in z.infolist()}
    assert set(inside) == {p.relative_to(pack).as_posix() for p in pack.rglob("*") if p.is_file()}
    for rel, data in inside.items():
        assert data == (pack / rel).read_bytes(), rel
    assert verify_pack(outs[0], case.path("evidence", "signing-key.pub")).ok


# ----- verification: the corruption corpus ------------------------------------------------------


def _copy(pack: Path, tmp_path: Path, name: str) -> Path:
    dst = tmp_path / name
    shutil.copytree(pack, dst)
    return dst


def _named(rep, path: str) -> bool:  # type: ignore[no-untyped-def]
    return any(c.path == path for c in rep.problems)


def test_corruption_corpus_each_caught_and_named(
    case: Workspace, pack: Path, tmp_path: Path
) -> None:
    key = case.path("evidence", "signing-key.pub")
    files = sorted(p.relative_to(pack).as_posix() for p in pack.rglob("*") if p.is_file())
    assert len(files) >= 15
    for i, rel in enumerate(files):  # one flipped byte in every file in turn
        bag = _copy(pack, tmp_path, f"flip{i}")
        data = bytearray((bag / rel).read_bytes())
        data[len(data) // 2] ^= 0x01
        (bag / rel).write_bytes(bytes(data))
        rep = verify_pack(bag, key)
        assert not rep.ok, rel
        named = rel if rel != "tagmanifest-sha256.txt" else "signature.ed25519"
        assert _named(rep, named), (rel, [(c.check, c.path, c.problem) for c in rep.problems])

    bag = _copy(pack, tmp_path, "truncated")
    pdf = bag / "data/report.pdf"
    pdf.write_bytes(pdf.read_bytes()[:-100])
    rep = verify_pack(bag, key)
    assert _named(rep, "data/report.pdf") and any(c.check == "payload-oxum" for c in rep.problems)

    bag = _copy(pack, tmp_path, "deleted")
    (bag / "data/chart.anx").unlink()
    rep = verify_pack(bag, key)
    assert any(c.path == "data/chart.anx" and c.problem == "missing" for c in rep.problems)

    bag = _copy(pack, tmp_path, "added")
    (bag / "data/records/extra.csv").write_text("record_id\nX\n")
    (bag / "notes.txt").write_text("added beside the tag files\n")
    rep = verify_pack(bag, key)
    extra = {c.path for c in rep.problems if c.problem == "extra"}
    assert extra == {"data/records/extra.csv", "notes.txt"}

    bag = _copy(pack, tmp_path, "renamed")
    (bag / "data/report.html").rename(bag / "data/report2.html")
    rep = verify_pack(bag, key)
    probs = {(c.path, c.problem) for c in rep.problems}
    assert {("data/report.html", "missing"), ("data/report2.html", "extra")} <= probs

    bag = _copy(pack, tmp_path, "baginfo")
    info = bag / "bag-info.txt"
    info.write_text(
        info.read_text().replace("Bagging-Date: 2026-12-01", "Bagging-Date: 2026-11-01")
    )
    rep = verify_pack(bag, key)
    assert any(c.path == "bag-info.txt" and c.problem == "modified" for c in rep.problems)

    bag = _copy(pack, tmp_path, "symlink")  # same bytes, but through a link out of the pack
    outside = tmp_path / "chart.anx"
    shutil.move(bag / "data/chart.anx", outside)
    (bag / "data/chart.anx").symlink_to(outside)
    assert any(c.problem == "symlink" for c in verify_pack(bag, key).problems)

    bag = _copy(pack, tmp_path, "unsigned")
    (bag / "signature.ed25519").unlink()
    assert _named(verify_pack(bag, key), "signature.ed25519")


def test_consistent_rewrite_is_caught_by_the_signature_only(
    case: Workspace, pack: Path, tmp_path: Path
) -> None:
    """Rewrite a record and re-make the manifests with the bagit library: fixity holds."""
    key = case.path("evidence", "signing-key.pub")
    bag = _copy(pack, tmp_path, "rewrite")
    csv = bag / "data/records/transaction.csv"
    lines = csv.read_text().splitlines()
    lines[1] = re.sub(r",(\d+)\.(\d+),", ",1.00,", lines[1], count=1)
    csv.write_text("\n".join(lines) + "\n")
    b = bagit.Bag(str(bag))
    b.save(manifests=True)  # new manifest, Payload-Oxum and tag manifest
    b.validate()  # the BagIt fixity check passes: it cannot see the rewrite
    rep = verify_pack(bag, key)
    assert [(c.check, c.path) for c in rep.problems] == [("signature", "signature.ed25519")]
    # re-signing with another key: caught when the verifier pins the signer's key
    from fininvest.evidence.signing import keygen, load_private, signature_text

    other = keygen(tmp_path / "attacker")
    sig = signature_text(
        load_private(other.private_path), (bag / "tagmanifest-sha256.txt").read_bytes()
    )
    (bag / "signature.ed25519").write_text(sig)
    assert not verify_pack(bag, key).ok
    info = (bag / "bag-info.txt").read_text()
    assert "Signing-Key-Fingerprint" in info


def test_cli_verify_zip_list_and_errors(
    case: Workspace,
    chain: dict,
    pack: Path,  # type: ignore[type-arg]
    tmp_path: Path,
    runner: CliRunner,
) -> None:
    r = invoke(runner, "evidence", "verify", pack, "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["ok"] and doc["signed_by"] and doc["problems"] == 0
    bad = _copy(pack, tmp_path, "bad")
    (bad / "data/evidence.json").write_text("{}")
    r = invoke(runner, "evidence", "verify", bad)
    assert r.exit_code == 3 and "data/evidence.json" in r.stdout and "NOT VERIFIED" in r.stdout
    r = invoke(runner, "evidence", "verify", bad, "--format", "json")
    doc = json.loads(r.stdout)  # exactly one JSON document, and the status says it fails
    assert r.exit_code == 3 and not doc["ok"]
    assert [c["path"] for c in doc["checks"] if not c["ok"] and c["check"] == "payload"] == [
        "data/evidence.json"
    ]
    # a zip: verified, and a flipped byte inside it is caught too
    z = tmp_path / "p.zip"
    r = export(runner, case, chain["id"], z, "--unsigned")
    assert r.exit_code == 0, r.output
    assert verify_pack(z).ok and verify_pack(z).signed_by is None
    assert not verify_pack(z, case.path("evidence", "signing-key.pub")).ok  # a key was expected
    data = bytearray(z.read_bytes())
    data[200] ^= 0xFF
    z.write_bytes(bytes(data))
    assert not verify_pack(z).ok
    # list: the packs exported from this workspace, from the audit log
    r = invoke(runner, "evidence", "list", case.root, "--format", "json")
    listed = json.loads(r.stdout)
    assert {str(z.resolve()), str(pack.resolve())} <= {p["out"] for p in listed}
    assert all(len(p["tagmanifest_sha256"]) == 64 for p in listed)
    # keygen keeps an existing key unless told
    r = invoke(runner, "evidence", "keygen", case.root)
    assert r.exit_code == 3 and "--force" in r.stderr
    # errors: an unknown chain is a usage error, an existing --out is refused
    r = invoke(
        runner, "evidence", "export", case.root, "--chain", "CH-NOPE", "--out", tmp_path / "x"
    )
    assert r.exit_code == 2 and chain["id"] in r.stderr
    r = invoke(runner, "evidence", "export", case.root, "--chain", chain["id"], "--out", pack)
    assert r.exit_code == 3


def test_content_can_be_transformed_before_writing(
    case: Workspace, chain: dict, tmp_path: Path
) -> None:  # type: ignore[type-arg]
    """The API a partner share builds on: assemble, change the content, write."""
    from datetime import UTC, datetime

    at = datetime(2026, 12, 1, 12, tzinfo=UTC)
    content = assemble(case, [chain["id"]], exported_at=at, exported_by="t")
    dropped = [r for r in content.records if r.kind == "str"]
    content.records = [r for r in content.records if r.kind != "str"]
    content.withheld.append(Withheld("suspicious transaction reports", len(dropped), "not shared"))
    recruiter = content.party(chain["members"]["recruiter"])
    assert recruiter is not None
    recruiter.name = "Person A"
    refresh_text(content)  # summaries and claims follow the changed data
    assert "Person A [" in content.chains[0].links[0].claim
    res = write_pack(
        content,
        tmp_path / "share",
        at=at,
        extra_payload={"share.json": '{"recipient": "RO"}\n'},
        extra_info={"Share-Recipient": "RO", "Payload-Oxum": "0.0"},
    )
    assert res.signed_by is None and verify_pack(res.path).ok
    assert (res.path / "data/share.json").read_text() == '{"recipient": "RO"}\n'
    info = bagit.Bag(str(res.path)).info
    assert info["Share-Recipient"] == "RO" and info["Payload-Oxum"] != "0.0"
    for bad in ("../outside.txt", "report.html"):
        with pytest.raises(FininvestError):
            write_pack(content, tmp_path / "bad", at=at, extra_payload={bad: "x"})
        assert not (tmp_path / "bad").exists()
    assert not (res.path / "data/records/str.csv").exists()
    html = (res.path / "data/report.html").read_text()
    assert "not shared" in html and "Person A [" in html


def test_one_pack_for_several_chains(case: Workspace, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    ids = [c["id"] for c in json.loads(case.path("results", "chains.json").read_text())][:2]
    at = datetime(2026, 12, 1, 12, tzinfo=UTC)
    content = assemble(case, ids, exported_at=at, exported_by="t")
    res = write_pack(content, tmp_path / "two.zip", at=at)
    assert verify_pack(res.path).ok
    with zipfile.ZipFile(res.path) as z:
        info = z.read("two/bag-info.txt").decode()
        html = z.read("two/data/report.html").decode()
    assert all(i in info and f"Chain {i}" in html for i in ids)
