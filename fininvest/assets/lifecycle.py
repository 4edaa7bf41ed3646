"""The asset-recovery lifecycle, loaded from ``indicators/assets/lifecycle.toml``.

The states, the transitions allowed between them and what each transition needs are declared
once in that file; this module reads it, checks it is coherent, and answers one question for
the register and for ingest alike: *may this event follow that state?*

Examples
--------
>>> lc = load_lifecycle()
>>> lc.allowed_after("identified")[:2]
('frozen', 'seized')
>>> lc.problem("identified", "sold", {"decision_ref": "X", "authority": "Y", "amount": "1"})
"'sold' cannot follow 'identified'; allowed: frozen, seized, confiscation_ordered, confiscated"
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from fininvest.errors import FininvestError
from fininvest.resources import resource_dir

#: Fields an event may be required to carry (see the comment at the top of the TOML file).
EVENT_FIELDS = ("decision_ref", "authority", "issuing_state", "executing_state", "amount")
EFFECTS = ("realise", "victims", "share")


@dataclass(frozen=True)
class State:
    """One state of the lifecycle (and the event that leads to it)."""

    name: str
    title: str
    description: str
    after: tuple[str, ...]  # states this event may follow; empty = first event of an asset
    requires: tuple[str, ...]
    stage: str | None = None
    effect: str | None = None
    order: str | None = None
    final: bool = False
    in_kind: bool = False  # the asset itself goes to victims: draws nothing from realised value


@dataclass(frozen=True)
class Lifecycle:
    """The declared lifecycle: states in declaration order and the funnel stages."""

    title: str
    funnel: tuple[str, ...]
    states: dict[str, State]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.states)

    def initial(self) -> tuple[str, ...]:
        """States an asset's history may start with."""
        return tuple(s.name for s in self.states.values() if not s.after)

    def allowed_after(self, current: str | None) -> tuple[str, ...]:
        """Events that may follow ``current`` (``None``: an asset with no event yet)."""
        if current is None:
            return self.initial()
        if self.states[current].final:
            return ()
        return tuple(s.name for s in self.states.values() if current in s.after)

    def problem(self, current: str | None, event: str, fields: Mapping[str, object]) -> str | None:
        """Why ``event`` (with ``fields``) may not follow ``current``, or ``None`` if it may.

        Checks the transition and the required fields; money invariants (payouts against
        realised value) and dates are the register's, which knows the whole history.
        Complexity: O(number of states).
        """
        if event not in self.states:
            return f"unknown status '{event}'; known: {', '.join(self.names)}"
        allowed = self.allowed_after(current)
        if event not in allowed:
            where = f"follow '{current}'" if current else "be an asset's first event"
            return f"'{event}' cannot {where}; allowed: {', '.join(allowed) or 'none (final)'}"
        missing = [f for f in self.states[event].requires if fields.get(f) in (None, "")]
        if missing:
            return f"'{event}' needs {', '.join(missing)}"
        return None


def _state(name: str, raw: dict[str, object], path: Path) -> State:
    def text(key: str, default: str | None = None) -> str | None:
        v = raw.get(key, default)
        if v is not None and not isinstance(v, str):
            raise FininvestError(f"{path}: [states.{name}] {key} must be text")
        return v

    def names(key: str) -> tuple[str, ...]:
        v = raw.get(key, [])
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise FininvestError(f"{path}: [states.{name}] {key} must be a list of names")
        return tuple(v)

    return State(
        name=name,
        title=text("title") or name,
        description=text("description", "") or "",
        after=names("from"),
        requires=names("requires"),
        stage=text("stage"),
        effect=text("effect"),
        order=text("order"),
        final=bool(raw.get("final", False)),
        in_kind=bool(raw.get("in_kind", False)),
    )


def parse_lifecycle(raw: dict[str, object], path: Path) -> Lifecycle:
    """Build and check a :class:`Lifecycle` from the parsed TOML (``path`` for messages)."""
    states_raw = raw.get("states")
    funnel = raw.get("funnel", [])
    if not isinstance(states_raw, dict) or not states_raw:
        raise FininvestError(f"{path}: no [states.*] tables")
    if not isinstance(funnel, list):
        raise FininvestError(f"{path}: funnel must be a list of stage names")
    states = {n: _state(n, r, path) for n, r in states_raw.items()}
    problems = []
    for s in states.values():
        problems += [f"{s.name}: from unknown state '{a}'" for a in s.after if a not in states]
        problems += [f"{s.name}: unknown field '{f}'" for f in s.requires if f not in EVENT_FIELDS]
        if s.effect is not None and s.effect not in EFFECTS:
            problems.append(f"{s.name}: unknown effect '{s.effect}'")
        if s.stage is not None and s.stage not in funnel:
            problems.append(f"{s.name}: stage '{s.stage}' is not in the funnel")
        if s.effect and "amount" not in s.requires and s.name != "confiscated":
            problems.append(f"{s.name}: effect '{s.effect}' needs 'amount' in requires")
    if not any(not s.after for s in states.values()):
        problems.append("no initial state (a state with from = [])")
    if problems:
        raise FininvestError(f"{path}: " + "; ".join(problems))
    return Lifecycle(title=str(raw.get("title", "")), funnel=tuple(funnel), states=states)


@functools.cache
def load_lifecycle(path: Path | None = None) -> Lifecycle:
    """Read the lifecycle declaration (the shipped one unless ``path`` is given)."""
    path = path or resource_dir("indicators") / "assets" / "lifecycle.toml"
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise FininvestError(f"{path}: cannot read the asset lifecycle: {exc}") from exc
    return parse_lifecycle(raw, path)


def state_names() -> tuple[str, ...]:
    """The declared states, in declaration order (the choices of ``asset_events.status``)."""
    return load_lifecycle().names


def lifecycle_md() -> str:
    """``docs/assets-lifecycle.md``: the lifecycle as a reader needs it, generated."""
    lc = load_lifecycle()
    out = [
        f"# {lc.title}",
        "",
        "<!-- generated by `python -m fininvest.docgen` from indicators/assets/lifecycle.toml;"
        " do not edit -->",
        "",
        "Every change to an asset is an event named after the state it leads to. The register "
        "(`fininvest assets`, see [assets.md](assets.md)) refuses an event that may not follow "
        "the asset's current state, or that lacks a required field, and names the events that "
        "are allowed. Release is possible at every stage before confiscation is final.",
        "",
        "Funnel stages: " + " → ".join(lc.funnel) + ".",
        "",
        "| state | may follow | requires | stage | effect | counted as order |",
        "|---|---|---|---|---|---|",
    ]
    for s in lc.states.values():
        after = ", ".join(f"`{a}`" for a in s.after) or "— (first event)"
        req = ", ".join(s.requires) or "—"
        final = " (final)" if s.final else ""
        out.append(
            f"| `{s.name}`{final} | {after} | {req} | {s.stage or ''} | {s.effect or ''} "
            f"| {s.order or ''} |"
        )
    out += ["", "## States", ""]
    for s in lc.states.values():
        nxt = ", ".join(f"`{n}`" for n in lc.allowed_after(s.name)) or "none"
        out += [f"### `{s.name}` — {s.title}", "", s.description, "", f"Next: {nxt}.", ""]
    return "\n".join(out)
