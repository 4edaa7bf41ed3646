"""Ingestion on real files: the committed sample case, IBM AML, Parquet, goAML XML."""

# ruff: noqa: E501  (literal IBM AML file content below keeps its real line length)

from __future__ import annotations

import tracemalloc
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from fininvest.formats.declarations import PROVENANCE, table_schema
from fininvest.formats.goaml import parse_goaml
from fininvest.ingest import ingest_files
from fininvest.workspace import Workspace, file_sha256

from .conftest import SAMPLE_DATA, invoke


def test_sample_counts_add_up_and_defects_are_quarantined(sample_ws: Workspace) -> None:
    log = [e for e in sample_ws.audit_entries() if e["command"] == "ingest"]
    assert not log  # ingest_files (library) does not write the audit log; the CLI does
    q = pl.read_parquet(sample_ws.quarantine_parts())
    defects = pl.read_csv(SAMPLE_DATA / "truth" / "defects.csv")
    assert sorted(q["record_id"].to_list()) == sorted(defects["record_id"].to_list())
    for rec_id, expected in defects.select("record_id", "expected").iter_rows():
        reason = q.filter(pl.col("record_id") == rec_id)["reason"].item()
        assert expected in reason
    tx = sample_ws.scan("transactions").collect()
    assert tx["txn_id"].is_unique().all()
    assert tx["currency"].n_unique() > 1  # controllers and recruiters pay in local currency
    foreign = tx.filter(pl.col("currency") != "EUR")
    assert foreign["amount_base"].null_count() == 0
    assert (foreign["amount_base"] < foreign["amount"]).all()  # BGN, MDL, NGN are worth < 1 EUR


def test_every_row_carries_provenance(sample_ws: Workspace) -> None:
    for table in sample_ws.tables():
        df = sample_ws.scan(table).collect()
        assert list(df.columns) == list(table_schema(table)), table
        for col in ("source_file", "source_sha256", "record_no"):
            assert df[col].null_count() == 0, (table, col)
        for name, sha in df.select("source_file", "source_sha256").unique().iter_rows():
            assert file_sha256(sample_ws.path("raw", name)) == sha
    assert {d.name for d in PROVENANCE} <= set(sample_ws.scan("accounts").collect_schema())


def test_timestamps_are_utc_with_original_offset(sample_ws: Workspace) -> None:
    tx = sample_ws.scan("card_transactions").collect()
    assert tx["ts"].dtype == pl.Datetime("ms", "UTC")
    assert set(tx["ts_offset_min"].unique().to_list()) >= {60, 120}  # CET and CEST/EET
    first = tx.filter(pl.col("source_line") == 2)
    raw = pl.read_csv(
        sample_ws.path("raw", "card_transactions.csv.gz"), infer_schema=False, n_rows=1
    )
    assert first["txn_id"].item() == raw["txn_id"].item()


def test_reingest_is_idempotent(ws: Workspace, tiny_case: tuple[Path, Path, dict]) -> None:  # type: ignore[type-arg]
    raw, _truth, _ = tiny_case
    files = sorted(raw.iterdir())
    first = ingest_files(ws, files)
    counts = {t: ws.scan(t).select(pl.len()).collect().item() for t in ws.tables()}
    second = ingest_files(ws, files)
    again = {t: ws.scan(t).select(pl.len()).collect().item() for t in ws.tables()}
    assert counts == again
    assert [s.read for s in first] == [s.read for s in second]
    for s in first + second:
        assert s.read == s.accepted + s.rejected
        assert s.accepted == s.added + s.already_present


