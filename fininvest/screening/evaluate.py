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


#: the classes of key accounts: the holders' roles, and funnel accounts (by typology)
KEY_ROLES = ("controller", "exploiter")
FUNNEL = "funnel"


def key_classes(truth: pl.DataFrame) -> pl.DataFrame:
    """The key accounts of a truth table, one row per account and class: ``account_id``,
    ``class`` (``controller``, ``exploiter`` — the holder's role — or ``funnel``, an account
    the truth tags ``funnel_account``) and ``family`` (the truth's ``scenario``, when given).

    ``truth`` is ``accounts.csv`` joined with the holders' roles (column ``role``)."""
    family = pl.col("scenario") if "scenario" in truth.columns else pl.lit(None, pl.String)
    members = truth.filter(pl.col("holder_role") == "member")
    by_role = members.filter(pl.col("role").is_in(KEY_ROLES)).select(
        "account_id", pl.col("role").alias("class"), family.alias("family")
    )
    parts = [by_role]
    if "typologies" in truth.columns:
        parts.append(
            members.filter(
                pl.col("typologies").fill_null("").str.contains("funnel_account")
            ).select("account_id", pl.lit(FUNNEL).alias("class"), family.alias("family"))
        )
    return pl.concat(parts).unique(maintain_order=True)


def key_account_report(truth: pl.DataFrame, ranked: list[str]) -> dict[str, Any]:
    """Recall@k of the key accounts (controllers', exploiters' and funnel accounts) with
    k = 2 × their number, per THB family (when the truth names it) and per class; victims
    ranked as suspects, per family; look-alikes' share of the top k (when the truth labels
    look-alikes).

    Parameters
    ----------
    truth : ``accounts.csv`` joined with the holders' roles (``role``).
    ranked : the accounts classified suspect, best first.

    Examples
    --------
    >>> truth = pl.DataFrame({
    ...     "account_id": ["c", "e", "v", "l"], "scenario": ["se", "se", "se", None],
    ...     "holder_role": ["member", "member", "victim", None], "typologies": ["", "", "", ""],
    ...     "lookalike_group": [None, None, None, "escorts"],
    ...     "role": ["controller", "exploiter", "victim", "none"]})
    >>> r = key_account_report(truth, ["l", "c", "x", "v", "e"])
    >>> r["k"], r["recall_at_k"], r["lookalikes_in_top_k"], r["victims_ranked_as_suspects"]
    (4, 0.5, 1, 1)
    """
    key = key_classes(truth)
    accounts = set(key["account_id"])
    k = 2 * len(accounts)
    top = ranked[:k]
    top_set, flagged = set(top), set(ranked)

    def recall(rows: pl.DataFrame) -> dict[str, Any]:
        accs = set(rows["account_id"])
        found = accs & top_set
        return {"accounts": len(accs), "in_top_k": len(found),
                "recall_at_k": len(found) / len(accs) if accs else None}  # fmt: skip

    has_family = "scenario" in truth.columns and truth["scenario"].drop_nulls().len() > 0
    victims = truth.filter(pl.col("holder_role") == "victim")
    out: dict[str, Any] = {
        "k": k,
        "accounts": len(accounts),
        "recall_at_k": recall(key)["recall_at_k"],
        "by_class": {c: recall(key.filter(pl.col("class") == c)) for c in (*KEY_ROLES, FUNNEL)},
        "by_family": None,
        "victims": victims.height,
        "victims_ranked_as_suspects": len(set(victims["account_id"]) & flagged),
        "lookalikes_in_top_k": None,
        "lookalike_share_of_top_k": None,
        "lookalikes_in_top_k_by_group": None,
    }
    if has_family:
        out["by_family"] = {
            str(fam): {
                **recall(key.filter(pl.col("family") == fam)),
                "by_class": {
                    c: recall(key.filter((pl.col("family") == fam) & (pl.col("class") == c)))
                    for c in (*KEY_ROLES, FUNNEL)
                },
                "victims": (v := victims.filter(pl.col("scenario") == fam)).height,
                "victims_ranked_as_suspects": len(set(v["account_id"]) & flagged),
            }
            for fam in sorted(key["family"].drop_nulls().unique())
        }
    if "lookalike_group" in truth.columns:
        look = truth.filter(pl.col("lookalike_group").is_not_null())
        group_of = dict(zip(look["account_id"], look["lookalike_group"], strict=True))
        in_top = [group_of[a] for a in top if a in group_of]
        out["lookalikes_in_top_k"] = len(in_top)
        out["lookalike_share_of_top_k"] = len(in_top) / len(top) if top else None
        out["lookalikes_in_top_k_by_group"] = {str(g): in_top.count(g) for g in sorted(set(in_top))}
    return out


def evaluate(ws: Workspace, truth_dir: Path) -> dict[str, Any]:
    """Precision, recall and average precision of the ranked suspects, per scenario and role;
    victims ranked as suspects; false-positive rates of look-alike groups; per-indicator hit
    rates on true and on look-alike accounts."""
    alerts_path = ws.path("results", "alerts.parquet")
    if not alerts_path.exists():
        raise WorkspaceError(
            "no screening results to evaluate", hint=f"Run fininvest screen {ws.root} first."
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
        "key_accounts": key_account_report(truth, ranked),
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
