"""Detection quality of a screening run against a synthetic case's ground truth.

Reads ``results/alerts.parquet`` and ``results/explanations.parquet`` (written by
``fininvest screen``) and the truth folder (``truth/accounts.csv``, ``truth/persons.csv``). The
truth is only ever read here, after screening, never by the screening itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from fininvest.errors import WorkspaceError
from fininvest.workspace import Workspace

ROLES = ("controller", "exploiter", "recruiter", "transporter")


def average_precision(ranked: list[str], relevant: set[str]) -> float:
    """Mean of precision@i over the ranks i of the relevant items (missing ones count 0)."""
    if not relevant:
        return float("nan")
    hits, total = 0, 0.0
    for i, item in enumerate(ranked, start=1):
        if item in relevant:
            hits += 1
            total += hits / i
    return total / len(relevant)


def _recall(top: set[str], relevant: set[str]) -> float | None:
    return len(top & relevant) / len(relevant) if relevant else None


def accounts_with_money(ws: Workspace) -> set[str]:
    """Accounts that pay or are paid in the case's money tables (bank transfers, cash, card
    payments): the only ones a financial indicator can see."""
    sides = {
        "transactions": ("from_account", "to_account"),
        "card_transactions": ("payer_account",),
    }
    seen: set[str] = set()
    for table, columns in sides.items():
        if ws.has_table(table):
            for c in columns:
                seen.update(ws.scan(table).select(pl.col(c).drop_nulls().unique()).collect()[c])
    return seen


def evaluate(ws: Workspace, truth_dir: Path) -> dict[str, Any]:
    """Precision, recall and average precision of the ranked suspects, per scenario and role;
    victims ranked as suspects; false-positive rates of look-alike groups; per-indicator hit
    rates on true and on look-alike accounts."""
    alerts_path = ws.path("results", "alerts.parquet")
    if not alerts_path.exists():
        raise WorkspaceError(
            "no screening results to evaluate", hint="Run fininvest screen CASE_DIR first."
        )
    if not (truth_dir / "accounts.csv").exists():
        raise WorkspaceError(
            f"{truth_dir} holds no ground truth (accounts.csv)",
            hint="Point --truth at the folder fininvest sample wrote.",
        )
    alerts = pl.read_parquet(alerts_path)
    expl = pl.read_parquet(ws.path("results", "explanations.parquet"))
    truth = pl.read_csv(truth_dir / "accounts.csv", infer_schema_length=None)
    persons = pl.read_csv(truth_dir / "persons.csv", infer_schema_length=None)
    holders = ws.scan("accounts").select("account_id", "holder_id").collect()
    truth = truth.join(holders, on="account_id", how="left").join(
        persons.select(pl.col("party_id").alias("holder_id"), "role"), on="holder_id", how="left"
    )
    members = truth.filter(pl.col("holder_role") == "member")
    true_suspects = set(members["account_id"])
    victims = set(truth.filter(pl.col("holder_role") == "victim")["account_id"])
    suspects = alerts.filter(pl.col("classification") == "suspect").sort("rank")
    ranked = suspects["entity_id"].to_list()
    k = 2 * len(true_suspects)
    top = set(ranked[:k])
    flagged = set(ranked)

    def recall_of(rows: pl.DataFrame) -> float | None:
        return _recall(top, set(rows["account_id"]))

    by_scenario = {
        sc: recall_of(members.filter(pl.col("scenario") == sc))
        for sc in sorted(members["scenario"].drop_nulls().unique())
    }
    by_role = {role: recall_of(members.filter(pl.col("role") == role)) for role in ROLES}
    funnels = members.filter(pl.col("typologies").str.contains("funnel_account"))
    key = members.filter(
        pl.col("role").is_in(["controller", "exploiter"])
        | pl.col("typologies").str.contains("funnel_account")
    )
    # a key account with no money movement at all cannot be ranked by any money indicator:
    # the ceiling says how much of the key recall screening can reach on this case at all
    silent = sorted(set(key["account_id"]) - accounts_with_money(ws))
    lookalikes = truth.filter(pl.col("lookalike_group").is_not_null())
    groups = {}
    for (group,), rows in lookalikes.group_by("lookalike_group"):
        accs = set(rows["account_id"])
        groups[str(group)] = {
            "accounts": len(accs),
            "flagged_rate": len(accs & flagged) / len(accs),
            "in_top_k_rate": len(accs & top) / len(accs),
        }
    hit_rates = {}
    look_accs = set(lookalikes["account_id"])
    for (ind,), rows in expl.group_by("indicator"):
        fired = set(rows["entity_id"])
        hit_rates[str(ind)] = {
            "true_suspect_rate": _recall(fired, true_suspects),
            "victim_rate": _recall(fired, victims),
            "lookalike_rate": _recall(fired, look_accs),
        }
    return {
        "k": k,
        "true_suspect_accounts": len(true_suspects),
        "flagged_suspects": len(ranked),
        "precision_at_k": len(top & true_suspects) / max(1, min(k, len(ranked))),
        "recall_at_k": _recall(top, true_suspects),
        "recall_flagged": _recall(flagged, true_suspects),
        "average_precision": average_precision(ranked, true_suspects),
        "recall_at_k_controller_exploiter_funnel": recall_of(key),
        "key_accounts_without_money": silent,
        "recall_ceiling_controller_exploiter_funnel": (
            1 - len(silent) / key.height if key.height else None
        ),
        "recall_at_k_funnel_accounts": recall_of(funnels),
        "recall_at_k_by_scenario": by_scenario,
        "recall_at_k_by_role": by_role,
        "victims": len(victims),
        "victims_ranked_as_suspects": len(victims & flagged),
        "victims_classified_possible_victim": len(
            victims & set(alerts.filter(pl.col("classification") == "possible_victim")["entity_id"])
        ),
        "lookalike_groups": dict(sorted(groups.items())),
        "indicator_hit_rates": dict(sorted(hit_rates.items())),
    }
