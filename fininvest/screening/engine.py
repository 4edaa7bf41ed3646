"""The screening engine: catalogue indicators evaluated on event streams, with evidence.

Each implemented indicator is a small function registered under its catalogue id. It reads its
parameters (catalogue defaults, workspace overrides), runs the kernels, and returns one
:class:`Hit` per account where it fires: the observed value, the threshold, the window and the
transaction ids that prove it. Indicators whose data is missing are reported as *not
evaluated*; catalogue indicators without an implementation yet are reported as such — never
silently as zero.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from fininvest.indicators.catalogue import Indicator
from fininvest.screening.events import Events
from fininvest.screening.kernels import (
    window_count_max,
    window_count_max_of,
    window_distinct_max,
)

DAY = 86_400
#: work bound per start node of the cycle search (hubs); a cut search finds nothing rather
#: than something wrong
MAX_CYCLE_STEPS = 200_000
#: an account whose in-degree × out-degree exceeds this is a hub, not a split intermediary
MAX_INTERMEDIARY_PAIRS = 10_000
#: rules run at the same time
RULE_THREADS = 2
LODGING = {7011, *range(3501, 4000)}
TICKETS = {*range(3000, 3351), 4511, 4112, 4131, 4722}


@dataclass
class EventRefs:
    """Evidence still held as event indices; :func:`evaluate` turns the evidence of every hit
    into transaction ids in one gather (per-hit lookups cost more than the kernels)."""

    idx: np.ndarray

    def __post_init__(self) -> None:
        self.idx = np.asarray(self.idx, np.int64)

    def __len__(self) -> int:
        return int(self.idx.shape[0])

    def __add__(self, other: EventRefs) -> EventRefs:
        return EventRefs(np.concatenate([self.idx, other.idx]))


#: Transaction ids kept as the evidence of one explanation. A window of the busiest accounts
#: can hold hundreds of thousands of transactions (670k outgoing transfers in 30 days in the
#: 10M-row benchmark), which no reader can use and which cost more to look up than the
#: indicators; the first ones (in the order the indicator lists them: time order for the window
#: indicators) are kept and ``evidence_total`` says how many there were.
EVIDENCE_LIMIT = 1000


@dataclass
class Hit:
    """One indicator firing on one account (or, for merchant-level indicators, on a merchant:
    then ``entity`` holds the merchant id and ``account`` is -1), with what proves it.
    ``evidence_total`` is the size of the evidence before it was cut to EVIDENCE_LIMIT (set by
    :func:`resolve_evidence`)."""

    account: int
    indicator: str
    observed: float
    threshold: float
    window: str
    evidence: list[str] | EventRefs
    detail: str
    entity: str | None = None
    entity_kind: str = "account"
    evidence_total: int = -1
    #: how unusual the finding is for the account's peers (a modified z-score), for the
    #: indicators judged against a peer group (:mod:`fininvest.screening.peers`); 0 otherwise
    unusual: float = 0.0


@dataclass
class Context:
    """What indicators may read besides the events."""

    ev: Events
    params: dict[str, Any]
    kyc: dict[str, pl.DataFrame] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)
    #: identification / record-keeping thresholds per jurisdiction (base currency)
    id_thresholds: dict[str, float] = field(default_factory=dict)
    #: wall seconds each rule that ran took, filled by :func:`evaluate`; rules run
    #: :data:`RULE_THREADS` at a time, so these overlap and add up to more than the phase
    seconds: dict[str, float] = field(default_factory=dict)


class NotEvaluated(Exception):
    """Raised by a rule that cannot run on this case (with the reason, shown to the user)."""


Rule = Callable[[Context], list[Hit]]
RULES: dict[str, Rule] = {}
#: tables each implemented rule needs beyond the events (for "not evaluated")
NEEDS: dict[str, tuple[str, ...]] = {}
#: the shared computations on the events each rule reads (:data:`Events.SHARED`)
SHARES: dict[str, tuple[str, ...]] = {}
#: rules that run with no other rule at the same time (their working memory is the largest)
ALONE: set[str] = set()


def rule(
    ind_id: str, needs: tuple[str, ...] = (), shares: tuple[str, ...] = (), alone: bool = False
) -> Callable[[Rule], Rule]:
    """Register an indicator's rule.

    ``needs``: tables beyond the events (the rule is "not evaluated" without them).
    ``shares``: the shared computations on the events it reads (:data:`Events.SHARED`), so
    that :func:`evaluate` can free each one after its last reader. A rule that reads one
    without declaring it still gets the right answer, computed again.
    ``alone``: run it while no other rule runs (:func:`evaluate` runs rules two at a time):
    for a rule whose working memory would take the screen past its memory goal beside
    another's.
    """
    unknown = set(shares) - set(Events.SHARED)
    if unknown:
        raise ValueError(f"{ind_id}: unknown shared computations {sorted(unknown)}")

    def register(fn: Rule) -> Rule:
        RULES[ind_id] = fn
        NEEDS[ind_id] = needs
        SHARES[ind_id] = shares
        if alone:
            ALONE.add(ind_id)
        return fn

    return register


def _window_evidence(ev: Events, a: int, anchor: int, flag: np.ndarray, window: int) -> EventRefs:
    lo, hi = ev.offsets[a], ev.offsets[a + 1]
    t = ev.ts[anchor]
    ts = ev.ts[lo:hi]  # ascending: bisect to the window instead of scanning the whole account
    start = lo + int(np.searchsorted(ts, t - window, side="right"))
    stop = lo + int(np.searchsorted(ts, t, side="right"))
    return EventRefs(np.flatnonzero(flag[start:stop]) + start)


class _Flagged:
    """The flagged events as the window kernels' input: compacted to those events alone when
    they are a minority (cash deposits, payroll credits), so that the kernels walk a few
    hundred thousand events instead of every event; the events themselves otherwise."""

    def __init__(self, ev: Events, flag: np.ndarray, compact: bool = True) -> None:
        self.idx: np.ndarray | None = None
        self.offsets, self.ts, self.flag = ev.offsets, ev.ts, flag
        if compact and np.count_nonzero(flag) * 4 < flag.shape[0]:
            self.idx = np.flatnonzero(flag)
            self.offsets = np.searchsorted(self.idx, ev.offsets)  # flagged events before each
            self.ts = ev.ts[self.idx]
            self.flag = np.ones(self.idx.shape[0], np.bool_)

    def take(self, values: np.ndarray) -> np.ndarray:
        """Per-event values (a category) for the kernels' input."""
        return values if self.idx is None else values[self.idx]

    def event(self, at: int) -> int:
        """The event index of a kernel's answer."""
        return int(at if self.idx is None else self.idx[at])

    def counts(self, w: int, accounts: np.ndarray) -> np.ndarray:
        """For each of ``accounts``, the most flagged events in one window, as
        :func:`~fininvest.screening.kernels.window_count_max` counts them (windows (t − w, t]
        ending at a flagged event). One parallel pass over those accounts' events alone
        (:func:`~fininvest.screening.kernels.window_count_max_of`): asking once per account
        cost 0.43 s over 4,346 calls at 10M rows, and counting every account 0.10 s per rule
        where the accounts asked for hold 0.1% of the events."""
        best: np.ndarray = window_count_max_of(self.offsets, self.ts, self.flag, w, accounts)
        return best


