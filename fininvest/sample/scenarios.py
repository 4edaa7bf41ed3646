"""Planted THB cases, one function per scenario family.

Patterns follow the published red flags in shared research (indicators.md): FinCEN
FIN-2020-A008, FINTRAC 2016/2021, AUSTRAC 2022, Europol 2015. Amounts and frequencies are
plausible values, not copies of the indicator thresholds, so detection must rely on the
combination of indicators rather than on one planted trigger.
"""

from __future__ import annotations

import numpy as np

from fininvest.sample.builder import DAYS
from fininvest.sample.ring import Ring
from fininvest.sample.world import COUNTRIES

SCENARIOS = ("sexual_exploitation", "forced_labour", "forced_criminality")


def _buyers(r: Ring, n: int) -> np.ndarray:
    idx = r.pop.pick(r.rng, n, country=r.destination, sex="male")
    accounts: np.ndarray = r.pop.account[idx]
    return accounts


def plant_sexual_exploitation(r: Ring) -> None:
    b, rng = r.b, r.rng
    rec, rec_acc = r.member("recruiter", r.source, "female")
    tra, tra_acc = r.member("transporter", r.transit)
    exp, exp_acc = r.member("exploiter", r.destination)
    ctl, ctl_acc = r.member("controller", r.control, nationality=r.source)
    funnel = b.account(ctl, r.destination, opened="2024-06-10")
    front, front_acc = r.company(
        "front_business", "Wellness Studio", r.destination, ctl, "massage studio", 7297
    )
    arrive = int(rng.integers(3, 20))
    victims = r.victim_accounts(int(rng.integers(3, 7)), "female", arrive + 2)
    for acc, tags in (
        (ctl_acc, ["controller", "remittance_to_source"]),
        (
            funnel,
            [
                "funnel_account",
                "third_party_cash_multi_loc",
                "structuring",
                "ad_micropayments",
                "prepaid_phone_topups",
                "rapid_pass_through",
            ],
        ),
        (exp_acc, ["exploiter", "short_stay_lodging", "local_transport_burst"]),
        (rec_acc, ["recruiter"]),
        (tra_acc, ["transporter", "travel_multi_ticket"]),
        (front_acc, ["front_business"]),
    ):
        b.tag_account(acc, r.ring_id, r.scenario, "member", tags)
    r.journey(
        tra_acc,
        ctl_acc,
        arrive,
        fare=400.0,
        purpose="transport",
        ticket_day=arrive - 2,
        ticket_hour=10,
        pay_day=arrive + 3,
        recruited=arrive - 20,
        exploited=arrive + 10,
    )
    r.intel(exp, "person", "associated_with", ctl, "person", r.destination, day=arrive + 30)
    # recruitment fee per victim to the recruiter, cross-border
    b.bank(
        r.ts(arrive + 6, 15),
        ctl_acc,
        rec_acc,
        900.0 * len(victims),
        "wire",
        "loan repayment",
        to_country=r.source,
    )
    cities = list(COUNTRIES[r.destination].cities)
    storefront = b.merchants.pick(rng, "massage", r.destination, cities[0])
    b.rows["truth_fronts"].append(
        {"ring_id": r.ring_id, "account_id": front_acc, "merchant_id": b.merchants.ids[storefront]}
    )
    takings: dict[int, float] = {}
    day = arrive
    while day < DAYS - 1:
        city = str(rng.choice(cities))
        stay = int(rng.integers(3, 8))
        for d in range(day, min(day + stay, DAYS)):
            if d == day or rng.random() < 0.35:  # short stays, often re-booked
                b.card(
                    r.ts(d, 15),
                    exp_acc,
                    "hotel",
                    r.destination,
                    city,
                    float(rng.normal(85, 20)) * rng.integers(1, 3),
                )
            for _ in range(int(rng.poisson(1.2))):
                b.card(
                    r.ts(d, float(rng.uniform(10, 23))), exp_acc, "rideshare", r.destination, city
                )
            for acc in victims:
                # buyers pay the victims' accounts by P2P, mostly in the evening
                for _ in range(int(rng.poisson(1.1))):
                    b.bank(
                        r.ts(d, float(rng.uniform(17, 24))),
                        str(rng.choice(_buyers(r, 40))),
                        acc,
                        float(rng.choice([100, 150, 150, 200, 250, 300, 400])),
                        "p2p",
                        "",
                    )
                if rng.random() < 0.25:
                    b.card(
                        r.ts(d, float(rng.uniform(11, 20))),
                        acc,
                        str(rng.choice(["fastfood", "pharmacy", "cosmetics", "clothing"])),
                        r.destination,
                        city,
                    )
            # buyers at the front's studio after hours (its card terminal)
            for _ in range(int(rng.poisson(0.8))):
                buyer = str(rng.choice(_buyers(r, 60)))
                amount = float(rng.normal(120, 30))
                b.card(
                    r.ts(d, float(rng.uniform(22, 26.5))),
                    buyer,
                    "massage",
                    r.destination,
                    cities[0],
                    amount,
                    merchant=storefront,
                )
                takings[d] = takings.get(d, 0.0) + amount
            # cash deposits into the funnel account in the city of the stay, under the threshold
            if rng.random() < 0.3:
                b.bank(
                    r.ts(d, float(rng.uniform(20, 23.9))),
                    None,
                    funnel,
                    float(rng.uniform(1800, 9400)),
                    "cash",
                    "",
                    city,
                    r.destination,
                    depositor=str(rng.choice(r.victims + [exp])),
                )
            if rng.random() < 0.4:
                b.card(
                    r.ts(d, 12),
                    funnel,
                    str(rng.choice(["ads", "ads", "adult_web"])),
                    r.destination,
                    cities[0],
                    float(rng.choice([12, 24, 24, 36, 48])),
                    "ecommerce",
                )
            if rng.random() < 0.25:
                b.card(
                    r.ts(d, 13),
                    funnel,
                    "telecom",
                    r.destination,
                    city,
                    float(rng.choice([10, 15, 20])),
                )
        day += stay
    # sweeps: victims' takings leave for the funnel within a day or two
    for acc in victims:
        for d in range(arrive + 3, DAYS - 1, int(rng.integers(2, 4))):
            b.bank(
                r.ts(d + 1, 9), acc, funnel, float(rng.uniform(400, 1100)), "p2p", "Rueckzahlung"
            )
    # the funnel is drained in the controller's city: cash and transfers home
    for d in range(arrive + 5, DAYS, 3):
        b.bank(
            r.ts(d, 11),
            funnel,
            None,
            float(rng.uniform(2000, 5000)),
            "atm",
            "",
            COUNTRIES[r.control].cities[0],
            r.control,
        )
        if d % 9 == 0:
            b.bank(r.ts(d, 14), funnel, ctl_acc, float(rng.uniform(3000, 7000)), "wire", "")
    for d in range(arrive + 8, DAYS, 14):
        b.bank(
            r.ts(d, 16),
            ctl_acc,
            rec_acc,
            float(rng.uniform(1500, 4000)),
            "wire",
            "family",
            to_country=r.source,
        )
    for i in range(int(rng.integers(6, 12))):
        ad = f"AD-{r.ring_id}-{i:03d}"
        r.intel(
            ad,
            "ad",
            "advertised_with",
            b.phone_of[ctl],
            "phone",
            r.destination,
            day=arrive + 2 + i * 7,
            place=str(rng.choice(cities)),
            source="OSINT classified ads sweep",
            keep=0.9,
        )
    # the front business: card settlements of the night takings, cash mixed in weekly, and
    # its money passed on to the controller as "management fees"
    acquirer = r.pop.acquirer[r.destination]
    for d, total in sorted(takings.items()):
        b.bank(
            r.ts(d + 1, 6), acquirer, front_acc, round(total * 0.985, 2), "wire", "Card settlement"
        )
    for d in range(arrive + 4, DAYS, 7):
        b.bank(
            r.ts(d, 18),
            None,
            front_acc,
            float(rng.uniform(2500, 6500)),
            "cash",
            "Bareinnahmen",
            cities[0],
            r.destination,
            depositor=exp,
        )
    for d in range(arrive + 25, DAYS, 30):
        b.bank(
            r.ts(d, 10),
            front_acc,
            ctl_acc,
            float(rng.uniform(6000, 12000)),
            "wire",
            "Management fee",
        )
    r.standard_assets(ctl)


