"""``fininvest sample``."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from fininvest.cli.output import FORMAT_OPTION, emit, stderr
from fininvest.sample import SCALES, SCENARIOS, generate_case
from fininvest.workspace import open_workspace


@click.command()
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.option(
    "--scale",
    type=click.Choice(list(SCALES)),
    default="small",
    show_default=True,
    help="small ≈ 90k transactions, medium ≈ 1M, large ≈ 10M.",
)
@click.option("--seed", type=int, default=7, show_default=True, help="Same seed, same case.")
@click.option(
    "--scenario",
    type=click.Choice(["all", *SCENARIOS]),
    default="all",
    show_default=True,
    help="Which THB scenario families to plant.",
)
@click.option(
    "--truth-out",
    type=click.Path(path_type=Path),
    help="Where the ground truth goes (default CASE_DIR/truth).",
)
@click.option(
    "--compress/--no-compress", default=False, show_default=True, help="gzip the large CSV files."
)
@click.option(
    "--defects/--no-defects",
    default=True,
    show_default=True,
    help="Add a few realistic export errors (listed in the truth) to show the quarantine.",
)
@FORMAT_OPTION
def sample(
    case_dir: Path,
    scale: str,
    seed: int,
    scenario: str,
    truth_out: Path | None,
    compress: bool,
    defects: bool,
    fmt: str,
) -> None:
    """Generate a synthetic THB case: raw files into CASE_DIR/raw, ground truth apart.

    The case mixes a legitimate population (≥ 99% of accounts, including look-alikes such as
    business travellers, payroll bureaus, migrant remitters, massage and nail businesses and
    dating-site users) with planted rings of sexual exploitation, forced labour and forced
    criminality whose recruiters, transporters, exploiters and controllers sit in different
    countries. Ingest it with: fininvest ingest CASE_DIR
    """
    ws = open_workspace(case_dir)
    truth = truth_out or ws.path("truth")
    with stderr.status(f"generating a {scale} case (seed {seed})"):
        summary = generate_case(
            ws.path("raw"),
            truth,
            scale=scale,
            seed=seed,
            scenario=scenario,
            compress=compress,
            defects=defects,
        )
    summary["raw"] = str(ws.path("raw"))
    summary["truth"] = str(truth)
    ws.audit(
        "sample",
        {"scale": scale, "seed": seed, "scenario": scenario},
        counts={"transactions": summary["transactions"], "accounts": summary["accounts"]},
    )

    def render(c: Console) -> None:
        c.print(
            f"Generated {summary['transactions']:,} transactions over "
            f"{summary['accounts']:,} accounts in {summary['seconds']} s; rings: "
            f"{', '.join(summary['rings'])}; countries: {', '.join(summary['countries'])}."
        )
        c.print(f"Raw files: {summary['raw']}  ·  ground truth: {summary['truth']}")

    emit(fmt, summary, render)
