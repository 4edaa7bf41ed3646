"""Generated docs never drift from the code (regenerate with `make docs`)."""

from __future__ import annotations

import pytest

from fininvest.docgen import GENERATED, ROOT, stale_cypher


@pytest.mark.parametrize("rel", sorted(GENERATED))
def test_generated_doc_is_current(rel: str) -> None:
    assert (ROOT / rel).read_text("utf-8") == GENERATED[rel](), f"{rel} is stale: run make docs"


def test_every_kind_and_command_is_documented() -> None:
    from fininvest.formats.declarations import KINDS

    formats = (ROOT / "docs" / "formats.md").read_text("utf-8")
    for name in (*KINDS, "goaml"):
        assert f"### `{name}`" in formats
    readme = (ROOT / "README.md").read_text("utf-8")
    for cmd in ("init", "sample", "ingest", "status"):
        assert f"fininvest {cmd}" in readme


def test_no_stale_generated_cypher() -> None:
    assert stale_cypher() == [], "run make docs"
