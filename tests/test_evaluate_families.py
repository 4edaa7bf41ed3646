"""`fininvest evaluate`'s key-account report: recall@k (k = 2 × key accounts) per THB family
and per class, victims ranked as suspects, look-alikes' share of the top k; a truth without
families or look-alikes gives no such figures rather than wrong ones."""

from __future__ import annotations

import polars as pl

from fininvest.screening.evaluate import key_account_report

SE, FL, FC = "sexual_exploitation", "forced_labour", "forced_criminality"
# account, family, held as, holder's role, typologies, look-alike group
ROWS = [
    ("se-c", SE, "member", "controller", "", None),
    ("se-e", SE, "member", "exploiter", "", None),
    ("se-f", SE, "member", "recruiter", "funnel_account", None),
    ("se-r", SE, "member", "recruiter", "", None),  # not a key account
    ("se-v", SE, "victim", "victim", "victim_account", None),
    ("fl-c", FL, "member", "controller", "funnel_account", None),  # controller and funnel
    ("fl-e", FL, "member", "exploiter", "", None),
    ("fl-v", FL, "victim", "victim", "victim_account", None),
    ("fc-c", FC, "member", "controller", "", None),
    ("fc-v", FC, "victim", "victim", "", None),
    ("esc-1", None, None, "none", "", "legal_escort"),
    ("trv-1", None, None, "none", "", "business_traveller"),
]
TRUTH = pl.DataFrame(
    ROWS,
    schema=["account_id", "scenario", "holder_role", "role", "typologies", "lookalike_group"],
    orient="row",
)
KEY = {"se-c", "se-e", "se-f", "fl-c", "fl-e", "fc-c"}


def test_key_accounts_by_family_and_class() -> None:
    ranked = ["esc-1", "se-c", "fl-v", "se-f", "fl-c", "fl-e", "trv-1", "x2", "se-r", "x3",
              "x4", "x5", "fc-c", "se-e"]  # fmt: skip
    r = key_account_report(TRUTH, ranked)
    assert (r["k"], r["accounts"]) == (2 * len(KEY), len(KEY))
    top = set(ranked[: r["k"]])  # fc-c is 13th, se-e 14th: both outside the top 12
    assert r["recall_at_k"] == len(KEY & top) / len(KEY) == 4 / 6
    fam = r["by_family"]
    assert set(fam) == {SE, FL, FC}
    assert (fam[SE]["accounts"], fam[SE]["in_top_k"]) == (3, 2)
    assert fam[FL]["recall_at_k"] == 1.0 and fam[FC]["recall_at_k"] == 0.0
    assert fam[FL]["by_class"]["funnel"]["recall_at_k"] == 1.0  # fl-c counts in both classes
    assert fam[FC]["by_class"]["exploiter"]["recall_at_k"] is None  # no such account
    by_class = r["by_class"]
    assert by_class["controller"]["accounts"] == 3 and by_class["controller"]["in_top_k"] == 2
    assert by_class["exploiter"]["recall_at_k"] == 1 / 2
    assert by_class["funnel"]["recall_at_k"] == 1.0
    # victims: the forced-labour victim is ranked as a suspect
    assert (r["victims"], r["victims_ranked_as_suspects"]) == (3, 1)
    assert fam[FL]["victims_ranked_as_suspects"] == 1 and fam[SE]["victims_ranked_as_suspects"] == 0
    # look-alikes: two of the top 12 places
    assert r["lookalikes_in_top_k"] == 2 and r["lookalike_share_of_top_k"] == 2 / 12
    assert r["lookalikes_in_top_k_by_group"] == {"business_traveller": 1, "legal_escort": 1}


def test_truth_without_families_or_lookalikes() -> None:
    bare = TRUTH.drop("scenario", "lookalike_group")
    r = key_account_report(bare, ["se-c", "fc-c"])
    assert r["by_family"] is None and r["lookalike_share_of_top_k"] is None
    assert r["recall_at_k"] == 2 / 6
    assert key_account_report(TRUTH, [])["lookalike_share_of_top_k"] is None