def plant_forced_labour(r: Ring) -> None:
    b, rng = r.b, r.rng
    rec, rec_acc = r.member("recruiter", r.source)
    agency, agency_acc = r.company(
        "recruitment_agency", "Work Abroad SRL", r.source, rec, "employment agency", 7361
    )
    tra, tra_acc = r.member("transporter", r.transit)
    exp, exp_acc = r.member("exploiter", r.destination)
    ctl, ctl_acc = r.member("controller", r.control, nationality=r.source)
    sub, sub_acc = r.company(
        "subcontractor", "Bau & Montage", r.destination, exp, "construction subcontractor"
    )
    house, house_acc = r.company("housing", "Wohnheim Service", r.destination, ctl, "accommodation")
    arrive = int(rng.integers(2, 15))
    workers = r.victim_accounts(int(rng.integers(6, 13)), "male", arrive + 1)
    for acc, tags in (
        (ctl_acc, ["controller", "pooled_wages", "remittance_to_source"]),
        (exp_acc, ["exploiter", "wage_kickback_cycle"]),
        (sub_acc, ["low_payroll_business", "business_sustenance"]),
        (house_acc, ["wage_kickback_cycle"]),
        (agency_acc, ["recruitment_fee_payments"]),
        (rec_acc, ["recruiter"]),
        (tra_acc, ["transporter", "travel_multi_ticket"]),
    ):
        b.tag_account(acc, r.ring_id, r.scenario, "member", tags)
    r.journey(
        tra_acc,
        ctl_acc,
        arrive,
        fare=250.0,
        purpose="Fahrt",
        ticket_day=arrive - 1,
        ticket_hour=8,
        pay_day=arrive + 2,
        recruited=arrive - 30,
        exploited=arrive + 20,
    )
    for v in r.victims:
        r.intel(v, "person", "employed_by", sub, "company", r.destination, day=arrive + 2)
    main_contractors = r.pop.account[r.pop.pick(rng, 3, country=r.destination)]
    pooled = set(range(0, len(workers), 2))
    names = {i: f"Lohn {i + 1:02d}" for i in range(len(workers))}
    for m, month_day in enumerate((0, 28, 59, 89)):
        if month_day + 27 < arrive + 20:
            continue
        b.bank(
            r.ts(month_day + 10, 10),
            str(rng.choice(main_contractors)),
            sub_acc,
            float(rng.uniform(60_000, 90_000)),
            "wire",
            f"Rechnung {m + 2}/2025",
        )
        b.bank(
            r.ts(month_day + 3, 9),
            sub_acc,
            house_acc,
            380.0 * len(workers),
            "wire",
            "Unterkunft Mitarbeiter",
        )
        for i, acc in enumerate(workers):
            wage = float(rng.normal(1150, 60))
            day = month_day + 27
            if i in pooled:  # several workers' wages paid into the controller's account
                b.bank(
                    r.ts(day, 9), sub_acc, ctl_acc, wage, "payroll", f"{names[i]} {r.victims[i]}"
                )
            else:  # wage in, fast out: most of it leaves within two days
                b.bank(r.ts(day, 9), sub_acc, acc, wage, "payroll", f"Lohn {m + 2}/2025")
                b.bank(
                    r.ts(day + 1, float(rng.uniform(8, 20))),
                    acc,
                    house_acc,
                    wage * float(rng.uniform(0.45, 0.6)),
                    "sepa",
                    "Miete",
                )
                b.bank(
                    r.ts(day + 1, 18), acc, ctl_acc, wage * float(rng.uniform(0.3, 0.4)), "p2p", ""
                )
            b.bank(
                r.ts(day + 3, 12),
                ctl_acc if i in pooled else acc,
                agency_acc,
                float(rng.uniform(150, 300)),
                "wire",
                "Vermittlungsgebuehr",
                to_country=r.source,
            )
        b.bank(
            r.ts(month_day + 29, 17), ctl_acc, exp_acc, float(rng.uniform(1500, 3000)), "p2p", ""
        )
        b.bank(
            r.ts(month_day + 29, 12),
            house_acc,
            ctl_acc,
            float(rng.uniform(2500, 4000)),
            "wire",
            "Gesellschafter",
        )
        b.bank(
            r.ts(month_day + 30, 15),
            ctl_acc,
            rec_acc,
            float(rng.uniform(1000, 2500)),
            "wire",
            "",
            to_country=r.source,
        )
    r.standard_assets(ctl)


