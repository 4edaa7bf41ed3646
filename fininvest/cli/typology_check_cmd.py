"""``fininvest typology-check``."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from fininvest.cli.output import FORMAT_OPTION, emit, stderr
from fininvest.errors import WorkspaceError
from fininvest.typology_check import run_check


@click.command("typology-check")
@click.argument("out_dir", type=click.Path(path_type=Path))
@click.option(
    "--accounts",
    type=click.IntRange(200),
    default=20000,
    show_default=True,
    help="Ordinary accounts of the generated check.",
)
@click.option(
    "--instances",
    type=click.IntRange(1),
    default=5,
    show_default=True,
    help="Laundering attempts of each typology.",
)
@click.option(
    "--days", type=click.IntRange(60), default=180, show_default=True, help="Days of activity."
)
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same check.")
@click.option(
    "--transactions",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An IBM AML transactions file to check instead of generating one.",
)
@click.option(
    "--patterns",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Its IBM *_Patterns.txt file (with --transactions).",
)
@FORMAT_OPTION
def typology_check(
    out_dir: Path,
    accounts: int,
    instances: int,
    days: int,
    seed: int,
    transactions: Path | None,
    patterns: Path | None,
    fmt: str,
) -> None:
    """Transfer-only check of the AML typologies: main-account recall@k per typology.

    Generates a small case in the IBM AML CSV layout from the public definitions of IBM
    AMLSim's typologies (fan-in, fan-out, cycle, scatter-gather, gather-scatter, bipartite,
    stack: 4-12 accounts, cycles of 3-8, over 10-30 days) among ordinary accounts that also
    fan in and out, ingests it into a default workspace OUT_DIR/case, screens it and reports,
    per typology, the share of main accounts ranked in the top k (k = 2 × accounts in any
    laundering transaction). With --transactions and --patterns it checks an IBM file instead.

    Example: fininvest typology-check /tmp/check --accounts 20000 --format json
    """
    if (transactions is None) != (patterns is None):
        raise click.UsageError("--transactions and --patterns go together")
    if (out_dir / "case").exists():
        raise WorkspaceError(f"{out_dir / 'case'} exists already", hint="Choose an empty OUT_DIR.")
    with stderr.status("generating, ingesting and screening the check"):
        res = run_check(out_dir, accounts, instances, days, seed, transactions, patterns)

    def render(c: Console) -> None:
        c.print(
            f"k = {res['k']} (2 × {res['sar_accounts']} accounts in laundering transactions); "
            f"{res['ranked_suspects']} accounts ranked as suspects"
        )
        t = Table("typology", "attempts", "main accounts", "in top k", "recall@k")
        for kind, row in res["typologies"].items():
            t.add_row(
                kind,
                str(row["attempts"]),
                str(row["main_accounts"]),
                str(row["in_top_k"]),
                f"{row['recall_at_k']:.2f}",
            )
        c.print(t)
        mean = res["core_mean_recall_at_k"]
        c.print(f"mean over the core typologies: {'n/a' if mean is None else f'{mean:.2f}'}")

    emit(fmt, res, render)
