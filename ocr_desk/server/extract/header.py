"""The merchant block at the top of a receipt: the business name (the address is in ``address``).

Receipts print the name first (often in a larger font, sometimes over two rows,
often with a legal suffix such as ``SDN BHD`` or ``LTD``), then the street address
over a few rows, then phone, tax registration and the document title. Stray rows
above it (a handwritten note, a store code) are passed over.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ocr_desk.server.extract.layout import Row
from ocr_desk.server.extract.patterns import (
    ADDRESS_HINT,
    COMPANY_HINT,
    COMPANY_SUFFIX,
    CONTACT,
    DATE_LABEL,
    DOC_TITLE,
    REGISTRATION,
    TOTAL,
)
from ocr_desk.server.extract.values import find_amounts, find_dates, find_times
from ocr_desk.server.extract.words import NAME_WORDS, PLACE_WORDS, place_only, repair_words

__all__ = ["Found", "clean", "clean_name", "find_merchant", "is_label", "strip_registration"]

SEARCH_ROWS = 10
LARGE_TYPE = 1.1
"""A name row this many times the page's median row height is printed in large type..."""
SAME_TYPE = 0.9
"""...and a row under it at least this fraction of its height continues the name."""


@dataclass(frozen=True, slots=True)
class Found:
    value: str
    confidence: float
    first_row: int
    last_row: int


def clean(text: str) -> str:
    """Printable text: compatibility forms folded (full-width brackets), spaces collapsed."""
    text = unicodedata.normalize("NFKC", text)
    # Printed names and addresses set brackets off with spaces: "MOTOR (SUNGAI RENGIT) SDN".
    text = re.sub(r"(?<=[\w.])\((?=\w)", " (", text)
    text = re.sub(r"(?<=\w)\)(?=\w)", ") ", text)
    return re.sub(r"\s+", " ", text).strip(" |")


def clean_name(text: str) -> str:
    """A business name without bullets, stray marks and a dangling separator."""
    text = clean(text.replace("_", " "))  # an underscore is never printed in a name
    text = re.sub(r"(?<=\w) &(?=[A-Za-z]{2})", " & ", text)  # "STATIONERY &BOOKS"
    text = re.sub(r"(?<=\))\.(?=\s)", "", text)  # "(M). SDN BHD": a speck after a bracket
    text = re.sub(r"^[^\w(]+", "", text)  # bullets and stars before a name
    # Legal suffixes as printed, whatever the OCR made of them ("SON BHD", "BHHD").
    text = re.sub(r"(?i)\bS[O0]N(?=\.?\s?BH+D\b)", "SDN", text)
    text = re.sub(r"(?i)(?<=\w)-(?=SDN\b)", " ", text)
    text = re.sub(r"(?i)\bBHH+D\b", "BHD", text)
    # A full stop runs into the next word only on OCR: "SDN.BHD." is printed "SDN. BHD.".
    text = re.sub(r"(?<=[A-Za-z]{2}\.)(?=[A-Za-z]{2,})(?!(?i:com|net|org|my)\b)", " ", text)
    text = re.sub(r"(?<=\b[A-Za-z]\.)(?=[A-Za-z]{3,})(?!(?i:com|net|org|my)\b)", " ", text)
    text = re.sub(r"[^\w.)\]]+$", "", text)
    return text.strip(" :;|_-")


def strip_registration(text: str) -> str:
    """``text`` without company registration numbers ("(123456-K)")."""
    return clean(REGISTRATION.sub(" ", text))


_LABEL = re.compile(r"^\s*(?!no\b)[A-Za-z][A-Za-z .\-]{1,24}(?:no\.?|#)?\s*:", re.IGNORECASE)


def is_label(text: str) -> re.Match[str] | None:
    """A leading "Label:" ("Document No :", "Cashier:"), not "NO: 28" of an address."""
    return _LABEL.match(text)


_OWNER = re.compile(r"^\s*[A-Za-z ]{3,20}\s*:\s*")
_STREET_START = re.compile(
    r"^\W*(?:(?:no|lot|unit)\b\.?\s*)?[A-Z]{0,2}\d[\w/-]*\s*[,.]?\s*"
    r"(?:jalan|jln|jl|lorong|lrg|persiaran|lebuh|rue|via|calle|avenida)\b"
    r"|^\W*\d+[A-Za-z]?\s+(?:[A-Za-z.']+\s+){1,3}(?:street|st|road|rd|avenue|ave|lane|"
    r"blvd|boulevard|drive|dr|way|highway|hwy|court|ct|place|pl)\b"
    r"|^\s*\d{5}\s+[A-Za-z]{3,}(?:\s+[A-Za-z]+)*\W*$",
    re.IGNORECASE,
)
"""A row that starts a street address ("K3-113, JL SULTAN", "12 Main Street") or names
a postcode and town ("80300 JOHOR BAHRU"): the business name was not read above it."""


def _dangling(name: str) -> bool:
    """A name that goes on in the next row: ends with "&", "-", "," or an open bracket."""
    stripped = name.rstrip()
    return stripped.endswith(("&", "-", ",", " AND", " and")) or stripped.count(
        "("
    ) > stripped.count(")")


def _name_words(text: str) -> int:
    """Words of a name, leaving out initials and "CO." / "(M)" style tokens."""
    return sum(1 for word in text.split() if not re.fullmatch(r"\(?\w\)?\.?|co\.?", word, re.I))


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def _starts_address(text: str) -> bool:
    """A street or postcode row that names no business ("88 Street Food" does)."""
    return bool(
        _STREET_START.search(text)
        and not COMPANY_SUFFIX.search(text)
        and not COMPANY_HINT.search(text)
    )


