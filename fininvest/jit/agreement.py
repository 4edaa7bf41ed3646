"""JIT agreements as data: one TOML file per agreement in ``CASE_DIR/jit/``.

A Joint Investigation Team is a time-limited agreement between countries to investigate
together. The agreement says who the partners are (country and authority), why (purpose),
for how long (period) and what may be shared: which record kinds, which handling codes allow
dissemination, and which grading of intelligence is too weak to be passed on. Every share
and deconfliction exchange is checked against it with :meth:`Agreement.check`.

Example file (``CASE_DIR/jit/JIT-2026-RO-DE.toml``)::

    [jit]
    id = "JIT-2026-RO-DE"
    purpose = "Operation Lantern: sexual exploitation chain RO -> HU -> DE"
    from = "2026-01-01"
    until = "2027-06-30"
    home = "RO"

    [partners.DE]
    authority = "BKA Wiesbaden"

    [share]
    record_kinds = ["parties", "accounts", "identifiers", "transactions", "intel_links"]
    handling_codes = ["P", "H0", "H1"]
    min_source_reliability = "C"
    min_info_credibility = "3"
    suppress_below = 5
    max_set_size = 200000
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fininvest.errors import AgreementRefused, BadInput, WorkspaceError
from fininvest.workspace import Workspace

#: Folder of the agreements inside a workspace.
JIT_DIR = "jit"
#: Record kinds (workspace tables) an agreement may let a share carry.
RECORD_KINDS = (
    "parties", "accounts", "identifiers", "transactions", "intel_links", "assets", "str_reports",
)  # fmt: skip
#: What a share carries unless the agreement says otherwise: everything but suspicious
#: transaction reports (an FIU passes those on with the FIU's consent, not through a JIT).
DEFAULT_RECORD_KINDS = RECORD_KINDS[:-1]
#: Handling codes that allow dissemination to a JIT partner. Europol/SIENA: H0 law-enforcement
#: use only, H1 not in judicial proceedings without permission (both may go to a JIT partner);
#: H2 no dissemination without permission, H3 other restrictions (withheld). "P": permitted.
DEFAULT_HANDLING_CODES = ("P", "H0", "H1")
#: 5x5x5 grading: source reliability A (best) … E, information credibility 1 (best) … 5.
RELIABILITY = ("A", "B", "C", "D", "E")
CREDIBILITY = ("1", "2", "3", "4", "5")
#: Default cap on the number of identifiers one side may send in one exchange.
DEFAULT_MAX_SET_SIZE = 200_000
#: Aggregates (counts) below this are shown as "<5" in shares.
DEFAULT_SUPPRESS_BELOW = 5

_ID = re.compile(r"^JIT-[A-Za-z0-9][A-Za-z0-9._-]{0,60}$")
_CC = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class Agreement:
    """One JIT agreement, read from or written to ``CASE_DIR/jit/<id>.toml``."""

    id: str
    purpose: str
    start: date
    until: date
    partners: dict[str, str]  # country -> authority
    home: str = ""
    record_kinds: tuple[str, ...] = DEFAULT_RECORD_KINDS
    handling_codes: tuple[str, ...] = DEFAULT_HANDLING_CODES
    min_source_reliability: str = "C"
    min_info_credibility: str = "3"
    suppress_below: int = DEFAULT_SUPPRESS_BELOW
    max_set_size: int = DEFAULT_MAX_SET_SIZE
    created: str = field(default="")

    # ----- checks ------------------------------------------------------------------------------
    def check(self, partner: str, on: date | None = None, *, action: str = "share") -> None:
        """Refuse (:class:`AgreementRefused`, exit 3) an action outside the agreement.

        Parameters
        ----------
        partner : ISO 3166 alpha-2 code of the receiving country.
        on : the day of the action (default: today, UTC).
        action : word used in the message ("share", "exchange").

        >>> a = Agreement("JIT-X", "p", date(2026, 1, 1), date(2026, 12, 31), {"DE": "BKA"})
        >>> a.check("DE", date(2026, 5, 1))
        >>> a.check("FR", date(2026, 5, 1))
        Traceback (most recent call last):
        ...
        fininvest.errors.AgreementRefused: FR is not a partner of JIT-X (partners: DE)
        """
        day = on or datetime.now(UTC).date()
        if partner not in self.partners:
            raise AgreementRefused(
                f"{partner} is not a partner of {self.id} (partners: {', '.join(self.partners)})",
                hint=f"A {action} goes only to a partner named in the agreement; "
                f"see fininvest jit show CASE_DIR {self.id}.",
            )
        if day < self.start or day > self.until:
            raise AgreementRefused(
                f"{self.id} is in force from {self.start} until {self.until}; "
                f"a {action} on {day} is outside that period",
                hint="Extend the agreement (a new agreement file) before sharing or exchanging.",
            )

    def check_set_size(self, n: int) -> None:
        """Refuse an exchange of more than ``max_set_size`` identifiers."""
        if n > self.max_set_size:
            raise AgreementRefused(
                f"{n:,} identifiers exceed the cap of {self.max_set_size:,} per exchange "
                f"set by {self.id}",
                hint="Narrow the set (--kind) or raise max_set_size in the agreement file.",
            )

    def withholds_grading(self, reliability: str | None, credibility: str | None) -> bool:
        """True when intelligence graded below the agreement's threshold must be withheld."""
        r = RELIABILITY.index(reliability) if reliability in RELIABILITY else len(RELIABILITY)
        c = CREDIBILITY.index(credibility) if credibility in CREDIBILITY else len(CREDIBILITY)
        return r > RELIABILITY.index(self.min_source_reliability) or c > CREDIBILITY.index(
            self.min_info_credibility
        )

    # ----- (de)serialisation ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "purpose": self.purpose,
            "from": self.start.isoformat(),
            "until": self.until.isoformat(),
            "home": self.home,
            "partners": [{"country": c, "authority": a} for c, a in self.partners.items()],
            "share": {
                "record_kinds": list(self.record_kinds),
                "handling_codes": list(self.handling_codes),
                "min_source_reliability": self.min_source_reliability,
                "min_info_credibility": self.min_info_credibility,
                "suppress_below": self.suppress_below,
                "max_set_size": self.max_set_size,
            },
            "created": self.created,
        }

    def to_toml(self) -> str:
        q = json.dumps  # TOML basic strings accept JSON string escapes

        def arr(xs: tuple[str, ...]) -> str:
            return "[" + ", ".join(q(x) for x in xs) + "]"

        lines = [
            "# A Joint Investigation Team agreement (fininvest jit create). Checked by every",
            "# fininvest share and fininvest deconflict run; see docs/jit.md.",
            "[jit]",
            f"id = {q(self.id)}",
            f"purpose = {q(self.purpose)}",
            f'from = "{self.start.isoformat()}"',
            f'until = "{self.until.isoformat()}"',
            f"home = {q(self.home)}",
            f"created = {q(self.created)}",
            "",
        ]
        for country, authority in self.partners.items():
            lines += [f"[partners.{country}]", f"authority = {q(authority)}", ""]
        lines += [
            "# What may be shared with the partners",
            "[share]",
            f"record_kinds = {arr(self.record_kinds)}",
            "# records whose handling code is not listed are withheld",
            f"handling_codes = {arr(self.handling_codes)}",
            "# intelligence graded below these (A-E, 1-5) is withheld",
            f"min_source_reliability = {q(self.min_source_reliability)}",
            f"min_info_credibility = {q(self.min_info_credibility)}",
            "# counts below this are shown as '<N'",
            f"suppress_below = {self.suppress_below}",
            "# most identifiers one side may send in one deconfliction exchange",
            f"max_set_size = {self.max_set_size}",
            "",
        ]
        return "\n".join(lines)