def test_same_records_in_another_file_are_reported_not_duplicated(
    ws: Workspace, tmp_path: Path
) -> None:
    head = "txn_id,timestamp,from_account,to_account,amount,currency,channel\n"
    a = tmp_path / "a.csv"
    b = tmp_path / "b.csv"
    a.write_text(head + "T1,2025-03-01T10:00:00Z,X,,1.00,EUR,atm\n")
    b.write_text(
        head + "T1,2025-03-01T10:00:00Z,X,,1.00,EUR,atm\nT2,2025-03-01T10:00:00Z,X,,2.00,EUR,atm\n"
    )
    ingest_files(ws, [a])
    [s] = ingest_files(ws, [b])
    assert (s.read, s.accepted, s.added, s.already_present) == (2, 2, 1, 1)
    assert ws.scan("transactions").select(pl.len()).collect().item() == 2


def test_parts_leave_out_empty_columns_and_scans_give_them_back(
    ws: Workspace, tmp_path: Path
) -> None:
    """A part stores only the columns its records fill; reading the table (and finding the ids
    other files brought) sees every declared column, in its declared dtype, whatever the mix
    of parts."""
    head = "txn_id,timestamp,from_account,to_account,amount,currency,channel"
    a = tmp_path / "a.csv"
    a.write_text(head + "\nT1,2025-03-01T10:00:00Z,X,,1.00,EUR,atm\n")
    b = tmp_path / "b.csv"
    b.write_text(
        head + ",city,purpose\nT2,2025-03-01T11:00:00Z,X,Y,2.00,EUR,sepa,Hamburg,rent\n"
        "T1,2025-03-01T10:00:00Z,X,,1.00,EUR,atm,,\n"
    )
    ingest_files(ws, [a])
    [s] = ingest_files(ws, [b])
    assert (s.accepted, s.added, s.already_present) == (2, 1, 1)  # T1 found in a's part
    stored = {p: set(pl.read_parquet_schema(p)) for p in ws.table_parts("transactions")}
    assert [("city" in c, "purpose" in c) for c in stored.values()].count((False, False)) == 1
    assert all(c <= set(table_schema("transactions")) for c in stored.values())
    tx = ws.scan("transactions").sort("txn_id").collect()
    assert tx.schema == pl.Schema(table_schema("transactions"))
    assert tx.select("txn_id", "city", "purpose", "to_account").rows() == [
        ("T1", None, None, None),
        ("T2", "Hamburg", "rent", "Y"),
    ]


IBM_TX = """Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,Amount Paid,Payment Currency,Payment Format,Is Laundering
2022/09/01 00:20,10,8000EBD30,10,8000EBD30,3697.34,US Dollar,3697.34,US Dollar,Reinvestment,0
2022/09/01 00:20,3208,8000F4580,1,8000F5340,0.01,US Dollar,0.01,US Dollar,Cheque,0
2022/09/01 00:20,3208,8000F4580,1,8000F5340,0.01,US Dollar,0.01,US Dollar,Cheque,0
2022/09/01 00:02,12,8000EC1E0,12,8000EC1E0,0.01,Euro,0.01,Euro,Bitcoin,1
2022/09/01 00:05,1,8000EBD30,1,8000EBD30,11.00,US Dollar,11.00,US Dollar,Telepathy,0
"""
IBM_ACC = """Bank Name,Bank ID,Account Number,Entity ID,Entity Name
US Bank #10,10,8000EBD30,800062D30,Sole Proprietorship #50438
First Bank #1,1,8000EBD30,800A1B2C3,Corporation #1
"""


