"""The country list: ISO 3166-1 alpha-2 (from django-countries) plus XK for Kosovo*.

The Council of Europe writes Kosovo with an asterisk and this footnote; the
record keeps both so a partner's dashboard can show them as the source does.

Codes are stored and answered in upper case and accepted in any case, in a
body (people.serializers.CountryCodesField) as in a filter
(people.filters.CountryFilter): both read a code with `normalise_code`.
"""

from django.utils import translation
from django_countries.data import COUNTRIES

KOSOVO_CODE = "XK"
KOSOVO_NAME = "Kosovo*"
KOSOVO_FOOTNOTE = (
    "*This designation is without prejudice to positions on status, and is in line "
    "with UNSCR 1244/1999 and the ICJ Opinion on the Kosovo Declaration of Independence."
)

COUNTRY_CODES: tuple[str, ...] = tuple(sorted([*COUNTRIES, KOSOVO_CODE]))


def country_names() -> dict[str, str]:
    """English names by code, as stored in the Country table."""
    with translation.override("en"):
        names = {code: str(name) for code, name in COUNTRIES.items()}
    names[KOSOVO_CODE] = KOSOVO_NAME
    return names


def normalise_code(code: str) -> str:
    """A country code as stored: `" rs"` → `"RS"`."""
    return code.strip().upper()
