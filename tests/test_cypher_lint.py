"""Every file in cypher/ is valid Neo4j 5 Cypher, checked by Neo4j's own parser.

The parser is the npm package ``@neo4j-cypher/language-support`` (pinned in
``tools/cypherlint/package.json``, installed by ``make test``), run with the machine's Node.js.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT = ROOT / "tools" / "cypherlint"


def _lint(files: list[Path]) -> dict[str, list[dict[str, object]]]:
    if shutil.which("node") is None or not (LINT / "node_modules").exists():
        pytest.fail("Neo4j's Cypher parser is not installed: run `make test` (npm install)")
    done = subprocess.run(
        ["node", str(LINT / "lint.mjs"), *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    result: dict[str, list[dict[str, object]]] = json.loads(done.stdout)
    return result


def test_every_cypher_file_is_valid_neo4j_5() -> None:
    files = sorted((ROOT / "cypher").rglob("*.cypher"))
    assert len(files) > 20
    problems = {f: d for f, d in _lint(files).items() if d}
    assert problems == {}


def test_the_linter_catches_errors(tmp_path: Path) -> None:
    bad = {
        "typo.cypher": "MATCH (n:Person) RETRN n",
        "unclosed.cypher": "UNWIND $rows AS r MERGE (a:Person {id: r.id) RETURN a",
        "falkordb_only.cypher": "MATCH (a)-[:PAID*1..3]->(b) RETURN a ORDER",
    }
    for name, text in bad.items():
        (tmp_path / name).write_text(text)
    found = _lint(sorted(tmp_path.iterdir()))
    assert all(found[str(tmp_path / name)] for name in bad), found
    good = tmp_path / "good.cypher"
    good.write_text("UNWIND $rows AS r MERGE (a:Person {id: r.id}) RETURN count(a) AS n")
    assert _lint([good]) == {str(good): []}
