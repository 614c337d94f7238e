"""Countries as a controlled list: ISO 3166-1 alpha-2 codes from `pycountry`, with Kosovo
as XK (a user-assigned code the ISO list leaves out, used by the EU and the OSCE).

Locations store the code; pages show the readable name (`country_name`). `code_for`
reads what people type or what older data holds ("Macedonia", "North Macedonia", "the
former Yugoslav Republic of Macedonia", "MKD", "mk") and answers the code, or None.
"""

from __future__ import annotations

import unicodedata
from functools import cache

import pycountry

KOSOVO = ("XK", "Kosovo")

# Names the ISO list does not carry (former, short or local names), read as the code.
ALIASES = {
    "macedonia": "MK",
    "republic of macedonia": "MK",
    "the former yugoslav republic of macedonia": "MK",
    "former yugoslav republic of macedonia": "MK",
    "fyr macedonia": "MK",
    "fyrom": "MK",
    "fyr of macedonia": "MK",
    "makedonija": "MK",
    "kosovo*": "XK",
    "kosova": "XK",
    "kosovo/kosova": "XK",
    "kosovo under unscr 1244": "XK",
    "unmik": "XK",
    "xkx": "XK",
    "bosnia": "BA",
    "bosnia-herzegovina": "BA",
    "bosnia & herzegovina": "BA",
    "bih": "BA",
    "srbija": "RS",
    "crna gora": "ME",
    "shqiperia": "AL",
    "shqiperi": "AL",
    "hrvatska": "HR",
    "turkey": "TR",
    "turkiye": "TR",
    "moldova": "MD",
    "russia": "RU",
    "czech republic": "CZ",
    "united kingdom": "GB",
    "uk": "GB",
    "great britain": "GB",
    "united states": "US",
    "usa": "US",
    "united states of america": "US",
    "syria": "SY",
    "iran": "IR",
}


def _key(text: str) -> str:
    """Lower case, without diacritics and surplus spaces: "Türkiye " -> "turkiye"."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.casefold().split())


@cache
def countries() -> tuple[tuple[str, str], ...]:
    """(code, readable name) for every country, by name: the choices of a select."""
    pairs = [(c.alpha_2, getattr(c, "common_name", None) or c.name) for c in pycountry.countries]
    pairs.append(KOSOVO)
    return tuple(sorted(pairs, key=lambda pair: _key(pair[1])))


@cache
def _names() -> dict[str, str]:
    return dict(countries())


@cache
def _lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for c in pycountry.countries:
        for value in (
            c.alpha_2,
            c.alpha_3,
            c.name,
            getattr(c, "common_name", None),
            getattr(c, "official_name", None),
        ):
            if value:
                table[_key(value)] = c.alpha_2
    table[_key(KOSOVO[0])] = KOSOVO[0]
    table[_key(KOSOVO[1])] = KOSOVO[0]
    table.update(ALIASES)
    return table


def code_for(text: str | None) -> str | None:
    """The ISO 3166-1 alpha-2 code (XK for Kosovo) of a code or name, or None if unknown."""
    if not text or not text.strip():
        return None
    key = _key(text)
    return _lookup().get(key) or _lookup().get(key.removeprefix("the ").strip())


def is_code(value: str | None) -> bool:
    return bool(value) and value in _names()


def country_name(value: str | None) -> str:
    """The readable name of a code ("MK" -> "North Macedonia"); other text as it is, so a
    country the migration could not read still shows what was typed."""
    if not value:
        return ""
    return _names().get(value, value)
