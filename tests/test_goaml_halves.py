"""A large goAML file parsed in two halves at once gives exactly the rows of one pass."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import fininvest.formats.goaml_halves as halves
from fininvest.errors import BadInput
from fininvest.formats.goaml import parse_goaml


def _varied_goaml(seed: int, n_reports: int, prefix: str = "", decoys: bool = False) -> str:
    """Reports whose parties and accounts come back with other details (the first seen must
    stand), with comments, CDATA and entities between and inside them; with ``decoys``, a
    ``</report>`` in a CDATA section and in comments of every report."""
    r = random.Random(seed)
    p = f"{prefix}:" if prefix else ""
    ns = f' xmlns:{prefix}="http://www.unodc.org/goaml"' if prefix else ""
    out = [f'<?xml version="1.0" encoding="UTF-8"?>\n<!-- export -->\n<{p}reports{ns}>']
    for k in range(n_reports):
        out.append(f"<{p}report><{p}rentity_id>{r.randint(1, 3)}</{p}rentity_id>")
        out.append(f"<{p}entity_reference>E{k}</{p}entity_reference>")
        out.append(f"<{p}currency_code_local>EUR</{p}currency_code_local>")
        decoy = f"</{p}report>" if decoys else "<report>"
        out.append(f"<{p}reason><![CDATA[why {decoy} & how]]></{p}reason>")
        for t in range(r.randint(0, 4)):
            person = (
                f"<{p}from_person><{p}first_name>N{r.randint(0, 9)}</{p}first_name>"
                f"<{p}passport_number>P{r.randint(0, 30)}</{p}passport_number>"
                f"<{p}phones><{p}phone><{p}tph_number>7{r.randint(0, 40)}</{p}tph_number>"
                f"</{p}phone></{p}phones></{p}from_person>"
            )
            account = (
                f"<{p}to_account><{p}iban>DE89370400440532013{r.randint(100, 140)}</{p}iban>"
                f"<{p}account_name>A{r.randint(0, 9)} &amp; co</{p}account_name>"
                f"<{p}signatory><{p}t_person><{p}first_name>S{r.randint(0, 9)}</{p}first_name>"
                f"<{p}passport_number>X{r.randint(0, 20)}</{p}passport_number></{p}t_person>"
                f"</{p}signatory></{p}to_account>"
            )
            out.append(
                f"<{p}transaction><{p}transactionnumber>{k}-{t}</{p}transactionnumber>\n"
                f"<{p}date_transaction>2025-03-0{r.randint(1, 9)}T10:00:00</{p}date_transaction>"
                f"<{p}amount_local>{r.randint(1, 9000)}.00</{p}amount_local>"
                f"<{p}t_from>{person}</{p}t_from><{p}t_to_my_client>{account}"
                f"</{p}t_to_my_client></{p}transaction><!-- {decoy} -->"
            )
        out.append(f"</{p}report>")
    out.append(f"</{p}reports>\n")
    return "\n".join(out)


def _both(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple:  # type: ignore[type-arg]
    monkeypatch.setattr(halves, "MIN_BYTES", 0)
    two = parse_goaml(path)
    monkeypatch.setattr(halves, "MIN_BYTES", 1 << 62)
    one = parse_goaml(path)
    return one, two


def _same(one: tuple, two: tuple) -> None:  # type: ignore[type-arg]
    assert one[1] == two[1]
    for table in halves.TABLES:
        a, b = getattr(one[0], table).frame(), getattr(two[0], table).frame()
        # record numbers are counted again per kind by the pipeline; lines must agree
        assert a.drop("_record_no").equals(b.drop("_record_no")), table


@pytest.mark.parametrize(("seed", "prefix"), [(1, ""), (2, "g")])
def test_two_halves_give_the_rows_of_one_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, prefix: str
) -> None:
    path = tmp_path / "strs.xml"
    path.write_text(_varied_goaml(seed, 300, prefix))
    monkeypatch.setattr(halves, "MIN_BYTES", 0)
    assert halves.parse_in_halves(path) is not None  # really parsed in two halves
    one, two = _both(path, monkeypatch)
    _same(one, two)
    assert len(one[0].transactions) > 300 and len(one[0].parties) > 10


def test_a_cut_that_is_not_between_reports_falls_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ``</report>`` past the middle sits in a CDATA section: the first half does not
    parse, and the one-pass parse gives the rows."""
    text = _varied_goaml(3, 200, decoys=True)
    middle = len(text.encode()) // 2
    cut = text.find("</report>", middle)
    assert text[cut - 5 : cut] in ("<!-- ", "[why "), "the cut must fall on a decoy here"
    path = tmp_path / "strs.xml"
    path.write_text(text)
    monkeypatch.setattr(halves, "MIN_BYTES", 0)
    assert halves.parse_in_halves(path) is None
    one, two = _both(path, monkeypatch)
    _same(one, two)


def test_malformed_second_half_gets_the_one_pass_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = _varied_goaml(4, 200).split("\n")  # a real cut: only the error can stop it
    bad = len(lines) * 3 // 4
    lines.insert(bad, "<broken></report>")
    path = tmp_path / "strs.xml"
    path.write_text("\n".join(lines))
    monkeypatch.setattr(halves, "MIN_BYTES", 0)
    with pytest.raises(BadInput, match=f"malformed XML: mismatched tag: line {bad + 1},"):
        parse_goaml(path)
