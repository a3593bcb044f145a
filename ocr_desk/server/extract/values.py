"""Parse the values printed on receipts: amounts, currencies, dates and times.

Pure functions over strings; the receipt extractor decides which row holds what.
Amounts come back as :class:`~decimal.Decimal` (never floats), dates as ISO 8601.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

__all__ = [
    "DateMatch",
    "detect_currency",
    "find_amounts",
    "find_dates",
    "find_times",
    "month_first_for",
]

# 1,234.56 / 1.234,56 / 1234.56 / 12,30 ; an amount needs its two decimals.
_AMOUNT = re.compile(
    r"(?<![\d.,/:-])(?P<neg>-\s?)?"
    r"(?P<int>\d{1,3}(?:[,.' ]\d{3})+|\d+)\s?(?P<sep>[.,])\s?(?P<dec>\d{2})"
    r"(?![\d/:]|[.,]\d)(?P<trail>-)?"
)


def find_amounts(text: str) -> list[tuple[Decimal, int, int]]:
    """Every amount in ``text`` as (value, start, end), left to right."""
    found: list[tuple[Decimal, int, int]] = []
    for match in _AMOUNT.finditer(text):
        integer = re.sub(r"[,.' ]", "", match["int"])
        try:
            value = Decimal(f"{integer}.{match['dec']}")
        except InvalidOperation:
            continue
        if match["neg"] or match["trail"]:
            value = -value
        found.append((value, match.start(), match.end()))
    return found


_CURRENCY_CODES = {
    "USD", "EUR", "GBP", "MYR", "SGD", "AUD", "CAD", "NZD", "CHF", "JPY", "CNY",
    "INR", "IDR", "THB", "PHP", "HKD", "ZAR", "SEK", "NOK", "DKK", "PLN", "CZK",
    "HUF", "MXN", "BRL", "AED", "SAR", "KRW", "VND", "TRY",
}  # fmt: skip
_SYMBOLS = [
    (re.compile(r"\bRM\s?\d|\bRM\b|\(RM\)"), "MYR"),
    (re.compile(r"S\$"), "SGD"),
    (re.compile(r"A\$|AU\$"), "AUD"),
    (re.compile(r"C\$|CA\$"), "CAD"),
    (re.compile(r"HK\$"), "HKD"),
    (re.compile(r"€|\bEUR\b"), "EUR"),
    (re.compile(r"£"), "GBP"),
    (re.compile(r"₹|\bRs\.?\s?\d"), "INR"),
    (re.compile(r"¥|円"), "JPY"),
    (re.compile(r"\bRp\.?\s?\d"), "IDR"),
    (re.compile(r"฿"), "THB"),
    (re.compile(r"₱"), "PHP"),
    (re.compile(r"\bCHF\b|\bFr\.\s?\d"), "CHF"),
]
_DOLLAR_CURRENCIES = {"USD", "AUD", "CAD", "NZD", "SGD", "HKD"}


def detect_currency(text: str, *, default: str) -> tuple[str, float]:
    """The receipt's currency and how sure we are: codes, then symbols, then ``default``."""
    votes: dict[str, int] = {}
    for code in re.findall(r"\b[A-Z]{3}\b", text):
        if code in _CURRENCY_CODES:
            votes[code] = votes.get(code, 0) + 2
    for pattern, code in _SYMBOLS:
        hits = len(pattern.findall(text))
        if hits:
            votes[code] = votes.get(code, 0) + hits
    if "$" in text and not votes:
        code = default if default in _DOLLAR_CURRENCIES else "USD"
        return code, 0.8
    if votes:
        best = max(votes, key=lambda c: votes[c])
        return best, 0.95 if votes[best] >= 2 else 0.85
    return default, 0.4


def month_first_for(currency: str) -> bool:
    """Whether a numeric date like 03/04/2019 is most likely month-first (US style)."""
    return currency in {"USD", "PHP"}


