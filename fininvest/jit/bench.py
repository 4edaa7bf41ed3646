"""Benchmark of one full deconfliction exchange: N identifiers per side, half of them shared.

Runs the real code path in two throw-away workspaces — identifiers read from a CSV and
normalised, offer, answer, result, closing, with the message files written and read — and
reports the seconds of each step. Both sides run on this machine one after the other, so
the total is what two partners' machines would spend together. Optionally times
``openmined-psi`` (if installed) on the same sets for comparison.
"""

from __future__ import annotations

import csv
import resource
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from fininvest.jit.agreement import create_agreement
from fininvest.jit.collect import read_identifier_file
from fininvest.jit.deconflict import (
    compute_result,
    make_answer,
    make_offer,
    read_message,
    receive_result,
    write_message,
)
from fininvest.workspace import init_workspace

BENCH_JIT = "JIT-BENCH"


def _write_ids(path: Path, start: int, n: int) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["kind", "value", "country", "record"])
        for i in range(start, start + n):
            w.writerow(["phone", f"0151 {10_000_000 + i}", "DE", f"R{i}"])


def bench_exchange(
    n: int, workers: int | None = None, say: Callable[[str], None] = lambda _m: None
) -> dict[str, Any]:
    """Seconds per step of one exchange of ``n`` identifiers per side (n/2 shared).

    Complexity: 4n scalar multiplications and 2n hash-to-curve maps in all.
    """
    out: dict[str, Any] = {"n_per_side": n, "shared": n // 2, "workers": workers}
    with tempfile.TemporaryDirectory(prefix="fininvest-psi-bench-") as tmp:
        base = Path(tmp)
        today = datetime.now(UTC).date()
        sides = {}
        for home, partner, start in (("DE", "UA", 0), ("UA", "DE", n // 2)):
            ws = init_workspace(base / home, name=f"bench {home}")
            create_agreement(
                ws, jit_id=BENCH_JIT, partners={partner: ""}, home=home, purpose="benchmark",
                start=today - timedelta(days=1), until=today + timedelta(days=1),
                max_set_size=max(n, 1),
            )  # fmt: skip
            _write_ids(ws.path("ids.csv"), start, n)
            sides[home] = ws
        from fininvest.jit.agreement import load_agreement

        a, b = sides["DE"], sides["UA"]
        ag_a, ag_b = load_agreement(a, BENCH_JIT), load_agreement(b, BENCH_JIT)
        steps: dict[str, float] = {}
        cpu: dict[str, float] = {}

        def timed(name: str, fn: Callable[[], Any]) -> Any:
            say(f"{name}…")
            t0, c0 = time.perf_counter(), _cpu_seconds()
            value = fn()
            steps[name] = round(time.perf_counter() - t0, 2)
            cpu[name] = round(_cpu_seconds() - c0, 2)
            return value

        items_a = timed("normalise A", lambda: read_identifier_file(a.path("ids.csv"), ("phone",)))
        items_b = timed("normalise B", lambda: read_identifier_file(b.path("ids.csv"), ("phone",)))

        def offer() -> None:
            write_message(base / "offer.json", make_offer(a, ag_a, "UA", items_a[0],
                                                          workers=workers))  # fmt: skip

        def answer() -> None:
            msg, sha = read_message(base / "offer.json", "offer")
            write_message(base / "answer.json", make_answer(b, ag_b, msg, sha, items_b[0],
                                                            workers=workers))  # fmt: skip

        def result() -> dict[str, Any]:
            msg, sha = read_message(base / "answer.json", "answer")
            report, closing = compute_result(a, ag_a, msg, sha, workers=workers)
            write_message(base / "closing.json", closing)
            return report

        def closing() -> dict[str, Any]:
            msg, _sha = read_message(base / "closing.json", "result")
            return receive_result(b, ag_b, msg)

        timed("offer (A)", offer)
        timed("answer (B)", answer)
        ra = timed("result (A)", result)
        rb = timed("result (B)", closing)
        out["offer_bytes"] = (base / "offer.json").stat().st_size
        out["answer_bytes"] = (base / "answer.json").stat().st_size
    out["steps_s"] = steps
    out["steps_cpu_s"] = cpu
    out["protocol_s"] = round(sum(v for k, v in steps.items() if "normalise" not in k), 2)
    out["protocol_cpu_s"] = round(sum(v for k, v in cpu.items() if "normalise" not in k), 2)
    out["total_s"] = round(sum(steps.values()), 2)
    out["hits"] = {"A": ra["hits"], "B": rb["hits"]}
    out["correct"] = ra["hits"] == rb["hits"] == n // 2
    out["date"] = date.today().isoformat()
    return out


def _cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children (the pool workers)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def bench_openmined(n: int) -> dict[str, Any] | None:
    """The same sets through ``openmined-psi`` (one process; None when not installed)."""
    try:
        import private_set_intersection.python as psi_lib
    except ImportError:
        return None
    a = [f"+4915{10_000_000 + i}" for i in range(n)]
    b = [f"+4915{10_000_000 + i}" for i in range(n // 2, n // 2 + n)]
    t0 = time.perf_counter()
    client = psi_lib.client.CreateWithNewKey(True)
    server = psi_lib.server.CreateWithNewKey(True)
    setup = server.CreateSetupMessage(0.0, len(a), b, psi_lib.DataStructure.RAW)
    request = client.CreateRequest(a)
    response = server.ProcessRequest(request)
    hits = client.GetIntersection(setup, response)
    seconds = time.perf_counter() - t0
    return {"seconds": round(seconds, 2), "hits": len(hits), "correct": len(hits) == n // 2}
