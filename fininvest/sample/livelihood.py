"""Declared incomes, the exploiters' share of the proceeds, and their legitimate look-alikes.

Planted after every ring, from a random stream of its own, so that adding this pass leaves the
rest of a seed's case as it was (same parties, accounts and background money).

* **Declared incomes.** KYC customers declare a monthly income (most of them; some never
  did). Ring members and victims draw from the same distribution as everyone else, so the
  income itself says nothing about who is who.
* **The exploiter's share.** Europol's *THB Financial Business Model* (2015) describes THB as
  a business run for profit whose proceeds go into high-value goods, real estate and cash
  back to the source country; FinCEN FIN-2020-A008 (p.3) and AUSTRAC (2022) add cars and
  luxury spending. The exploiter also pays the running costs of exploitation: transport of
  the victims, food for the group and their phones (AUSTRAC 2022; FINTRAC 2021; FinCEN
  FIN-2020-A008 p.7). Before this pass the forced-labour and forced-criminality exploiters
  had one monthly transfer, or no money at all, which no source describes.
* **Look-alikes.** What each of those habits looks like in a legitimate customer, so that no
  one rule can find the exploiters on its own: customers who buy a car at a dealer
  (``car_buyer``), who pay the team's lunch and coffee orders on most working days
  (``team_lunch_organiser``) and who top up a pay-as-you-go phone two or three times a week
  (``payg_phone_user``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from fininvest.sample.background import MTYPES, Emitter, Population, _ts
from fininvest.sample.builder import DAYS, CaseBuilder
from fininvest.sample.ring import Ring
from fininvest.sample.world import COUNTRIES

#: share of KYC customers with a declared income (the rest never declared one)
DECLARED_SHARE = 0.85
#: share of ordinary background customers in each look-alike group planted here
LOOKALIKE_SHARE = {"car_buyer": 0.006, "team_lunch_organiser": 0.003, "payg_phone_user": 0.003}


@contextmanager
def own_stream(b: CaseBuilder, seed: int) -> Iterator[np.random.Generator]:
    """Lend the builder a random stream of its own, and give the case's stream back after."""
    case_rng = b.rng
    b.rng = np.random.default_rng([seed, 0x11FE])
    try:
        yield b.rng
    finally:
        b.rng = case_rng


def declare_incomes(b: CaseBuilder, rng: np.random.Generator) -> None:
    """A declared monthly income (base currency, rounded to 50) for most persons."""
    for party in b.rows["parties"]:
        if party["kind"] != "person" or rng.random() > DECLARED_SHARE:
            continue
        party["declared_monthly_income"] = float(
            50 * round(float(rng.lognormal(np.log(2300), 0.45)) / 50)
        )


def _running_costs(r: Ring, acc: str, start: int, *, topups: bool) -> None:
    """Taxis for the victims, food for the group and (for some rings) their phone top-ups."""
    b, rng = r.b, r.rng
    city = COUNTRIES[r.destination].cities[0]
    for d in range(start, DAYS):
        for _ in range(int(rng.poisson(0.8))):
            b.card(r.ts(d, float(rng.uniform(6, 22))), acc, "rideshare", r.destination, city)
        for _ in range(int(rng.poisson(1.6))):
            food = "fastfood" if rng.random() < 0.7 else "restaurant"
            amount = float(rng.uniform(25, 90))  # orders for several people
            b.card(r.ts(d, float(rng.uniform(11, 21))), acc, food, r.destination, city, amount)
        if topups and rng.random() < 0.3:
            b.card(r.ts(d, float(rng.uniform(9, 20))), acc, "telecom", r.destination, city)


def _luxury(r: Ring, acc: str) -> None:
    """The proceeds spent: a car at a dealer, some jewellery, both in the destination."""
    b, rng = r.b, r.rng
    city = COUNTRIES[r.destination].cities[0]
    day = int(rng.integers(50, DAYS - 10))
    b.card(
        r.ts(day, 14), acc, "car_dealer", r.destination, city, float(rng.uniform(28_000, 55_000))
    )
    for _ in range(int(rng.integers(1, 4))):
        b.card(
            r.ts(int(rng.integers(30, DAYS)), 16),
            acc,
            "jewellery",
            r.destination,
            city,
            float(rng.uniform(800, 4_000)),
        )