_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
    "januari": 1, "februari": 2, "mac": 3, "mei": 5, "jun.": 6, "julai": 7, "ogos": 8,
    "okt": 10, "dis": 12, "mär": 3, "mrz": 3, "mai": 5, "okt.": 10, "dez": 12,
}  # fmt: skip
_MONTH_RE = r"(?P<mon>[A-Za-zä]{3,9})\.?"
_NUMERIC = re.compile(
    r"(?<![\d.])(?P<a>\d{1,4})\s?(?P<s>[/.\-])\s?(?P<b>\d{1,2})\s?(?P=s)\s?"
    # a year glued to the time that follows it ("10-03-201823:03:06") still counts
    r"(?P<c>\d{4}(?=\d{1,2}[:.]\d{2})|\d{2,4}(?!\d))"
)
_COMPACT = re.compile(r"(?<![\d.,])(?P<d>\d{2})(?P<m>\d{2})\s?/?\s?(?P<y>(?:19|20)\d{2})(?![\d.,])")
_DAY_MONTH_YEAR = re.compile(
    r"(?<!\d)(?P<d>\d{1,2})(?:st|nd|rd|th)?[\s\-/.,]*"
    + _MONTH_RE
    + r"[\s\-/.,']*(?P<y>\d{2,4})(?!\d)"
)
_MONTH_DAY_YEAR = re.compile(
    r"\b" + _MONTH_RE + r"[\s\-/.]*(?P<d>\d{1,2})(?:st|nd|rd|th)?,?[\s\-/.']*(?P<y>\d{4})(?!\d)"
)


@dataclass(frozen=True, slots=True)
class DateMatch:
    iso: str
    start: int
    end: int
    certain: bool
    """False when day and month could be swapped (both <= 12 and different)."""
    compact: bool = False
    """Read from digits with no separators (``27032018``): a last resort."""


def _year(raw: str) -> int | None:
    year = int(raw)
    if len(raw) == 2:
        year += 2000 if year < 70 else 1900
    elif len(raw) != 4:
        return None
    return year if 1970 <= year <= 2099 else None


def _make(year: int | None, month: int, day: int) -> str | None:
    if year is None:
        return None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def find_dates(text: str, *, month_first: bool = False) -> list[DateMatch]:
    """Every plausible calendar date in ``text``, left to right, as ISO 8601."""
    found: list[DateMatch] = []
    for match in _NUMERIC.finditer(text):
        a, b, c = match["a"], match["b"], match["c"]
        if len(a) == 4:  # 2018-12-25
            iso = _make(_year(a), int(b), int(c))
            if iso:
                found.append(DateMatch(iso, match.start(), match.end(), True))
            continue
        if len(a) > 2 or len(c) == 3:
            continue
        year = _year(c)
        first, second = int(a), int(b)
        day_first = _make(year, second, first)
        month_first_iso = _make(year, first, second)
        if day_first and month_first_iso and day_first != month_first_iso:
            iso = month_first_iso if month_first else day_first
            found.append(DateMatch(iso, match.start(), match.end(), False))
        elif day_first or month_first_iso:
            iso = day_first or month_first_iso or ""
            found.append(DateMatch(iso, match.start(), match.end(), True))
    for pattern in (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR):
        for match in pattern.finditer(text):
            month = _MONTHS.get(match["mon"].lower()) or _MONTHS.get(match["mon"].lower()[:3])
            if month is None:
                continue
            iso = _make(_year(match["y"]), month, int(match["d"]))
            if iso and not any(f.start <= match.start() < f.end for f in found):
                found.append(DateMatch(iso, match.start(), match.end(), True))
    if not found:
        for match in _COMPACT.finditer(text):
            iso = _make(_year(match["y"]), int(match["m"]), int(match["d"]))
            if iso:
                found.append(DateMatch(iso, match.start(), match.end(), False, compact=True))
    found.sort(key=lambda f: f.start)
    return found


_TIME = re.compile(
    r"(?<![\d.:/])(?P<h>[01]?\d|2[0-3])\s?[:.hH]\s?(?P<m>[0-5]\d)(?:\s?:\s?(?P<s>[0-5]\d))?"
    r"(?:\s?(?P<ampm>[AaPp])\.?\s?[Mm]\.?)?(?![\d/])"
)


def find_times(text: str) -> list[tuple[str, int, int]]:
    """Every time of day in ``text`` as (HH:MM[:SS] 24-hour, start, end)."""
    found = []
    for match in _TIME.finditer(text):
        hour = int(match["h"])
        sep = match.group(0)
        if "." in sep and not match["ampm"] and not match["s"]:
            continue  # 12.30 is an amount far more often than a time
        if match["ampm"]:
            if not 1 <= hour <= 12:
                continue
            hour = hour % 12 + (12 if match["ampm"].lower() == "p" else 0)
        value = f"{hour:02d}:{match['m']}" + (f":{match['s']}" if match["s"] else "")
        found.append((value, match.start(), match.end()))
    return found