def test_ibm_aml_format(ws: Workspace, tmp_path: Path) -> None:
    tx_file = tmp_path / "HI-Small_Trans.csv"
    acc_file = tmp_path / "HI-Small_accounts.csv"
    tx_file.write_text(IBM_TX)
    acc_file.write_text(IBM_ACC)
    fx = tmp_path / "fx.csv"
    fx.write_text("date,currency,quote,rate\n2022-08-31,USD,EUR,1.005\n2022-08-31,XBT,EUR,20000\n")
    out = {s.file: s for s in ingest_files(ws, [tx_file, acc_file, fx])}
    assert out[tx_file.name].kind == "ibm_aml" and out[acc_file.name].kind == "ibm_accounts"
    s = out[tx_file.name]
    assert (s.read, s.accepted, s.rejected) == (5, 4, 1)  # unknown payment format
    tx = ws.scan("transactions").collect().sort("record_no")
    assert tx["from_account"].to_list()[:2] == ["10:8000EBD30", "3208:8000F4580"]
    assert tx["txn_id"].n_unique() == 4  # identical rows stay two records
    assert "is_laundering" not in tx.columns  # labels live apart
    labels = ws.scan("labels").collect()
    assert labels.filter(pl.col("value") == 1)["txn_id"].to_list() == [tx["txn_id"][3]]
    acc = ws.scan("accounts").collect()
    # the same account number at two banks is two accounts
    assert sorted(acc["account_id"].to_list()) == ["10:8000EBD30", "1:8000EBD30"]
    assert tx.filter(pl.col("currency") == "USD")["amount_base"][0] == 3697.34 * 1.005


def test_parquet_input_same_as_csv(ws: Workspace, tmp_path: Path) -> None:
    df = pl.DataFrame(
        {
            "txn_id": ["P1", "P2"],
            "timestamp": pl.Series(["2025-03-01T10:00:00+01:00", "2025-03-01T11:00:00Z"]),
            "from_account": ["DE89370400440532013000", None],
            "to_account": [None, "DE89370400440532013000"],
            "amount": [250.0, -3.0],
            "currency": ["EUR", "EUR"],
            "channel": ["atm", "cash"],
        }
    )
    path = tmp_path / "tx.parquet"
    df.write_parquet(path)
    [s] = ingest_files(ws, [path])
    assert (s.kind, s.format, s.read, s.accepted, s.rejected) == ("bank", "parquet", 2, 1, 1)
    assert pl.read_parquet(ws.quarantine_parts())["reason"].str.contains("negative").all()


def _goaml(n_reports: int, tx_per_report: int) -> str:
    parts = ["<reports>"]
    for r in range(n_reports):
        parts.append(
            f"<report><rentity_id>7</rentity_id><report_code>STR</report_code>"
            f"<entity_reference>R{r}</entity_reference>"
            f"<currency_code_local>EUR</currency_code_local><reason>r {r}</reason>"
        )
        for t in range(tx_per_report):
            parts.append(
                f"<transaction><transactionnumber>{r}-{t}</transactionnumber>"
                "<date_transaction>2025-03-01T10:00:00</date_transaction>"
                "<amount_local>9000.00</amount_local><t_from><from_person>"
                "<first_name>Ana</first_name><last_name>Pop</last_name>"
                f"<passport_number>P{t % 50}</passport_number><nationality1>RO</nationality1>"
                "<phones><phone><tph_country_prefix>40</tph_country_prefix>"
                "<tph_number>721234567</tph_number></phone></phones></from_person></t_from>"
                "<t_to_my_client><to_account><iban>DE89370400440532013000</iban>"
                "<signatory><is_primary>true</is_primary><t_person><first_name>Ion</first_name>"
                "<last_name>Dan</last_name><passport_number>X1</passport_number>"
                "</t_person></signatory></to_account></t_to_my_client></transaction>"
            )
        parts.append("<report_indicators><indicator>THB</indicator></report_indicators></report>")
    parts.append("</reports>")
    return "\n".join(parts)


