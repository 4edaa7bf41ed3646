"""The legitimate background population, generated vectorised (numpy), including look-alikes.

Look-alike groups are legitimate customers that one naive rule would flag — the reason the
indicator engine must combine indicators (brief; FinCEN FIN-2020-A008 p.5: no single indicator
proves THB):

* ``business_traveller`` — many hotels in several cities, flights, ride-share;
* ``payroll_bureau`` — receives from several employers, pays many employees;
* ``migrant_remitter`` — wages in, regular remittances to a source country;
* ``massage_nail_business`` — legitimate cash-heavy massage and nail businesses;
* ``dating_user`` — pays dating/escort-category (MCC 7273) subscriptions;
* ``shared_flat`` — receives several P2P rent shares and pays the landlord.

Three more groups (``car_buyer``, ``team_lunch_organiser``, ``payg_phone_user``) are planted
with the exploiters' share of the proceeds, in :mod:`fininvest.sample.livelihood`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fininvest.sample.builder import DAY, DAYS, START_S, CaseBuilder
from fininvest.sample.world import COUNTRIES, DESTINATIONS, MERCHANT_TYPES, SOURCES, person_name

MONTH_STARTS = np.array([0, 28, 59, 89])  # Feb, Mar, Apr, May 2025 (day offsets)
MTYPES = list(MERCHANT_TYPES)
EVERYDAY = {"grocery": 0.36, "restaurant": 0.14, "fastfood": 0.12, "fuel": 0.10, "pharmacy": 0.06,
            "clothing": 0.07, "cosmetics": 0.03, "telecom": 0.03, "bar": 0.04, "rideshare": 0.02,
            "hotel": 0.005, "massage": 0.01, "nails": 0.015, "bus": 0.01, "jewellery": 0.002,
            "prepaid": 0.003, "ads": 0.002, "employment_agency": 0.001}  # fmt: skip
DEST_WEIGHTS = {"DE": 0.38, "NL": 0.15, "BE": 0.10, "AT": 0.10, "FR": 0.17, "ES": 0.10}


@dataclass
class Population:
    """Background persons and their accounts, as arrays the planted cases draw from."""

    person: np.ndarray
    account: np.ndarray
    country: np.ndarray
    city: np.ndarray
    sex: np.ndarray
    group: np.ndarray  # look-alike group or "" for ordinary customers
    acquirer: dict[str, str]  # card-acquiring company's account per destination country
    city_idx: np.ndarray  # home city as the index Emitter.card takes
    _ordinary: dict[tuple[str | None, str | None], np.ndarray] = field(
        default_factory=dict, repr=False
    )  # ordinary customers' indices per (country, sex), as pick asks for them

    def pick(
        self,
        rng: np.random.Generator,
        n: int,
        *,
        country: str | None = None,
        sex: str | None = None,
    ) -> np.ndarray:
        idx = self._ordinary.get((country, sex))
        if idx is None:  # the planted rings ask for the same few cells thousands of times
            mask = self.group == ""
            if country:
                mask &= self.country == country
            if sex:
                mask &= self.sex == sex
            idx = self._ordinary[(country, sex)] = np.flatnonzero(mask)
        return rng.choice(idx, size=min(n, len(idx)), replace=False)


def _local_hours(rng: np.random.Generator, n: int, lo: float = 8.0, hi: float = 21.0) -> np.ndarray:
    return rng.uniform(lo, hi, n)


def _ts(rng: np.random.Generator, day: np.ndarray, hours: np.ndarray) -> np.ndarray:
    """UTC epoch seconds for a local day and hour (local ≈ UTC+1 in the destinations)."""
    return (
        START_S
        + day.astype(np.int64) * DAY
        + ((hours - 1.0) * 3600).astype(np.int64)
        + rng.integers(0, 60, len(day))
    )


class Emitter:
    """Appends vectorised transaction chunks to the builder."""

    def __init__(self, b: CaseBuilder) -> None:
        self.b = b

    def bank(
        self,
        ts: np.ndarray,
        frm: np.ndarray | None,
        to: np.ndarray | None,
        amount: np.ndarray,
        channel: str,
        purpose: str,
        city: np.ndarray | None = None,
        country: np.ndarray | None = None,
        to_country: np.ndarray | None = None,
    ) -> None:
        n = len(ts)
        if n == 0:
            return
        none = np.full(n, None, dtype=object)
        self.b.bank_chunks.append(
            {
                "txn_id": self.b.txn_ids(n),
                "ts": ts,
                "from_account": none if frm is None else frm,
                "to_account": none if to is None else to,
                "amount": np.round(amount, 2),
                "currency": np.full(n, "EUR"),
                "channel": np.full(n, channel),
                "purpose": np.full(n, purpose, dtype=object),
                "city": none if city is None else city,
                "country": none if country is None else country,
                "to_country": none if to_country is None else to_country,
            }
        )

    def card(
        self,
        ts: np.ndarray,
        account: np.ndarray,
        mtype_idx: np.ndarray,
        city_idx: np.ndarray,
        channel: str = "card_present",
    ) -> None:
        n = len(ts)
        if n == 0:
            return
        rng = self.b.rng
        merchant = (city_idx * len(MTYPES) + mtype_idx) * 3 + rng.integers(0, 3, n)
        mu = np.array([MERCHANT_TYPES[t][2] for t in MTYPES])[mtype_idx]
        sd = np.array([MERCHANT_TYPES[t][3] for t in MTYPES])[mtype_idx]
        amount = np.maximum(1.0, rng.lognormal(np.log(mu) - 0.5 * (sd / mu) ** 2, sd / mu))
        self.b.card_chunks.append(
            {
                "txn_id": self.b.txn_ids(n, "CD"),
                "ts": ts,
                "payer_account": account,
                "merchant": merchant,
                "amount": np.round(amount, 2),
                "currency": np.full(n, "EUR"),
                "channel": np.full(n, channel),
            }
        )


def _city_tables() -> tuple[list[tuple[str, str]], dict[str, np.ndarray]]:
    flat = [(cc, city) for cc, c in COUNTRIES.items() for city in c.cities]
    by_country = {
        cc: np.array([i for i, (c2, _) in enumerate(flat) if c2 == cc]) for cc in COUNTRIES
    }
    return flat, by_country


def generate_background(b: CaseBuilder, n_persons: int) -> Population:
    """Create ``n_persons`` legitimate customers (plus their companies) and their activity."""
    rng = b.rng
    flat, by_country = _city_tables()
    em = Emitter(b)
    dest = np.array(list(DEST_WEIGHTS))
    country = rng.choice(dest, n_persons, p=np.array(list(DEST_WEIGHTS.values())))
    city_idx = np.array([rng.choice(by_country[c]) for c in country])
    sex = rng.choice(np.array(["female", "male"]), n_persons)
    group = rng.choice(
        np.array(["", "business_traveller", "migrant_remitter", "dating_user", "shared_flat"]),
        n_persons,
        p=[0.855, 0.015, 0.08, 0.03, 0.02],
    )
    persons, accounts = [], []
    for i in range(n_persons):
        nat = str(rng.choice(SOURCES[:4])) if group[i] == "migrant_remitter" else str(country[i])
        pid = b.party(
            "person",
            person_name(rng, nat, str(sex[i])),
            str(country[i]),
            sex=str(sex[i]),
            nationality=nat,
            city=flat[city_idx[i]][1],
        )
        persons.append(pid)
        accounts.append(b.account(pid))
        if i % 3 == 0:
            b.phone(pid, str(country[i]))
    person = np.array(persons)
    account = np.array(accounts)
    city_name = np.array([flat[i][1] for i in city_idx])

    def companies(
        n: int,
        label: str,
        where: np.ndarray | None = None,
        occupation: str | None = None,
        mcc: int | None = None,
    ) -> np.ndarray:
        out = []
        for k in range(n):
            cc = str(where[k]) if where is not None else str(rng.choice(dest))
            cid = b.party(
                "company",
                f"{label} {cc}-{k + 1}",
                cc,
                occupation=occupation,
                business_mcc=mcc,
                city=COUNTRIES[cc].cities[k % len(COUNTRIES[cc].cities)],
            )
            out.append(b.account(cid, cc, account_type="business"))
        return np.array(out)

    n_emp = max(20, n_persons // 40)
    employers = companies(n_emp, "Employer GmbH")
    landlords = companies(max(5, n_persons // 60), "Immobilien")
    utilities = companies(10, "Energie")
    bureaus = companies(max(3, n_persons // 4000), "Payroll Services", occupation="payroll bureau")
    acquirers = companies(len(DESTINATIONS), "Acquiring", np.array(DESTINATIONS))
    n_salon = max(4, n_persons // 700)
    salon_country = rng.choice(dest, n_salon)
    salon_mcc = rng.choice(np.array([7297, 7230]), n_salon)
    salons = np.array(
        [
            companies(
                1,
                "Massage Studio" if m == 7297 else "Nail Bar",
                np.array([c]),
                "massage" if m == 7297 else "nail salon",
                int(m),
            )[0]
            for c, m in zip(salon_country, salon_mcc, strict=True)
        ],
        dtype=object,
    )
    for acc in bureaus:
        b.tag_account(str(acc), None, None, "legitimate", [], "payroll_bureau")
    for acc in salons:
        b.tag_account(str(acc), None, None, "legitimate", [], "massage_nail_business")
    for acc, g in zip(account, group, strict=True):
        if g:
            b.tag_account(str(acc), None, None, "legitimate", [], str(g))

    activity = rng.lognormal(-0.2, 0.8, n_persons)  # skewed: many quiet accounts
    employed = rng.random(n_persons) < 0.85
    employer_of = rng.integers(0, n_emp, n_persons)
    via_bureau = rng.random(n_emp) < 0.25
    bureau_of = rng.integers(0, len(bureaus), n_emp)
    salary = np.where(
        group == "migrant_remitter",
        rng.normal(1900, 250, n_persons),
        rng.lognormal(np.log(2600), 0.35, n_persons),
    ).clip(900, 12000)

    months = len(MONTH_STARTS)
    # salaries (monthly), through a payroll bureau for some employers
    emp_idx = np.flatnonzero(employed)
    for m in range(months):
        day = MONTH_STARTS[m] + rng.integers(24, 28, len(emp_idx))
        payer = np.where(
            via_bureau[employer_of[emp_idx]],
            bureaus[bureau_of[employer_of[emp_idx]]],
            employers[employer_of[emp_idx]],
        )
        em.bank(
            _ts(rng, day, _local_hours(rng, len(day), 8, 11)),
            payer,
            account[emp_idx],
            salary[emp_idx] * rng.normal(1.0, 0.02, len(day)),
            "payroll",
            f"Salary 2025-{m + 2:02d}",
        )
        # employers fund the bureau before payday
        fund = np.flatnonzero(via_bureau)
        totals = np.bincount(employer_of[emp_idx], weights=salary[emp_idx], minlength=n_emp)[fund]
        em.bank(
            _ts(rng, np.full(len(fund), MONTH_STARTS[m] + 22), _local_hours(rng, len(fund))),
            employers[fund],
            bureaus[bureau_of[fund]],
            totals * 1.02 + 50,
            "wire",
            "Payroll funding",
        )
        # employers' revenue from other companies
        k = n_emp * 6
        em.bank(
            _ts(rng, MONTH_STARTS[m] + rng.integers(0, 28, k), _local_hours(rng, k)),
            employers[rng.integers(0, n_emp, k)],
            employers[rng.integers(0, n_emp, k)],
            rng.lognormal(np.log(6000), 0.8, k),
            "wire",
            "Invoice",
        )
    # rent and utilities
    renters = np.flatnonzero(rng.random(n_persons) < 0.7)
    households = np.flatnonzero(rng.random(n_persons) < 0.75)  # one energy contract each
    rent = rng.normal(850, 200, n_persons).clip(350, 2500)
    for m in range(months):
        em.bank(
            _ts(
                rng,
                MONTH_STARTS[m] + rng.integers(0, 3, len(renters)),
                _local_hours(rng, len(renters)),
            ),
            account[renters],
            landlords[rng.integers(0, len(landlords), len(renters))],
            rent[renters],
            "sepa",
            "Rent",
        )
        k = len(households)
        em.bank(
            _ts(rng, MONTH_STARTS[m] + rng.integers(5, 20, k), _local_hours(rng, k)),
            account[households],
            utilities[rng.integers(0, len(utilities), k)],
            rng.normal(90, 30, k).clip(20, 400),
            "sepa",
            "Energy",
        )
    # ATM withdrawals and P2P
    n_atm = rng.poisson(0.7 * activity * months)
    who = np.repeat(np.arange(n_persons), n_atm)
    em.bank(
        _ts(rng, rng.integers(0, DAYS, len(who)), _local_hours(rng, len(who), 7, 23)),
        account[who],
        None,
        rng.choice([50.0, 100, 150, 200, 300, 400], len(who)),
        "atm",
        "ATM",
        city_name[who],
        country[who],
    )
    n_p2p = rng.poisson(0.5 * activity * months)
    who = np.repeat(np.arange(n_persons), n_p2p)
    em.bank(
        _ts(rng, rng.integers(0, DAYS, len(who)), _local_hours(rng, len(who))),
        account[who],
        account[rng.integers(0, n_persons, len(who))],
        rng.lognormal(np.log(45), 0.7, len(who)).clip(5, 900),
        "p2p",
        "",
    )
    # everyday card spending
    n_card = rng.poisson(2.0 * activity * months)
    who = np.repeat(np.arange(n_persons), n_card)
    types = np.array([MTYPES.index(t) for t in EVERYDAY])
    p = np.array(list(EVERYDAY.values()))
    mt = rng.choice(types, len(who), p=p / p.sum())
    # 8% of spending happens away from home: in the home city of another random customer
    away = rng.random(len(who)) < 0.08
    cidx = np.where(away, city_idx[rng.integers(0, n_persons, len(who))], city_idx[who])
    em.card(
        _ts(rng, rng.integers(0, DAYS, len(who)), _local_hours(rng, len(who))),
        account[who],
        mt,
        cidx,
    )
    _lookalikes(
        b,
        em,
        rng,
        account,
        group,
        city_idx,
        by_country,
        employers,
        employer_of,
        landlords,
        salons,
        salon_country,
        acquirers,
    )
    acquirer = {str(cc): str(a) for cc, a in zip(DESTINATIONS, acquirers, strict=True)}
    return Population(person, account, country, city_name, sex, group, acquirer, city_idx)


def _lookalikes(
    b: CaseBuilder,
    em: Emitter,
    rng: np.random.Generator,
    account: np.ndarray,
    group: np.ndarray,
    city_idx: np.ndarray,
    by_country: dict[str, np.ndarray],
    employers: np.ndarray,
    employer_of: np.ndarray,
    landlords: np.ndarray,
    salons: np.ndarray,
    salon_country: np.ndarray,
    acquirers: np.ndarray,
) -> None:
    """Legitimate look-alike activity, vectorised per group."""
    months = len(MONTH_STARTS)
    mt = MTYPES.index
    dest_cities = np.concatenate([by_country[c] for c in DESTINATIONS])
    # business travellers: hotels in several cities, flights, ride-share; reimbursed monthly
    tr = np.flatnonzero(group == "business_traveller")
    trips = np.repeat(tr, rng.integers(3, 8, len(tr)) * months)
    n = len(trips)
    day = rng.integers(0, DAYS - 3, n)
    city = rng.choice(dest_cities, n)
    nights = rng.integers(1, 4, n)
    em.card(_ts(rng, day, np.full(n, 19.0)), account[trips], np.full(n, mt("hotel")), city)
    em.card(
        _ts(rng, day, np.full(n, 7.5)), account[trips], np.full(n, mt("airline")), city, "ecommerce"
    )
    for offset, hour, kind in (
        (0, 20.0, "rideshare"),
        (1, 9.0, "rideshare"),
        (1, 13.0, "restaurant"),
    ):
        d = day + (nights if offset else 0)
        em.card(_ts(rng, d, np.full(n, hour)), account[trips], np.full(n, mt(kind)), city)
    who = np.repeat(tr, months)
    em.bank(
        _ts(rng, np.tile(MONTH_STARTS + 27, len(tr)), np.full(len(who), 10.0)),
        employers[employer_of[who]],
        account[who],
        rng.normal(900, 300, len(who)).clip(100),
        "wire",
        "Travel expenses",
    )
    # migrant workers: regular remittances home, by wire to family or through a money transfer
    mig = np.flatnonzero(group == "migrant_remitter")
    home = rng.choice(np.array(["RO", "BG", "MD", "NG"]), len(mig))
    fam_acc = np.array(
        [
            b.account(
                b.party("person", person_name(rng, str(h), "female"), str(h), sex="female"), str(h)
            )
            for h in home
        ]
    )
    by_wire = rng.random(len(mig)) < 0.5
    w = np.repeat(np.flatnonzero(by_wire), months)
    em.bank(
        _ts(
            rng,
            np.tile(MONTH_STARTS, by_wire.sum()) + rng.integers(26, 30, len(w)),
            _local_hours(rng, len(w)),
        ),
        account[mig[w]],
        fam_acc[w],
        rng.normal(350, 120, len(w)).clip(80),
        "wire",
        "Family support",
        to_country=home[w],
    )
    c = np.repeat(np.flatnonzero(~by_wire), months)
    em.card(
        _ts(
            rng,
            np.tile(MONTH_STARTS, (~by_wire).sum()) + rng.integers(26, 30, len(c)),
            _local_hours(rng, len(c)),
        ),
        account[mig[c]],
        np.full(len(c), mt("msb")),
        city_idx[mig[c]],
        "ecommerce",
    )
    # dating-site users: a subscription a month and a few extras
    dat = np.flatnonzero(group == "dating_user")
    who = np.repeat(dat, months + rng.poisson(1.5, len(dat)))
    em.card(
        _ts(rng, rng.integers(0, DAYS, len(who)), _local_hours(rng, len(who), 18, 24)),
        account[who],
        np.full(len(who), mt("dating")),
        city_idx[who],
        "ecommerce",
    )
    # shared flats: several P2P rent shares in, one rent payment out
    flat = np.flatnonzero(group == "shared_flat")
    n_mates = rng.integers(2, 5, len(flat))
    host = np.repeat(flat, n_mates)
    mates = rng.integers(0, len(account), len(host))
    landlord = landlords[rng.integers(0, len(landlords), len(flat))]
    for m in range(months):
        em.bank(
            _ts(rng, MONTH_STARTS[m] + rng.integers(0, 3, len(host)), _local_hours(rng, len(host))),
            account[mates],
            account[host],
            rng.normal(400, 40, len(host)),
            "p2p",
            "Miete Anteil",
        )
        em.bank(
            _ts(rng, np.full(len(flat), MONTH_STARTS[m] + 3), np.full(len(flat), 12.0)),
            account[flat],
            landlord,
            400.0 * (n_mates + 1),
            "sepa",
            "Rent",
        )
    # legitimate massage and nail businesses: card settlements, weekly cash, rent, staff
    k = len(salons)
    acq = acquirers[np.array([list(DESTINATIONS).index(str(cc)) for cc in salon_country])]
    days = np.array([d for d in range(DAYS) if d % 7 != 6])
    sidx = np.repeat(np.arange(k), len(days))
    em.bank(
        _ts(rng, np.tile(days, k), np.full(len(sidx), 6.0)),
        acq[sidx],
        salons[sidx],
        rng.lognormal(np.log(650), 0.4, len(sidx)),
        "wire",
        "Card settlement",
    )
    weeks = np.arange(0, DAYS - 3, 7)
    sidx = np.repeat(np.arange(k), len(weeks))
    home_city = np.array([COUNTRIES[str(cc)].cities[0] for cc in salon_country])
    em.bank(
        _ts(rng, np.tile(weeks, k) + rng.integers(0, 3, len(sidx)), np.full(len(sidx), 17.0)),
        None,
        salons[sidx],
        rng.lognormal(np.log(1400), 0.5, len(sidx)).clip(100, 9000),
        "cash",
        "Cash takings",
        home_city[sidx],
        salon_country[sidx],
    )
    n_staff = rng.integers(2, 6, k)
    staff_of = np.repeat(np.arange(k), n_staff)
    staff = rng.integers(0, len(account), len(staff_of))
    for m in range(months):
        em.bank(
            _ts(rng, np.full(len(staff), MONTH_STARTS[m] + 27), np.full(len(staff), 9.0)),
            salons[staff_of],
            account[staff],
            rng.normal(1700, 200, len(staff)),
            "payroll",
            f"Lohn 2025-{m + 2:02d}",
        )
        em.bank(
            _ts(rng, np.full(k, MONTH_STARTS[m] + 1), np.full(k, 9.0)),
            salons,
            landlords[rng.integers(0, len(landlords), k)],
            np.full(k, 2300.0),
            "sepa",
            "Miete Ladenlokal",
        )
        sup = np.repeat(np.arange(k), rng.integers(2, 6, k))
        em.bank(
            _ts(rng, MONTH_STARTS[m] + rng.integers(0, 28, len(sup)), _local_hours(rng, len(sup))),
            salons[sup],
            employers[rng.integers(0, len(employers), len(sup))],
            rng.lognormal(np.log(500), 0.6, len(sup)),
            "wire",
            "Supplies",
        )