@dataclass(frozen=True)
class Income:
    """How an exploiter is paid each month, and from which day he pays the running costs."""

    payer: str  # the ring role whose account pays
    day: int  # day of the month
    hour: float
    low: float
    high: float
    channel: str
    purpose: str  # formatted with the month's number
    costs_from: int
    topups: bool


INCOME = {
    # the subcontractor's owner draws its profit
    "forced_labour": Income(
        "subcontractor", 12, 10, 9_000, 16_000, "wire", "Privatentnahme {}/2025", 20, False
    ),
    # the controller passes the exploiter a cut
    "forced_criminality": Income("controller", 21, 18, 2_500, 5_000, "p2p", "", 15, True),
}


def exploiter_share(r: Ring) -> None:
    """The exploiter's income from the exploitation and what he spends it on.

    Sexual-exploitation rings already plant the exploiter's lodging and transport spending;
    they get the luxury spending only.
    """
    b, rng = r.b, r.rng
    exp_acc = r.accounts["exploiter"]
    pay = INCOME.get(r.scenario)
    if pay is not None:
        for m, month_day in enumerate((0, 28, 59, 89)):
            b.bank(
                r.ts(month_day + pay.day, pay.hour),
                r.accounts[pay.payer],
                exp_acc,
                float(rng.uniform(pay.low, pay.high)),
                pay.channel,
                pay.purpose.format(m + 2),
            )
        _running_costs(r, exp_acc, pay.costs_from, topups=pay.topups)
    _luxury(r, exp_acc)


def lookalikes(b: CaseBuilder, pop: Population, rng: np.random.Generator) -> None:
    """Legitimate customers whose habits one rule alone would take for an exploiter's.

    Vectorised like the rest of the background: one chunk of card payments per habit.
    """
    em = Emitter(b)
    ordinary = np.flatnonzero(pop.group == "")
    counts = [int(len(ordinary) * share) for share in LOOKALIKE_SHARE.values()]
    picked = np.split(rng.choice(ordinary, size=sum(counts), replace=False), np.cumsum(counts))
    chosen = dict(zip(LOOKALIKE_SHARE, picked, strict=False))
    for group, who in chosen.items():
        for acc in pop.account[who]:
            b.tag_account(str(acc), None, None, "legitimate", [], group)
    buyers, lunches, phones = (chosen[g] for g in LOOKALIKE_SHARE)
    days = np.arange(DAYS)

    def pay(who: np.ndarray, days_of: np.ndarray, hours: tuple[float, float], mtype: str) -> None:
        n = len(who)
        em.card(
            _ts(rng, days_of, rng.uniform(*hours, n)),
            pop.account[who],
            np.full(n, MTYPES.index(mtype)),
            pop.city_idx[who],
        )

    # one car each, on any day
    pay(buyers, rng.integers(0, DAYS, len(buyers)), (9, 18), "car_dealer")
    # the team's lunch and afternoon coffee on 60% of working days
    person, day = np.nonzero((rng.random((len(lunches), DAYS)) < 0.6) & (days % 7 < 5))
    pay(lunches[person], day, (11.5, 13.5), "restaurant")
    pay(lunches[person], day, (14.5, 16.5), "fastfood")
    # a pay-as-you-go top-up on 35% of days
    person, day = np.nonzero(rng.random((len(phones), DAYS)) < 0.35)
    pay(phones[person], day, (8, 21), "telecom")


def plant_livelihoods(b: CaseBuilder, pop: Population, rings: list[Ring], seed: int) -> None:
    """Declared incomes, each ring's exploiter share and the look-alikes, on their own stream."""
    with own_stream(b, seed) as rng:
        declare_incomes(b, rng)
        for r in rings:
            exploiter_share(r)
        lookalikes(b, pop, rng)
