"""The synthetic world: countries, cities, names, currencies, merchants and identifier makers.

Countries are chosen to mirror the routes described in the seed documents and Europol (2015):
source countries in South-East/Eastern Europe, West Africa and South-East Asia; destination
countries in Western Europe; transit countries between them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fininvest.normalise import iban_check_digits


@dataclass(frozen=True)
class Country:
    code: str
    currency: str
    tz: str
    phone_cc: str
    mobile_prefixes: tuple[str, ...]
    mobile_len: int  # national significant number length
    cities: tuple[str, ...]
    role: str  # destination | source | transit


COUNTRIES: dict[str, Country] = {c.code: c for c in (
    Country("DE", "EUR", "Europe/Berlin", "49", ("151", "160", "170", "176"), 11,
            ("Berlin", "Hamburg", "Munich", "Cologne", "Frankfurt", "Dortmund", "Leipzig"), "destination"),  # noqa: E501
    Country("NL", "EUR", "Europe/Amsterdam", "31", ("6",), 9,
            ("Amsterdam", "Rotterdam", "The Hague", "Utrecht", "Eindhoven"), "destination"),
    Country("BE", "EUR", "Europe/Brussels", "32", ("47", "48", "49"), 9,
            ("Brussels", "Antwerp", "Ghent", "Liege"), "destination"),
    Country("AT", "EUR", "Europe/Vienna", "43", ("664", "676", "699"), 10,
            ("Vienna", "Graz", "Linz", "Salzburg"), "destination"),
    Country("FR", "EUR", "Europe/Paris", "33", ("6", "7"), 9,
            ("Paris", "Lyon", "Marseille", "Lille", "Strasbourg"), "destination"),
    Country("ES", "EUR", "Europe/Madrid", "34", ("6",), 9,
            ("Madrid", "Barcelona", "Valencia", "Malaga"), "destination"),
    Country("RO", "RON", "Europe/Bucharest", "40", ("72", "74", "75"), 9,
            ("Bucharest", "Constanta", "Iasi", "Craiova", "Timisoara"), "source"),
    Country("BG", "BGN", "Europe/Sofia", "359", ("87", "88", "89"), 9,
            ("Sofia", "Plovdiv", "Varna", "Sliven"), "source"),
    Country("MD", "MDL", "Europe/Chisinau", "373", ("68", "69", "78"), 8,
            ("Chisinau", "Balti"), "source"),
    Country("NG", "NGN", "Africa/Lagos", "234", ("803", "806", "813"), 10,
            ("Lagos", "Benin City", "Abuja"), "source"),
    Country("VN", "VND", "Asia/Ho_Chi_Minh", "84", ("90", "93", "98"), 9,
            ("Hanoi", "Nghe An", "Ho Chi Minh City"), "source"),
    Country("HU", "HUF", "Europe/Budapest", "36", ("20", "30", "70"), 9,
            ("Budapest", "Gyor", "Szeged"), "transit"),
    Country("PL", "PLN", "Europe/Warsaw", "48", ("50", "60", "79"), 9,
            ("Warsaw", "Krakow", "Wroclaw", "Poznan"), "source"),
)}  # fmt: skip

DESTINATIONS = tuple(c for c, v in COUNTRIES.items() if v.role == "destination")
SOURCES = tuple(c for c, v in COUNTRIES.items() if v.role == "source")

#: Approximate 2025 value of one unit in EUR; the FX file random-walks around these.
EUR_RATES = {
    "EUR": 1.0, "RON": 0.201, "BGN": 0.5113, "MDL": 0.0527, "NGN": 0.00060, "VND": 0.0000365,
    "HUF": 0.00251, "PLN": 0.234, "USD": 0.925, "GBP": 1.185,
}  # fmt: skip

FIRST_NAMES = {
    "DE": (("Lukas", "Jonas", "Felix", "Paul", "Maximilian", "Tim", "Jan", "Stefan", "Thomas"),
           ("Anna", "Lea", "Laura", "Julia", "Sarah", "Katrin", "Sabine", "Lena", "Marie")),
    "RO": (("Andrei", "Ionut", "Mihai", "Vasile", "Florin", "Alexandru", "Gheorghe", "Marius"),
           ("Maria", "Elena", "Ioana", "Andreea", "Alexandra", "Bianca", "Roxana", "Denisa")),
    "BG": (("Georgi", "Ivan", "Dimitar", "Nikolay", "Petar", "Stoyan"),
           ("Maria", "Ivana", "Elena", "Desislava", "Petya", "Gergana")),
    "NG": (("Chinedu", "Osaro", "Emeka", "Efosa", "Tunde", "Ikenna"),
           ("Blessing", "Joy", "Osas", "Favour", "Precious", "Gift")),
    "VN": (("Minh", "Duc", "Hung", "Tuan", "Quang"), ("Lan", "Huong", "Mai", "Thao", "Linh")),
    "NL": (("Daan", "Sem", "Bram", "Lars", "Ruben"), ("Emma", "Sophie", "Julia", "Anouk", "Fleur")),
    "PL": (("Piotr", "Tomasz", "Krzysztof", "Pawel"),
           ("Anna", "Katarzyna", "Magdalena", "Agnieszka")),
    "MD": (("Ion", "Victor", "Sergiu", "Vadim"), ("Natalia", "Olga", "Cristina", "Tatiana")),
}  # fmt: skip
LAST_NAMES = {
    "DE": ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann"),  # noqa: E501
    "RO": ("Popescu", "Ionescu", "Popa", "Dumitru", "Stan", "Stoica", "Gheorghe", "Munteanu"),
    "BG": ("Ivanov", "Georgiev", "Dimitrov", "Petrov", "Nikolov", "Stoyanov"),
    "NG": ("Okafor", "Osagie", "Eze", "Adeyemi", "Igbinedion", "Obi"),
    "VN": ("Nguyen", "Tran", "Le", "Pham", "Hoang"),
    "NL": ("de Jong", "Jansen", "de Vries", "van Dijk", "Bakker"),
    "PL": ("Nowak", "Kowalski", "Wisniewski", "Wojcik"),
    "MD": ("Rusu", "Ceban", "Ciobanu", "Lungu"),
}  # fmt: skip


def names_for(country: str) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], tuple[str, ...]]:
    key = country if country in FIRST_NAMES else "DE"
    return FIRST_NAMES[key], LAST_NAMES[key]


def person_name(rng: np.random.Generator, country: str, sex: str) -> str:
    (males, females), lasts = names_for(country)
    firsts = males if sex == "male" else females
    # rng.choice on a tuple, without its per-call array conversion: the same draws
    return f"{firsts[int(rng.integers(len(firsts)))]} {lasts[int(rng.integers(len(lasts)))]}"


def make_iban(country: str, serial: int) -> str:
    """A valid IBAN (checksum and registered length) for a synthetic account number."""
    from fininvest.normalise import iban_lengths

    length = iban_lengths().get(country, 22)
    if country in ("RO", "BG", "MD", "HU", "PL", "NL"):
        bank = {"RO": "BTRL", "BG": "UNCR", "MD": "AGRN", "HU": "", "PL": "", "NL": "INGB"}[country]
    else:
        bank = ""
    digits_needed = length - 4 - len(bank)
    bban = bank + str(serial).zfill(digits_needed)[-digits_needed:]
    return country + iban_check_digits(country, bban) + bban


def make_phone(country: str, serial: int, national_style: bool = False) -> str:
    """A possible mobile number; E.164, or national style (leading 0) for the KYC export."""
    c = COUNTRIES[country]
    prefix = c.mobile_prefixes[serial % len(c.mobile_prefixes)]
    rest = c.mobile_len - len(prefix)
    number = prefix + str(serial * 7919 % 10**rest).zfill(rest)
    if national_style and country in ("DE", "NL", "AT", "FR", "BE"):
        return "0" + number[:3] + " " + number[3:]
    return f"+{c.phone_cc} {number}"


#: Merchant catalogue: (mcc, label, typical amount mean, sd) — MCCs checked against the Visa
#: Merchant Data Standards Manual (see shared research, indicators.md §2).
MERCHANT_TYPES = {
    "grocery": (5411, "Supermarket", 38.0, 25.0),
    "restaurant": (5812, "Restaurant", 32.0, 18.0),
    "fastfood": (5814, "Fast food", 11.0, 5.0),
    "fuel": (5541, "Fuel station", 55.0, 20.0),
    "pharmacy": (5912, "Pharmacy", 18.0, 12.0),
    "clothing": (5621, "Fashion", 60.0, 40.0),
    "cosmetics": (5977, "Cosmetics", 22.0, 12.0),
    "telecom": (4814, "Mobile top-up", 15.0, 5.0),
    "hotel": (7011, "Hotel", 95.0, 40.0),
    "airline": (4511, "Airline", 180.0, 90.0),
    "bus": (4131, "Coach lines", 65.0, 25.0),
    "rideshare": (4121, "Ride-share", 17.0, 9.0),
    "dating": (7273, "Dating service", 29.0, 10.0),
    "ads": (7311, "Online classifieds", 24.0, 12.0),
    "adult_web": (5967, "Adult content", 19.0, 9.0),
    "massage": (7297, "Massage studio", 70.0, 25.0),
    "nails": (7230, "Nail salon", 35.0, 15.0),
    "bar": (5813, "Bar", 45.0, 30.0),
    "msb": (4829, "Money transfer", 250.0, 120.0),
    "car_dealer": (5511, "Car dealer", 21000.0, 8000.0),
    "jewellery": (5944, "Jeweller", 900.0, 600.0),
    "crypto": (6051, "Crypto exchange", 300.0, 150.0),
    "employment_agency": (7361, "Employment agency", 400.0, 150.0),
    "prepaid": (6540, "Prepaid card load", 100.0, 50.0),
}
