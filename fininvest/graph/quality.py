"""How well reconstructed chains match a synthetic case's planted chains (``truth/chains.json``)."""

from __future__ import annotations

from typing import Any

LINK_FIELDS = ("from", "to", "act", "jurisdiction")


def _links(chain: dict[str, Any]) -> set[tuple[str, ...]]:
    return {tuple(str(link[f]) for f in LINK_FIELDS) for link in chain["links"]}


def evaluate_chains(found: list[dict[str, Any]], truth: list[dict[str, Any]]) -> dict[str, Any]:
    """Recall of planted chains with every link correct, and precision of the chains found.

    A planted chain is **recovered** when one found chain has exactly its links (same persons
    in the same order, same acts, same jurisdictions); **partly recovered** when a found chain
    shares at least one link with it.
    """
    found_links = [_links(c) for c in found]
    per_chain = []
    for t in truth:
        want = _links(t)
        best = max(found_links, key=lambda f: len(f & want), default=set())
        per_chain.append(
            {
                "chain_id": t["chain_id"],
                "scenario": t.get("scenario"),
                "recovered": best == want,
                "links_correct": len(best & want),
                "links": len(want),
                "missing": sorted(" ".join(x) for x in want - best),
            }
        )
    truth_links = [_links(t) for t in truth]
    true_found = sum(1 for f in found_links if any(f == t for t in truth_links))
    recovered = sum(1 for c in per_chain if c["recovered"])
    return {
        "planted": len(truth),
        "found": len(found),
        "recovered_exactly": recovered,
        "recall": recovered / len(truth) if truth else None,
        "precision": true_found / len(found) if found else None,
        "links_correct": sum(c["links_correct"] for c in per_chain),
        "links_planted": sum(c["links"] for c in per_chain),
        "per_chain": per_chain,
    }
