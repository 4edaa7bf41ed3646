"""``fininvest evaluate``."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from fininvest.cli.output import FORMAT_OPTION, emit
from fininvest.graph.quality import evaluate_chains
from fininvest.screening.evaluate import evaluate as run_evaluate
from fininvest.workspace import open_workspace


def _pct(v: float | None) -> str:
    return "n/a" if v is None or v != v else f"{v:.0%}"


@click.command()
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.option(
    "--truth",
    "truth_dir",
    type=click.Path(path_type=Path),
    help="Ground-truth folder (default CASE_DIR/truth, as written by fininvest sample).",
)
@FORMAT_OPTION
def evaluate(case_dir: Path, truth_dir: Path | None, fmt: str) -> None:
    """Measure the last screening against a synthetic case's ground truth.

    Key accounts first: recall@k of the controllers', exploiters' and funnel accounts with
    k = 2 × their number, per THB family (sexual exploitation, forced labour, forced
    criminality: when the truth names the family) and per class (controller, exploiter,
    funnel); victims ranked as suspects, per family; and the look-alikes' share of those top
    k places (when the truth labels look-alikes). Then precision, recall and average
    precision of all ranked suspects (k = 2 × true suspect accounts), per scenario and per
    role; how often each look-alike group is flagged; per-indicator hit rates on true and
    look-alike accounts. When `fininvest chains` has run: recall of the planted chains of
    trafficking with every link correct, and precision of the chains found. Everything is
    also written to results/evaluation.json.

    The truth folder holds accounts.csv (account_id, holder_role, scenario, typologies,
    lookalike_group) and persons.csv (party_id, role), as `fininvest sample` writes them;
    it is read only here, after screening.

    \b
    Example:
      fininvest init /tmp/case && fininvest sample /tmp/case --scale small
      fininvest ingest /tmp/case && fininvest screen /tmp/case
      fininvest evaluate /tmp/case
    """
    ws = open_workspace(case_dir)
    truth = truth_dir or ws.path("truth")
    res = run_evaluate(ws, truth)
    chains_file, truth_chains = ws.path("results", "chains.json"), truth / "chains.json"
    if chains_file.exists() and truth_chains.exists():
        res["chains"] = evaluate_chains(
            json.loads(chains_file.read_text("utf-8")), json.loads(truth_chains.read_text("utf-8"))
        )
    ws.path("results", "evaluation.json").write_text(json.dumps(res, indent=2), "utf-8")
    ws.audit(
        "evaluate",
        {"truth": str(truth_dir or ws.path("truth"))},
        counts={
            "key_recall_at_k": res["key_accounts"]["recall_at_k"],
            "recall_at_k": res["recall_at_k"],
            "victims_ranked_as_suspects": res["victims_ranked_as_suspects"],
        },
    )

    def render(c: Console) -> None:
        key = res["key_accounts"]
        c.print(
            f"key accounts (controller, exploiter, funnel): recall@k {_pct(key['recall_at_k'])}"
            f" with k = {key['k']} (2 × {key['accounts']}); victims ranked as suspects: "
            f"{key['victims_ranked_as_suspects']} of {key['victims']}"
            + (
                f"; look-alikes in the top k: {key['lookalikes_in_top_k']} "
                f"({_pct(key['lookalike_share_of_top_k'])})"
                if key["lookalikes_in_top_k"] is not None
                else ""
            )
        )
        kt = Table("key accounts", "accounts", "recall@k", *key["by_class"], "victims as suspects")
        rows = [("all", key)] + list((key["by_family"] or {}).items())
        for name, v in rows:
            kt.add_row(
                name,
                str(v["accounts"]),
                _pct(v["recall_at_k"]),
                *(_pct(x["recall_at_k"]) for x in v["by_class"].values()),
                f"{v['victims_ranked_as_suspects']} of {v['victims']}",
            )
        c.print(kt)
        c.print(
            f"k = {res['k']} (2 × {res['true_suspect_accounts']} true suspect accounts); "
            f"{res['flagged_suspects']} accounts flagged as suspects"
        )
        c.print(
            f"precision@k {_pct(res['precision_at_k'])} · recall@k "
            f"{_pct(res['recall_at_k'])} · average precision "
            f"{res['average_precision']:.3f} · recall@k of controller, exploiter and "
            f"funnel accounts {_pct(res['recall_at_k_controller_exploiter_funnel'])}"
        )
        if res["key_accounts_without_money"]:
            c.print(
                f"{len(res['key_accounts_without_money'])} controller, exploiter or funnel "
                "accounts have no money movement in this case (no indicator can rank them): "
                f"that recall can reach {_pct(res['recall_ceiling_controller_exploiter_funnel'])}"
            )
        c.print(
            f"victims ranked as suspects: {res['victims_ranked_as_suspects']} of "
            f"{res['victims']} (classified possible victim: "
            f"{res['victims_classified_possible_victim']})"
        )
        t = Table("look-alike group", "accounts", "flagged", "in top k")
        for g, v in res["lookalike_groups"].items():
            t.add_row(g, str(v["accounts"]), _pct(v["flagged_rate"]), _pct(v["in_top_k_rate"]))
        c.print(t)
        r = Table("recall@k by", "value")
        for name, v in {**res["recall_at_k_by_scenario"], **res["recall_at_k_by_role"]}.items():
            r.add_row(name, _pct(v))
        c.print(r)
        ch = res.get("chains")
        if ch is None:
            c.print("chains: not evaluated (run fininvest graph load and fininvest chains first)")
        else:
            c.print(
                f"chains of trafficking: {ch['recovered_exactly']} of {ch['planted']} planted "
                f"chains recovered with every link correct (recall {_pct(ch['recall'])}); "
                f"{ch['found']} chains found (precision {_pct(ch['precision'])}); links correct "
                f"{ch['links_correct']} of {ch['links_planted']}"
            )

    emit(fmt, res, render)