def _is_name_like(text: str) -> bool:
    stripped = strip_registration(text)
    if _letters(stripped) < 3 or DOC_TITLE.match(stripped) or place_only(stripped):
        return False  # a region alone ("JOHOR") ends an address
    if _starts_address(stripped):
        return False
    if CONTACT.search(stripped) or find_dates(stripped) or find_times(stripped):
        return False
    if TOTAL.search(stripped) or DATE_LABEL.search(stripped):
        return False
    return not (find_amounts(stripped) and not ADDRESS_HINT.search(stripped))


def _row_score(rows: list[Row], texts: list[str], index: int, median_height: float) -> float:
    text = strip_registration(texts[index])
    letters = _letters(text)
    score = 1.0 - index * 0.15
    if COMPANY_SUFFIX.search(text):
        score += 0.8
    elif COMPANY_HINT.search(text):
        score += 0.1
    if ADDRESS_HINT.search(text) and not COMPANY_SUFFIX.search(text):
        score -= 0.7
    if letters and sum(ch.islower() for ch in text) == letters:
        score -= 0.8  # all lower case: a note written on the receipt, not the print
    elif sum(ch.isupper() for ch in text) >= letters * 0.8:
        score += 0.15
    if letters < len(text.replace(" ", "")) * 0.5:
        score -= 0.5
    if any(CONTACT.search(t) for t in texts[:index]):
        score -= 0.8  # past the phone/tax-id rows: a second name (owner, branch)
    ratio = rows[index].height / max(median_height, 1.0)
    score += max(-0.3, min(ratio - 1.0, 1.0)) * 0.3
    return score


def find_merchant(rows: list[Row]) -> Found | None:
    """The business name: the most name-like of the first rows, joined with its other half."""
    texts = [row.text for row in rows]
    heights = sorted(row.height for row in rows)
    median_height = heights[len(heights) // 2] if heights else 1.0
    best: tuple[float, int] | None = None
    for index in range(min(SEARCH_ROWS, len(rows))):
        if best is None and _starts_address(strip_registration(texts[index])):
            return None  # the address comes first: the name was not read (or not printed)
        if not _is_name_like(texts[index]):
            continue
        score = _row_score(rows, texts, index, median_height)
        if best is None or score > best[0]:
            best = (score, index)
    if best is None:
        return None
    score, first = best
    last = first
    name = strip_registration(texts[first])
    # "POPULAR BOOK" / "CO. (M) SDN BHD": a row that is mostly a legal suffix completes
    # the row above it.
    suffix = COMPANY_SUFFIX.search(name)
    owner = _OWNER.match(name)
    if owner is not None and suffix is not None and suffix.start() > owner.end():
        name = name[owner.end() :]  # "Owned by: X SDN BHD" names the company
        suffix = COMPANY_SUFFIX.search(name)

    def joins_above(index: int) -> bool:
        above = texts[index]
        return (
            _is_name_like(above)
            and not COMPANY_SUFFIX.search(above)
            and not ADDRESS_HINT.search(above)
            and _letters(above) >= 4
            and sum(ch.islower() for ch in above) != _letters(above)
        )

    if (
        suffix is not None
        and first > 0
        and (_name_words(name[: suffix.start()]) <= 1 or name.count(")") > name.count("("))
        and joins_above(first - 1)
    ):
        first -= 1
        name = strip_registration(texts[first]) + " " + name
        # "AIK HUAT HARDWARE" / "ENTERPRISE (SETIA" / "ALAM) SDN BHD": an open bracket
        # above still belongs to the name, and so does the row above it.
        if _dangling(strip_registration(texts[first])) and first > 0 and joins_above(first - 1):
            first -= 1
            name = strip_registration(texts[first]) + " " + name
    # "HOME MASTER HARDWARE &" / "ELECTRICAL"; "AIK HUAT HARDWARE" / "ENTERPRISE (SETIA" /
    # "ALAM) SDN BHD": a name left open, or whose legal suffix follows within two rows.
    elif COMPANY_SUFFIX.search(name) is None:
        ahead: list[str] = []
        for index in range(last + 1, min(last + 3, len(rows))):
            following = clean_name(strip_registration(texts[index]))
            if not _is_name_like(texts[index]) or ADDRESS_HINT.search(following):
                break
            ahead.append(following)
            has_suffix = COMPANY_SUFFIX.search(following) is not None
            if has_suffix and len(following.split()) > 4:
                break
            # "RESTAURANT JIAWEI" / "JIAWEI HOUSE": the next row in the same large type.
            same_type = (
                index == last + 1
                and rows[first].height >= LARGE_TYPE * median_height
                and rows[index].height >= SAME_TYPE * rows[last].height
            )
            if has_suffix or _dangling(name) or same_type:
                last = index
                name = " ".join([name, *ahead])
                ahead = []
                if has_suffix or not _dangling(name):
                    break
    confidence = max(0.2, min(0.95, 0.45 + score * 0.3))
    confidence *= sum(rows[i].confidence for i in range(first, last + 1)) / (last - first + 1)
    value = repair_words(clean_name(name), NAME_WORDS | PLACE_WORDS)
    return Found(value=value, confidence=confidence, first_row=first, last_row=last)