def test_goaml_reports_become_canonical_rows(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "strs.xml"
    path.write_text(_goaml(3, 4))
    [s] = ingest_files(ws, [path])
    assert s.kind == "goaml" and s.rejected == 0 and s.error is None
    tx = ws.scan("transactions").collect()
    assert tx.height == 12 and set(tx["channel"]) == {"cash"}
    assert set(tx["report_id"]) == {"7:R0", "7:R1", "7:R2"}
    ident = ws.scan("identifiers").collect()
    assert ident.filter(pl.col("kind") == "phone")["value"].unique().to_list() == ["+40721234567"]
    reports = ws.scan("str_reports").collect()
    assert reports["indicators"].to_list() == ["THB"] * 3
    assert ws.scan("accounts").collect()["account_id"].to_list() == ["DE89370400440532013000"]


def test_goaml_parse_is_incremental(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The Python objects a goAML parse holds do not grow with the file: one report's
    elements, and the rows not yet turned into a Polars frame (every 1,000 rows here)."""
    import fininvest.formats.goaml as goaml

    monkeypatch.setattr(goaml, "FLUSH_ROWS", 1_000)
    peaks, sizes = [], []
    for n_reports in (50, 200):  # 2,500 and 10,000 transactions: ~1.75 and ~7 MB
        path = tmp_path / f"big{n_reports}.xml"
        path.write_text(_goaml(n_reports, 50))
        tracemalloc.start()
        rows, n = parse_goaml(path)
        _cur, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert n == n_reports and len(rows.transactions) == 50 * n_reports
        assert rows.transactions.frame()["_record_no"].to_list() == list(range(1, 50 * n + 1))
        peaks.append(peak)
        sizes.append(path.stat().st_size)
    # four times the file, about the same peak (an element tree of the whole file, or a dict
    # per row, would be several times the file's size and grow with it)
    assert peaks[1] < 1.25 * peaks[0], peaks
    assert peaks[1] < sizes[1] / 2, (peaks, sizes)


def test_goaml_parse_reports_progress(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A long goAML parse says how far it is (every 32 MB; every 64 KB here)."""
    import fininvest.formats.goaml as goaml

    monkeypatch.setattr(goaml, "PROGRESS_BYTES", goaml.CHUNK)
    path = tmp_path / "strs.xml"
    path.write_text(_goaml(40, 50))  # ~1.4 MB
    said: list[str] = []
    rows, n = parse_goaml(path, said.append)
    assert n == 40 and len(said) >= 10
    reports = [int(m.split(", ")[1].split()[0]) for m in said]
    assert reports == sorted(reports) and 0 < reports[-1] <= 40
    assert all(m.startswith("strs.xml: ") and "MB of XML read" in m for m in said)


def test_chunk_boundaries_change_nothing(ws: Workspace, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Chunked processing (tiny chunks here) gives the same outcome as one chunk."""
    from fininvest.formats import readers

    from .conftest import BAD

    monkeypatch.setattr(readers, "CHUNK_RECORDS", 2)
    [s] = ingest_files(ws, [BAD / "duplicate_ids.csv"])
    assert (s.read, s.accepted, s.rejected) == (3, 2, 1)
    q = pl.read_parquet(ws.quarantine_parts())
    assert q["reason"].item() == "duplicate txn_id 'T1'; first seen at record 1 (line 2)"
    assert q["source_line"].item() == 4
    [s] = ingest_files(ws, [BAD / "truncated_last_line.csv"])  # T1, T2 again, T3 cut off
    assert (s.read, s.accepted, s.rejected, s.already_present) == (3, 2, 1, 2)
    # one part: chunk 2 of the first file held only the duplicate, the second file only
    # records already present
    assert len(ws.table_parts("transactions")) == 1


def test_no_temporary_parts_are_left_behind(ws: Workspace, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Parts are written to a temporary folder, which is gone afterwards whether the file was
    stored or failed half-way; the SHA-256 (computed beside the first chunk) is on every row."""
    import fininvest.ingest.pipeline as pipeline
    from fininvest.errors import BadInput
    from fininvest.formats import readers

    from .conftest import BAD

    def leftovers() -> list[str]:
        return [p.name for t in ws.tables() for p in ws.table_dir(t).iterdir() if p.is_dir()]

    monkeypatch.setattr(readers, "CHUNK_RECORDS", 1)
    source = BAD / "duplicate_ids.csv"
    [s] = ingest_files(ws, [source])
    assert s.error is None and leftovers() == []
    shas = ws.scan("transactions").select("source_sha256").collect().to_series().unique()
    assert shas.cast(pl.String).to_list() == [file_sha256(source)]

    calls = []
    real = pipeline._process_chunk

    def fail_on_second(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 2:
            raise BadInput("stopped on purpose")
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "_process_chunk", fail_on_second)
    copy = tmp_path / "again.csv"
    copy.write_bytes(source.read_bytes() + b"T9,2025-01-01T00:00:00Z,A,B,1.00,EUR,wire\n")
    [s] = ingest_files(ws, [copy])
    assert s.error == "stopped on purpose"
    assert leftovers() == []
    # the raw copy, made beside the parse, is dropped with the failed ingest
    assert sorted(p.name for p in ws.path("raw").iterdir()) == ["duplicate_ids.csv"]


def test_raw_copies(ws: Workspace, tmp_path: Path) -> None:
    """Every ingested file is kept in raw/ once, byte for byte; another file of the same name
    is kept beside it under its digest's first characters; a file already in raw/ is not
    copied again, and no temporary copy is left."""
    from .conftest import BAD

    source = BAD / "duplicate_ids.csv"
    ingest_files(ws, [source])
    ingest_files(ws, [source])
    other = tmp_path / source.name
    other.write_bytes(source.read_bytes() + b"T9,2025-01-01T00:00:00Z,A,B,1.00,EUR,wire\n")
    ingest_files(ws, [other])
    ingest_files(ws, [ws.path("raw", source.name)])
    sha = file_sha256(other)
    names = sorted(p.name for p in ws.path("raw").iterdir())
    assert names == sorted([source.name, f"{sha[:8]}-{source.name}"])
    assert ws.path("raw", source.name).read_bytes() == source.read_bytes()
    assert file_sha256(ws.path("raw", f"{sha[:8]}-{source.name}")) == sha


@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 4097, 3 * 4096 + 7, (1 << 20) + 5])
@pytest.mark.parametrize("direct_fails", [False, True])
def test_copy_file_is_byte_for_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int, direct_fails: bool
) -> None:
    """The raw copy: whole aligned blocks written past the page cache and the tail after them,
    or an ordinary copy where ``O_DIRECT`` is refused; bytes and times kept, owner-only."""
    import os

    import fininvest.workspace as workspace

    if direct_fails:

        def refuse(*args: object) -> None:
            raise OSError(22, "O_DIRECT refused")

        monkeypatch.setattr(workspace, "_copy_direct", refuse)
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_bytes(bytes(range(256)) * (size // 256) + os.urandom(size % 256))
    source.chmod(0o640)
    workspace.copy_file(source, target, block=8192)  # several blocks, one partial
    assert target.read_bytes() == source.read_bytes()
    assert target.stat().st_mode & 0o777 == 0o600  # a case's files are the owner's only
    assert target.stat().st_mtime == source.stat().st_mtime


def test_tables_from_an_earlier_version_are_named_and_rebuilt(
    ws: Workspace, runner: CliRunner, tmp_path: Path
) -> None:
    """A part whose vocabulary (Enum) differs from today's declaration is refused with the
    table, the column and the command that rebuilds it; running that command fixes it."""
    head = "txn_id,timestamp,from_account,to_account,amount,currency,channel\n"
    src = ws.path("raw", "bank.csv")
    src.write_text(head + "T1,2025-03-01T10:00:00Z,X,Y,1.00,EUR,sepa\n")
    ingest_files(ws, [src])
    [part] = ws.table_parts("transactions")
    old = pl.read_parquet(part)
    narrower = pl.Enum(["sepa", "atm"])  # as if written by a version with two channels
    old.with_columns(pl.col("channel").cast(pl.String).cast(narrower)).write_parquet(part)

    result = invoke(runner, "screen", ws.root)
    assert result.exit_code == 4
    assert "table 'transactions'" in result.output and "'channel'" in result.output
    assert f"fininvest ingest {ws.root}" in result.output

    assert invoke(runner, "ingest", ws.root, "-q").exit_code == 0
    assert ws.scan("transactions").collect()["channel"].to_list() == ["sepa"]