def _day(value: object, what: str, where: Path) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise WorkspaceError(
            f"{where}: '{what}' must be a date YYYY-MM-DD, not {value!r}"
        ) from None


def parse_agreement(text: str, where: Path) -> Agreement:
    """Read an agreement from TOML text, naming the file and key of every problem."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WorkspaceError(f"{where}: invalid TOML: {exc}") from exc
    jit = doc.get("jit")
    if not isinstance(jit, dict):
        raise WorkspaceError(f"{where}: missing [jit] table")
    for key in ("id", "purpose", "from", "until"):
        if key not in jit:
            raise WorkspaceError(f"{where}: [jit] has no '{key}'")
    partners = doc.get("partners", {})
    if not isinstance(partners, dict) or not partners:
        raise WorkspaceError(f"{where}: no [partners.CC] table")
    share = doc.get("share", {})
    rel = str(share.get("min_source_reliability", "C"))
    cred = str(share.get("min_info_credibility", "3"))
    if rel not in RELIABILITY or cred not in CREDIBILITY:
        raise WorkspaceError(
            f"{where}: [share] min_source_reliability must be A-E and min_info_credibility 1-5"
        )
    return Agreement(
        id=str(jit["id"]),
        purpose=str(jit["purpose"]),
        start=_day(jit["from"], "from", where),
        until=_day(jit["until"], "until", where),
        home=str(jit.get("home", "")),
        created=str(jit.get("created", "")),
        partners={str(c): str((v or {}).get("authority", "")) for c, v in partners.items()},
        record_kinds=tuple(share.get("record_kinds", DEFAULT_RECORD_KINDS)),
        handling_codes=tuple(share.get("handling_codes", DEFAULT_HANDLING_CODES)),
        min_source_reliability=rel,
        min_info_credibility=cred,
        suppress_below=int(share.get("suppress_below", DEFAULT_SUPPRESS_BELOW)),
        max_set_size=int(share.get("max_set_size", DEFAULT_MAX_SET_SIZE)),
    )


def agreement_path(ws: Workspace, jit_id: str) -> Path:
    return ws.path(JIT_DIR, f"{jit_id}.toml")


def create_agreement(
    ws: Workspace,
    *,
    jit_id: str,
    partners: dict[str, str],
    start: date,
    until: date,
    purpose: str,
    home: str = "",
    handling_codes: tuple[str, ...] | None = None,
    record_kinds: tuple[str, ...] | None = None,
    max_set_size: int | None = None,
) -> Agreement:
    """Validate and write a new agreement; refuses to overwrite an existing one."""
    if not _ID.match(jit_id):
        raise BadInput(
            f"'{jit_id}' is not a JIT id",
            hint="Write JIT- then letters, digits, dots or dashes, e.g. JIT-2026-RO-DE.",
        )
    bad = [c for c in [*partners, *([home] if home else [])] if not _CC.match(c)]
    if bad:
        raise BadInput(
            f"not ISO 3166 alpha-2 country codes: {', '.join(bad)}", hint="e.g. --partner DE"
        )
    if until < start:
        raise BadInput(f"--until {until} is before --from {start}")
    if home and home in partners:
        raise BadInput(f"{home} is the home country and cannot also be a partner")
    unknown = sorted(set(record_kinds or ()) - set(RECORD_KINDS))
    if unknown:
        raise BadInput(
            f"unknown record kinds: {', '.join(unknown)}",
            hint="Choose from: " + ", ".join(RECORD_KINDS),
        )
    path = agreement_path(ws, jit_id)
    if path.exists():
        raise WorkspaceError(
            f"agreement {jit_id} exists already ({path})",
            hint="An agreement is not changed in place: create one with a new id.",
        )
    agreement = Agreement(
        id=jit_id,
        purpose=purpose,
        start=start,
        until=until,
        partners=dict(sorted(partners.items())),
        home=home,
        handling_codes=handling_codes or DEFAULT_HANDLING_CODES,
        record_kinds=record_kinds or DEFAULT_RECORD_KINDS,
        max_set_size=max_set_size or DEFAULT_MAX_SET_SIZE,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    path.parent.mkdir(exist_ok=True)
    path.write_text(agreement.to_toml(), "utf-8")
    parse_agreement(path.read_text("utf-8"), path)  # what we wrote reads back
    return agreement


def load_agreement(ws: Workspace, jit_id: str) -> Agreement:
    """The agreement ``jit_id`` of this workspace (exit 4 when there is none)."""
    path = agreement_path(ws, jit_id)
    if not _ID.match(jit_id) or not path.is_file():
        known = ", ".join(a.id for a in list_agreements(ws)) or "none"
        raise WorkspaceError(
            f"no JIT agreement '{jit_id}' in {ws.root} (agreements: {known})",
            hint=f"Create it first: fininvest jit create {ws.root} --id JIT-… --partner CC …",
        )
    return parse_agreement(path.read_text("utf-8"), path)


def list_agreements(ws: Workspace) -> list[Agreement]:
    d = ws.path(JIT_DIR)
    if not d.is_dir():
        return []
    return [parse_agreement(p.read_text("utf-8"), p) for p in sorted(d.glob("JIT-*.toml"))]


@contextmanager
def refusals_audited(ws: Workspace, command: str, params: dict[str, Any]) -> Iterator[None]:
    """Record a refused share or exchange in the audit log too (status "refused")."""
    try:
        yield
    except AgreementRefused as exc:
        ws.audit(command, {**params, "refused": exc.message}, status="refused")
        raise