def plant_forced_criminality(r: Ring) -> None:
    b, rng = r.b, r.rng
    rec, rec_acc = r.member("recruiter", r.source)
    tra, tra_acc = r.member("transporter", r.transit)
    exp, exp_acc = r.member("exploiter", r.destination)
    ctl, ctl_acc = r.member("controller", r.control, nationality=r.source)
    foreign = b.account(ctl, r.source, opened="2021-01-20")
    arrive = int(rng.integers(2, 12))
    mules = r.victim_accounts(
        int(rng.integers(4, 8)), str(rng.choice(["male", "female"])), arrive + 3
    )
    exchange = b.party("company", "CoinSwap OU", "AT", occupation="crypto exchange")
    exchange_acc = b.account(exchange, "AT", account_type="business")
    benefits = b.party("company", f"Benefits Office {r.destination}", r.destination)
    benefits_acc = b.account(benefits, r.destination, account_type="business")
    for acc, tags in (
        (ctl_acc, ["controller", "begging_cash_aggregation"]),
        (foreign, ["controller", "remittance_to_source"]),
        (exp_acc, ["exploiter"]),
        (rec_acc, ["recruiter"]),
        (tra_acc, ["transporter", "travel_multi_ticket"]),
    ):
        b.tag_account(acc, r.ring_id, r.scenario, "member", tags)
    for acc in mules:
        b.tag_account(acc, r.ring_id, r.scenario, "victim", ["forced_criminality_mule"])
    r.journey(
        tra_acc,
        ctl_acc,
        arrive,
        fare=300.0,
        purpose="",
        ticket_day=arrive - 1,
        ticket_hour=9,
        pay_day=arrive + 2,
        recruited=arrive - 15,
        exploited=arrive + 15,
    )
    cities = COUNTRIES[r.destination].cities
    for d in range(arrive + 5, DAYS):
        # forced begging: small cash deposits by several depositors into one account
        for _ in range(int(rng.poisson(1.5))):
            b.bank(
                r.ts(d, float(rng.uniform(18, 22))),
                None,
                ctl_acc,
                float(rng.uniform(40, 240)),
                "cash",
                "",
                str(rng.choice(cities)),
                r.destination,
                depositor=str(rng.choice(r.victims)),
            )
        # mules: scam payments from unrelated senders, forwarded within hours
        for acc in mules:
            if rng.random() < 0.3:
                sender = str(r.pop.account[r.pop.pick(rng, 1)[0]])
                amt = float(rng.uniform(250, 1900))
                b.bank(r.ts(d, float(rng.uniform(8, 16))), sender, acc, amt, "sepa", "Rechnung")
                dest = exchange_acc if rng.random() < 0.6 else foreign
                b.bank(
                    r.ts(d, float(rng.uniform(17, 22))),
                    acc,
                    dest,
                    amt * float(rng.uniform(0.85, 0.97)),
                    "crypto" if dest == exchange_acc else "wire",
                    "",
                    to_country="AT" if dest == exchange_acc else r.source,
                )
    for m, month_day in enumerate((0, 28, 59, 89)):
        for acc in mules:
            if month_day + 15 > arrive:
                b.bank(
                    r.ts(month_day + 15, 8),
                    benefits_acc,
                    acc,
                    502.0,
                    "payroll",
                    f"Leistung {m + 2}/2025",
                )
                b.bank(r.ts(month_day + 15, 15), acc, ctl_acc, 480.0, "p2p", "")
        b.bank(
            r.ts(month_day + 20, 11),
            ctl_acc,
            foreign,
            float(rng.uniform(2000, 4500)),
            "wire",
            "",
            to_country=r.source,
        )
        b.bank(
            r.ts(month_day + 22, 11), foreign, rec_acc, float(rng.uniform(500, 1500)), "wire", ""
        )
    r.standard_assets(ctl)


PLANTERS = {
    "sexual_exploitation": plant_sexual_exploitation,
    "forced_labour": plant_forced_labour,
    "forced_criminality": plant_forced_criminality,
}
