"""One writer at a time, and what a killed writer leaves behind: the writer lock, temporary
files cleaned on the next run, audit entries before and after, a torn audit tail repaired.
The red-team trial: no lock; a kill -9 during ingest changed tables with no audit entry and
left a hidden copy in raw/ and a temporary folder in tables/ forever; a torn last line in
audit.jsonl made `status` exit 1 and the next entry was glued onto it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from fininvest.lock import workspace_lock
from fininvest.workspace import Workspace
from tests.conftest import BAD, invoke

HOLD = """
import sys, time
from fininvest.lock import workspace_lock
from fininvest.workspace import open_workspace
with workspace_lock(open_workspace(sys.argv[1]), "ingest"):
    print("locked", flush=True)
    time.sleep(60)
"""


def test_second_writer_is_refused_with_the_holders_pid(ws: Workspace, runner: CliRunner) -> None:
    with workspace_lock(ws, "graph load"):
        res = invoke(runner, "ingest", ws.root, BAD / "duplicate_ids.csv")
    assert res.exit_code == 4
    assert f"another fininvest process is loading this case (pid {os.getpid()}" in res.output
    assert not ws.has_table("transactions")  # nothing was written


def test_lock_of_a_killed_process_is_released(ws: Workspace, runner: CliRunner) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(ws.root)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    res = invoke(runner, "ingest", ws.root, BAD / "duplicate_ids.csv")
    assert res.exit_code == 4 and f"pid {holder.pid}" in res.output
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert invoke(runner, "ingest", ws.root, BAD / "duplicate_ids.csv").exit_code == 0


def test_temporary_files_of_a_killed_ingest_are_removed(ws: Workspace, runner: CliRunner) -> None:
    left = [
        ws.path("raw", ".tmp-abc123-bank.csv"),
        ws.path("tables", "transactions", ".tmp-bank-xyz", "00000.parquet"),
        ws.path("tables", "transactions", "part-0123-bank-00000.partial"),
        ws.path("quarantine", "0123-bank.partial"),
    ]
    for p in left:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"left by kill -9")
    assert invoke(runner, "ingest", ws.root, BAD / "duplicate_ids.csv").exit_code == 0
    assert not any(p.exists() for p in left)
    assert not ws.path("tables", "transactions", ".tmp-bank-xyz").exists()
    [cleanup] = [e for e in ws.audit_entries() if e["command"] == "cleanup"]
    assert cleanup["counts"]["removed"] == 4


def test_killed_ingest_left_a_started_entry(ws: Workspace, tmp_path: Path) -> None:
    """kill -9 in the middle of an ingest: the audit log names what it set out to change."""
    big = tmp_path / "bank.csv"
    header = (BAD / "duplicate_ids.csv").read_text().splitlines()[0]
    big.write_text(header + "\n" + "".join(_rows(200_000)))
    proc = subprocess.Popen(
        [sys.executable, "-m", "fininvest", "ingest", str(ws.root), str(big)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if any(e["status"] == "started" for e in ws.audit_entries()):
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    entries = [e for e in ws.audit_entries() if e["command"] == "ingest"]
    assert entries[0]["status"] == "started"
    assert entries[0]["params"]["files"] == [str(big)]


def _rows(n: int) -> list[str]:
    row = (BAD / "duplicate_ids.csv").read_text().splitlines()[1].split(",")
    return [",".join([f"TX-{i}", *row[1:]]) + "\n" for i in range(n)]


def test_torn_audit_tail_is_tolerated_and_repaired(ws: Workspace, runner: CliRunner) -> None:
    log = ws.path("audit.jsonl")
    torn = '{"command": "ingest", "time": "2026-12-01T10:0'
    with open(log, "a") as fh:
        fh.write(torn)  # a write cut off by a crash: no newline
    res = invoke(runner, "status", ws.root, "--format", "json")
    assert res.exit_code == 0
    assert json.loads(res.stdout)["last_commands"][-1]["status"] == "unreadable"
    assert invoke(runner, "ingest", ws.root, BAD / "duplicate_ids.csv").exit_code == 0
    lines = log.read_text().splitlines()
    entries = [json.loads(line) for line in lines]  # every line is one JSON document again
    [repair] = [e for e in entries if e["command"] == "audit repair"]
    assert repair["params"]["torn_line"] == torn
    assert entries[-1]["command"] == "ingest" and entries[-1]["status"] == "ok"
