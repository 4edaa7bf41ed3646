"""Two synthetic JIT sides with a known overlap, for the deconfliction tests.

The Latin spellings of Cyrillic names are written out by hand as they appear in passports
and bank files (several systems: ICAO 2013, the older Russian and Ukrainian ones), NOT made
by the transliteration library fininvest uses, so the tests measure whether normalisation
bridges real spelling variants. Overlapping persons differ between the sides in one of
three ways: alphabet (Cyrillic on one side, a Latin spelling on the other), a one-letter typo
in one name, or token order / case / diacritics. Identifiers of overlapping persons are
written differently too (spaced lower-case IBAN, national phone format, e-mail case).
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from fininvest.normalise import iban_check_digits

# (Cyrillic, Latin spellings seen in documents)
CYR_GIVEN = [
    ("Юлия", ["Iuliia", "Yuliya", "Yulia"]), ("Наталья", ["Natalia", "Natalya"]),
    ("Олена", ["Olena"]), ("Андрій", ["Andrii", "Andriy"]), ("Сергей", ["Sergei", "Sergey"]),
    ("Дмитрий", ["Dmitrii", "Dmitriy", "Dmitry"]), ("Ольга", ["Olga"]),
    ("Татьяна", ["Tatiana", "Tatyana"]), ("Михаил", ["Mikhail"]), ("Иван", ["Ivan"]),
    ("Алексей", ["Aleksei", "Alexey", "Aleksey"]), ("Екатерина", ["Ekaterina", "Yekaterina"]),
    ("Анна", ["Anna"]), ("Мария", ["Mariia", "Mariya", "Maria"]), ("Виктор", ["Viktor"]),
    ("Николай", ["Nikolai", "Nikolay"]), ("Светлана", ["Svetlana"]), ("Ирина", ["Irina"]),
    ("Оксана", ["Oksana"]), ("Владимир", ["Vladimir"]), ("Петро", ["Petro"]),
    ("Богдан", ["Bohdan"]), ("Галина", ["Galina", "Halyna"]), ("Людмила", ["Liudmila", "Lyudmila"]),
    ("Игорь", ["Igor"]), ("Павел", ["Pavel"]), ("Роман", ["Roman"]), ("Вера", ["Vera"]),
    ("Георги", ["Georgi"]), ("Стоян", ["Stoyan", "Stoian"]), ("Йордан", ["Yordan", "Iordan"]),
    ("Христо", ["Khristo", "Hristo"]), ("Елена", ["Elena", "Yelena"]),
    ("Максим", ["Maksim", "Maxim"]),
]  # fmt: skip
CYR_SURNAME = [
    ("Шевченко", ["Shevchenko"]), ("Ковальчук", ["Kovalchuk"]), ("Иванов", ["Ivanov"]),
    ("Петров", ["Petrov"]), ("Смирнов", ["Smirnov"]), ("Кузнецов", ["Kuznetsov"]),
    ("Попов", ["Popov"]), ("Соколов", ["Sokolov"]), ("Лебедев", ["Lebedev"]),
    ("Козлов", ["Kozlov"]), ("Новиков", ["Novikov"]), ("Морозов", ["Morozov"]),
    ("Волков", ["Volkov"]), ("Зайцев", ["Zaitsev", "Zaytsev"]), ("Бондаренко", ["Bondarenko"]),
    ("Ткаченко", ["Tkachenko"]), ("Кравченко", ["Kravchenko"]), ("Олійник", ["Oliinyk", "Oliynyk"]),
    ("Мельник", ["Melnyk", "Melnik"]), ("Щербак", ["Shcherbak"]), ("Жуков", ["Zhukov"]),
    ("Яковлев", ["Iakovlev", "Yakovlev"]), ("Григорьев", ["Grigorev", "Grigoryev"]),
    ("Федоров", ["Fedorov"]), ("Савченко", ["Savchenko"]), ("Руденко", ["Rudenko"]),
    ("Марченко", ["Marchenko"]), ("Лисенко", ["Lysenko", "Lisenko"]), ("Гончар", ["Honchar"]),
    ("Димитров", ["Dimitrov"]), ("Георгиев", ["Georgiev"]), ("Стоянов", ["Stoyanov", "Stoianov"]),
    ("Христов", ["Khristov", "Hristov"]), ("Николов", ["Nikolov"]), ("Тодоров", ["Todorov"]),
    ("Чорновол", ["Chornovol"]), ("Юрченко", ["Iurchenko", "Yurchenko"]),
    ("Захарченко", ["Zakharchenko"]), ("Павленко", ["Pavlenko"]), ("Кириленко", ["Kyrylenko"]),
]  # fmt: skip
LAT_GIVEN = (
    "Maria Elena Ana Ioana Andreea Mihaela Cristina Alexandra Gabriela Daniela Sabine Petra "
    "Julia Laura Anna Sofia Eva Lucia Marta Katarzyna Agnieszka Magdalena Zsofia Eszter Reka "
    "Ion Andrei Mihai Alexandru Stefan Florin Adrian Bogdan Marius Vasile Gheorghe Constantin "
    "Jan Peter Thomas Michael Lukas Tobias Jonas Piotr Tomasz Krzysztof Laszlo Gabor Zoltan "
    "Marco Luca Giovanni Dimitris Nikos Georgios Kostas Mehmet Ahmet Emre Arben Besnik Driton"
).split()
LAT_SURNAME = (
    "Popescu Ionescu Popa Dumitru Stan Stoica Gheorghe Rusu Munteanu Matei Constantin Serban "
    "Moldovan Lungu Ceban Rotaru Ciobanu Sandu Balan Cojocaru Mueller Schmidt Schneider Fischer "
    "Weber Meyer Wagner Becker Schulz Hoffmann Koch Richter Klein Wolf Neumann Schwarz Zimmermann "
    "Nowak Kowalski Wisniewski Wojcik Kaminski Lewandowski Zielinski Szymanski Dabrowski Nagy "
    "Kovacs Toth Szabo Horvath Varga Kiss Molnar Nemeth Farkas Balogh Rossi Russo Ferrari "
    "Esposito Bianchi Romano Colombo Ricci Marino Greco Papadopoulos Pappas Georgiou Yilmaz "
    "Kaya Demir Sahin Celik Hoxha Krasniqi Gashi Berisha Shala Morina Janssen DeVries Bakker "
    "Visser Smit Mulder Bos Vos Peeters Maes Jacobs Mertens Willems Claes Goossens Wouters "
    "Dubois Laurent Lefebvre Moreau Garcia Martinez Lopez Sanchez Perez Gomez Fernandez Novak "
    "Horak Dvorak Cerny Prochazka Kucera Vesely Kral Nemec Marek Pokorny Svoboda Hajek"
).split()
NATIONALITIES_CYR = ["UA", "RU", "BG", "MD"]
NATIONALITIES_LAT = ["RO", "DE", "PL", "HU", "IT", "GR", "TR", "XK", "NL", "BE", "FR", "ES", "CZ"]


@dataclass
class Person:
    pid: str
    given: str
    surname: str
    born: date
    nationality: str
    cyr: tuple[str, str] | None = None  # Cyrillic given, surname

    @property
    def name(self) -> str:
        return f"{self.given} {self.surname}"


def _typo(rng: random.Random, word: str) -> str:
    """One-letter typo (substitution, deletion, insertion or transposition), not the first."""
    letters = "abcdefghijklmnoprstuvz"
    i = rng.randrange(1, len(word))
    op = rng.choice(["sub", "del", "ins", "swap"])
    if op == "swap" and len(word) > 2:
        i = rng.randrange(1, len(word) - 1)
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if op == "del":
        return word[:i] + word[i + 1 :]
    if op == "ins":
        return word[:i] + rng.choice(letters) + word[i:]
    return word[:i] + rng.choice([c for c in letters if c != word[i].lower()]) + word[i + 1 :]


def _person(rng: random.Random, pid: str) -> Person:
    born = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 46 * 365))
    if rng.random() < 0.35:
        (cg, lg), (cs, ls) = rng.choice(CYR_GIVEN), rng.choice(CYR_SURNAME)
        return Person(pid, rng.choice(lg), rng.choice(ls), born, rng.choice(NATIONALITIES_CYR),
                      (cg, cs))  # fmt: skip
    return Person(pid, rng.choice(LAT_GIVEN), rng.choice(LAT_SURNAME), born,
                  rng.choice(NATIONALITIES_LAT))  # fmt: skip


@dataclass
class Variant:
    """How an overlapping person is written on side B, and why."""

    name: str
    how: str


def variant(rng: random.Random, p: Person, k: int) -> Variant:
    if p.cyr is not None and k % 3 != 1:
        return Variant(f"{p.cyr[0]} {p.cyr[1]}", "cyrillic")
    if k % 3 == 1:
        if rng.random() < 0.5:
            return Variant(f"{_typo(rng, p.given)} {p.surname}", "typo")
        return Variant(f"{p.given} {_typo(rng, p.surname)}", "typo")
    return Variant(f"{p.surname.upper()} {p.given}", "order+case")


def make_people(seed: int, n_overlap: int, n_a: int, n_b: int) -> tuple[list, list, list]:  # type: ignore[type-arg]
    """(overlap [(person, variant)], only_a [person], only_b [person]); all distinct people."""
    rng = random.Random(seed)
    seen: set[tuple[str, str, date]] = set()

    def fresh(pid: str) -> Person:
        while True:
            p = _person(rng, pid)
            key = (p.given, p.surname, p.born)
            if key not in seen:
                seen.add(key)
                return p

    overlap = []
    for k in range(n_overlap):
        p = fresh(f"P-X{k:05d}")
        overlap.append((p, variant(rng, p, k)))
    only_a = [fresh(f"P-A{k:05d}") for k in range(n_a)]
    only_b = [fresh(f"P-B{k:05d}") for k in range(n_b)]
    return overlap, only_a, only_b


def iban(country: str, n: int) -> str:
    lengths = {"DE": 18, "RO": 20, "UA": 25, "BG": 18}
    bban = str(n).zfill(lengths[country])
    if country in ("RO", "BG"):
        bban = "BANK" + bban[4:]
    return country + iban_check_digits(country, bban) + bban


def spaced(value: str) -> str:
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))


def write_side(
    raw: Path,
    persons: list[tuple[str, str, Person]],  # (party id, name as written, person)
    accounts: list[tuple[str, str, str]],  # (account id, holder, iban as written)
    idents: list[tuple[str, str, str, str]],  # (owner, kind, value as written, country)
) -> None:
    raw.mkdir(parents=True, exist_ok=True)
    with open(raw / "kyc_customers.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["party_id", "kind", "name", "birthdate", "nationality"])
        for pid, name, p in persons:
            w.writerow([pid, "person", name, p.born.isoformat(), p.nationality])
    with open(raw / "kyc_accounts.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["account_id", "holder_id", "institution", "iban", "currency", "country"])
        for acc, holder, written in accounts:
            w.writerow([acc, holder, "Test Bank", written, "EUR", written[:2].upper()])
    with open(raw / "kyc_identifiers.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["owner_id", "owner_kind", "kind", "value", "country"])
        for owner, kind, value, country in idents:
            w.writerow([owner, "party", kind, value, country])