def count_rule(
    ctx: Context, ind: str, flag: np.ndarray, window_days: float, minimum: float, what: str
) -> list[Hit]:
    """Fire where at least ``minimum`` flagged events fall in one window."""
    ev = ctx.ev
    if not flag.any():
        return []
    w = int(window_days * DAY)
    sub = _Flagged(ev, flag)
    best, at = window_count_max(sub.offsets, sub.ts, sub.flag, w)
    hits = []
    for a in np.flatnonzero(best >= minimum):
        hits.append(
            Hit(
                int(a),
                ind,
                float(best[a]),
                float(minimum),
                f"{window_days:g} days",
                _window_evidence(ev, int(a), sub.event(at[a]), flag, w),
                f"{best[a]} {what} within {window_days:g} days (threshold {minimum:g})",
            )
        )
    return hits


def distinct_count_rule(
    ctx: Context,
    ind: str,
    flag: np.ndarray,
    category: np.ndarray,
    n_cat: int,
    window_days: float,
    min_count: float,
    min_distinct: float,
    what: str,
    of_what: str,
    known: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[Hit]:
    """Fire where one window holds ``min_count`` flagged events over ``min_distinct`` categories.

    ``known``: the (distinct, at) that :func:`window_distinct_max` would return, when a shared
    pass already computed them (:meth:`Events.partners`).
    """
    ev = ctx.ev
    if not flag.any():
        return []
    w = int(window_days * DAY)
    if known is not None:
        sub = _Flagged(ev, flag, compact=False)  # `at` indexes the events themselves
        distinct, at = known
    else:
        sub = _Flagged(ev, flag)
        distinct, at = window_distinct_max(
            sub.offsets, sub.ts, sub.flag, sub.take(category), max(n_cat, 1), w
        )
    fired = np.flatnonzero(distinct >= min_distinct)
    if not fired.shape[0]:
        return []
    counts = sub.counts(w, fired)  # a cheap bound: no window of fewer holds min_count
    hits = []
    for a, count in zip(fired.tolist(), counts.tolist(), strict=True):
        if count < min_count:
            continue
        # the window with the most categories proves it when it holds enough events (it
        # mostly does); else one walk over the account finds the window that does
        refs, n_distinct = _window_evidence(ev, a, sub.event(at[a]), flag, w), int(distinct[a])
        if len(refs) < min_count:
            found = proving_window(ev, a, flag, category, w, min_count, min_distinct)
            if found is None:  # enough events and enough categories, never in one window
                continue
            refs, n_distinct = found
        hits.append(
            Hit(
                int(a),
                ind,
                float(n_distinct),
                float(min_distinct),
                f"{window_days:g} days",
                refs,
                f"{len(refs)} {what} {joining(of_what)} {n_distinct} different {of_what} within "
                f"{window_days:g} days (thresholds {min_count:g} and {min_distinct:g})",
            )
        )
    return hits


#: how a count of events joins the categories it is spread over, in a sentence
JOINING = {"senders": "from", "depositors": "from", "payees": "to"}


def joining(of_what: str) -> str:
    """The preposition between events and their categories.

    >>> joining("senders"), joining("payees (payment references)"), joining("cities")
    ('from', 'to', 'in')
    """
    return JOINING.get(of_what.split(" ", 1)[0], "in")


def proving_window(
    ev: Events,
    a: int,
    flag: np.ndarray,
    category: np.ndarray,
    window: int,
    min_count: float,
    min_distinct: float,
) -> tuple[EventRefs, int] | None:
    """The window (t − window, t] of account ``a``, ending at one of its flagged events, that
    holds at least ``min_count`` flagged events over at least ``min_distinct`` categories, with
    the most distinct categories (then the most events, then the earliest); its flagged events
    and their distinct categories, or None when no one window holds both.

    The explanation's count and its evidence are then the same events: the kernels' maxima of
    events and of categories may come from two different windows.

    Complexity: O(n) over the account's flagged events (one sliding pass), run only for the
    accounts the kernels let through.
    """
    lo, hi = int(ev.offsets[a]), int(ev.offsets[a + 1])
    idx = np.flatnonzero(flag[lo:hi]) + lo
    ts = ev.ts[idx].tolist()
    cats = category[idx].tolist()
    seen: Counter[int] = Counter()
    best: tuple[int, int, int, int] | None = None  # (distinct, count, start, end)
    start = 0
    for end, (t, c) in enumerate(zip(ts, cats, strict=True)):
        if c >= 0:
            seen[c] += 1
        while ts[start] <= t - window:
            old = cats[start]
            if old >= 0:
                seen[old] -= 1
                if not seen[old]:
                    del seen[old]
            start += 1
        count = end - start + 1
        if count >= min_count and len(seen) >= min_distinct:
            if best is None or (len(seen), count) > best[:2]:
                best = (len(seen), count, start, end)
    if best is None:
        return None
    return EventRefs(idx[best[2] : best[3] + 1]), best[0]


def _mcc_flag(ev: Events, codes: set[int] | list[int]) -> np.ndarray:
    flag: np.ndarray = np.isin(ev.mcc, np.fromiter(codes, np.int64)) & ev.outflow
    return flag


# ----------------------------------------------------------------------------- card indicators


# ----------------------------------------------------------------------------- shared helpers
def _cash_in(ev: Events) -> np.ndarray:
    flag: np.ndarray = (~ev.outflow) & ev.is_in("channel", ["cash"])
    return flag


def _pass_through(ev: Events, hours: float) -> tuple[np.ndarray, np.ndarray]:
    return ev.passed_on(int(hours * 3600))


def _inflow_refs(ev: Events, a: int, limit: int = 20) -> EventRefs:
    """The account's first ``limit`` inflows. Looked for in a growing stretch of its events,
    not all of them: the busiest accounts have millions of events."""
    lo, hi = int(ev.offsets[a]), int(ev.offsets[a + 1])
    stop = min(hi, lo + 4 * limit)
    while True:
        found = np.flatnonzero(~ev.outflow[lo:stop])
        if found.shape[0] >= limit or stop == hi:
            return EventRefs(found[:limit] + lo)
        stop = min(hi, lo + 2 * (stop - lo))


def resolve_evidence(ev: Events, hits: list[Hit]) -> None:
    """Cut every hit's evidence to its first EVIDENCE_LIMIT items (``evidence_total`` keeps
    the full count) and replace :class:`EventRefs` by the transaction ids, in one gather."""
    for h in hits:
        h.evidence_total = len(h.evidence)
        if h.evidence_total > EVIDENCE_LIMIT:
            h.evidence = (
                EventRefs(h.evidence.idx[:EVIDENCE_LIMIT])
                if isinstance(h.evidence, EventRefs)
                else h.evidence[:EVIDENCE_LIMIT]
            )
    pending = [h for h in hits if isinstance(h.evidence, EventRefs)]
    if not pending:
        return
    parts = [h.evidence.idx for h in pending if isinstance(h.evidence, EventRefs)]
    refs = ev.refs(np.concatenate(parts))
    pos = 0
    for h, part in zip(pending, parts, strict=True):
        h.evidence = refs[pos : pos + len(part)]
        pos += len(part)


def _accounts_of_parties(ctx: Context) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for account, holder in ctx.kyc["accounts"].select("account_id", "holder_id").iter_rows():
        out.setdefault(holder, []).append(account)
    return out


def holder_kinds(ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """Per account code: (held by a person, held by a company), from the KYC accounts and
    customers; accounts KYC does not know are neither."""
    ev = ctx.ev
    held = (
        pl.DataFrame({"account_id": ev.accounts}, schema={"account_id": pl.String})
        .with_row_index("a")
        .join(ctx.kyc["accounts"].select("account_id", "holder_id"), on="account_id")
        .join(
            ctx.kyc["parties"].select(
                pl.col("party_id").alias("holder_id"), pl.col("kind").cast(pl.String)
            ),
            on="holder_id",
        )
    )
    code = held["a"].to_numpy()
    person = np.zeros(len(ev.accounts), np.bool_)
    company = np.zeros(len(ev.accounts), np.bool_)
    person[code[(held["kind"] == "person").to_numpy()]] = True
    company[code[(held["kind"] == "company").to_numpy()]] = True
    return person, company


def _transfers(ev: Events) -> np.ndarray:
    """Event indices of transfers out of an account to a known account, ascending: the edges
    of :meth:`Events.transfer_graph`, which is built once per screen."""
    return ev.transfer_graph().events


def _edges(ev: Events, idx: np.ndarray) -> pl.DataFrame:
    """The events ``idx`` as a table: account ``a``, counterparty ``b``, time ``t``, amount
    ``x`` and event index ``e`` (for the pair-level joins)."""
    return pl.DataFrame(
        {
            "a": ev.account[idx],
            "b": ev.counterparty[idx],
            "t": ev.ts[idx],
            "x": ev.amount[idx],
            "e": idx,
        }  # fmt: skip
    )


def evaluate(
    ctx: Context, catalogue: dict[str, Indicator], tables: set[str]
) -> tuple[list[Hit], dict[str, str]]:
    """Run every implemented indicator whose data is present.

    Returns the hits and, for every catalogue indicator that did not run, why:
    ``"not evaluated: no <table> in this case"`` or ``"not implemented yet"``.
    """
    from fininvest.screening import rules  # noqa: F401  (registers every implemented rule)

    status: dict[str, str] = {}
    # the rules that read the same shared computation are taken one after the other, and each
    # computation is freed after its last reader: the transfer graph (0.19 GB at 10M rows)
    # and the counterparty codes need not outlive their readers
    order = sorted(catalogue, key=lambda i: (SHARES.get(i, ()), i))
    readers = Counter(share for ind_id in order for share in SHARES.get(ind_id, ()))
    counting = threading.Lock()

    gate = _Gate()

    def run(ind_id: str) -> list[Hit]:
        found: list[Hit] = []
        try:
            with gate.entered(alone=ind_id in ALONE):
                _run_one(ctx, ind_id, catalogue[ind_id], tables, found, status)
        finally:
            with counting:
                readers.subtract(SHARES.get(ind_id, ()))
                done = [sh for sh in SHARES.get(ind_id, ()) if readers[sh] == 0]
            ctx.ev.release(*done)
        return found

    with ThreadPoolExecutor(RULE_THREADS, thread_name_prefix="rule") as pool:
        futures = [pool.submit(run, ind_id) for ind_id in order]
        hits = [h for f in futures for h in f.result()]
    ctx.ev.drop_caches()  # the rules are done: free their shared arrays before the evidence
    resolve_evidence(ctx.ev, hits)
    return hits, {ind_id: status[ind_id] for ind_id in catalogue}


def _give_back_free_memory() -> None:
    """Hand the memory glibc holds free back to the system (``malloc_trim``), where there is
    glibc. Rules running on two threads free numpy arrays into two malloc arenas, which keep
    them: measured at 10M rows, 110-125 MB that the largest rule then added to, over the
    memory goal. Trimming before a rule that runs alone takes the peak back under it."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError):  # not glibc: nothing to do
        pass


class _Gate:
    """Who may run now: any number of rules, or one rule that runs alone. A rule waiting to
    run alone keeps new rules from starting, so it is not passed over."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._running = 0
        self._alone_waiting = 0
        self._alone_running = False

    @contextmanager
    def entered(self, alone: bool) -> Iterator[None]:
        with self._cond:
            if alone:
                self._alone_waiting += 1
                self._cond.wait_for(lambda: self._running == 0)
                self._alone_waiting -= 1
                self._alone_running = True
                _give_back_free_memory()
            else:
                self._cond.wait_for(lambda: not self._alone_running and not self._alone_waiting)
            self._running += 1
        try:
            yield
        finally:
            with self._cond:
                self._running -= 1
                self._alone_running = False
                self._cond.notify_all()


def _run_one(
    ctx: Context,
    ind_id: str,
    ind: Indicator,
    tables: set[str],
    hits: list[Hit],
    status: dict[str, str],
) -> None:
    """Run one indicator's rule if it is implemented and its data is present; record why not."""
    if ind_id not in RULES:
        status[ind_id] = "not implemented yet"
        return
    missing = [
        t
        for t in dict.fromkeys((*ind.tables, *NEEDS[ind_id]))
        if t not in tables
        and t
        in (
            "transactions",
            "card_transactions",
            "accounts",
            "identifiers",
            "parties",
            "intel_links",
        )
    ]
    if missing:
        status[ind_id] = f"not evaluated: no {', '.join(missing)} in this case"
        return
    start = time.perf_counter()
    try:
        found = RULES[ind_id](ctx)
    except NotEvaluated as why:
        status[ind_id] = f"not evaluated: {why}"
        return
    finally:
        ctx.seconds[ind_id] = time.perf_counter() - start
    status[ind_id] = f"evaluated: fired on {len(found)} account(s)"
    hits.extend(found)
