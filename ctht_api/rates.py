"""Rates such as `"120/min"`: the one parser, shared by the settings check and the throttle.

Pure Python, importing nothing from Django, so that `settings.py` can call it to
refuse a malformed `RATE_LIMIT_*` at start-up while `throttling.py` reads the
same budgets per request: one definition of the format, not a regex in one
place and a parser in the other.
"""

PERIODS = {
    **dict.fromkeys(("s", "sec", "second"), 1),
    **dict.fromkeys(("m", "min", "minute"), 60),
    **dict.fromkeys(("h", "hour"), 3600),
    **dict.fromkeys(("d", "day"), 86400),
}


def parse_rate(rate: str | None) -> tuple[int, int] | None:
    """`"120/min"` as `(120, 60)` (requests, seconds); `None`, `""` or `"off"` as no limit.

    Raises `ValueError` for anything else.
    """
    if rate is None or rate.strip().lower() in {"", "off"}:
        return None
    number, _, period = rate.strip().partition("/")
    seconds = PERIODS.get(period.strip().lower())
    if not (number.strip().isascii() and number.strip().isdigit()) or seconds is None:
        raise ValueError(f"{rate!r} is not a rate such as '120/min' (or 'off')")
    return int(number), seconds
