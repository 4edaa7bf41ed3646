"""Writes HI-Small_Trans-sample.csv: 400 rows in the exact layout of IBM's public synthetic AML
transaction files ("HI-Small_Trans.csv"), written by hand from that layout (never copied from
the data set): every currency and payment format those files use, dates in 2022, the
quirks of the real file (two columns named Account, `YYYY/MM/DD HH:MM` times, currency names
instead of codes, self-transfers, identical repeated rows, payment and receipt in different
currencies). Run from the repository root: python tests/data/ibm_aml/make_sample.py
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

CURRENCIES = {  # currency name → a rough number of US dollars per unit, to size amounts
    "US Dollar": 1.0, "Euro": 1.05, "Bitcoin": 20000.0, "Yuan": 0.15, "Rupee": 0.0125,
    "Ruble": 0.016, "Saudi Riyal": 0.27, "Australian Dollar": 0.68, "Swiss Franc": 1.04,
    "Mexican Peso": 0.05, "UK Pound": 1.2, "Canadian Dollar": 0.75, "Brazil Real": 0.19,
    "Shekel": 0.29, "Yen": 0.0073,
}  # fmt: skip
FORMATS = ("Cheque", "ACH", "Credit Card", "Wire", "Cash", "Reinvestment", "Bitcoin")
HEADER = ["Timestamp", "From Bank", "Account", "To Bank", "Account", "Amount Received",
          "Receiving Currency", "Amount Paid", "Payment Currency", "Payment Format",
          "Is Laundering"]  # fmt: skip


def main(path: Path, rows: int = 400, seed: int = 32) -> None:
    rng = random.Random(seed)
    banks = [str(b) for b in (1, 10, 12, 70, 119, 3208, 11157, 220, 1292, 24808)]
    accounts = [(rng.choice(banks), f"{rng.randrange(0x800000000, 0x80FFFFFFF):09X}")
                for _ in range(60)]  # fmt: skip
    names = list(CURRENCIES)
    out: list[list[str]] = []
    for i in range(rows):
        day = 1 + (i * 364) // rows  # spread over 2022
        month, dom = 1, day
        for m, n in enumerate((31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31), start=1):
            if dom <= n:
                month = m
                break
            dom -= n
        ts = f"2022/{month:02d}/{dom:02d} {rng.randrange(24):02d}:{rng.randrange(60):02d}"
        fmt = FORMATS[i % len(FORMATS)]
        paid_cur = "Bitcoin" if fmt == "Bitcoin" else names[i % len(names)]
        recv_cur = paid_cur if rng.random() < 0.9 else rng.choice(names)
        (fb, fa), (tb, ta) = rng.choice(accounts), rng.choice(accounts)
        if fmt == "Reinvestment":
            tb, ta = fb, fa  # IBM's reinvestments are self-transfers
        usd = round(rng.lognormvariate(6, 2), 2)
        paid = usd / CURRENCIES[paid_cur]
        recv = usd / CURRENCIES[recv_cur]
        digits = 6 if "Bitcoin" in (paid_cur, recv_cur) else 2
        out.append([ts, fb, fa, tb, ta, f"{recv:.{digits}f}", recv_cur, f"{paid:.{digits}f}",
                    paid_cur, fmt, "1" if rng.random() < 0.01 else "0"])  # fmt: skip
    out += out[5:7]  # the real files repeat identical rows
    with path.open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(HEADER)
        w.writerows(out)


if __name__ == "__main__":
    main(Path(__file__).with_name("HI-Small_Trans-sample.csv"))
