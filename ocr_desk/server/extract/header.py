"""The merchant block at the top of a receipt: the business name and its address.

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

__all__ = ["Found", "find_address", "find_merchant"]

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


def _strip_registration(text: str) -> str:
    return clean(REGISTRATION.sub(" ", text))


_LABEL = re.compile(r"^\s*(?!no\b)[A-Za-z][A-Za-z .\-]{1,24}(?:no\.?|#)?\s*:", re.IGNORECASE)
_OWNER = re.compile(r"^\s*[A-Za-z ]{3,20}\s*:\s*")
_STREET_START = re.compile(
    r"^\W*(?:(?:no|lot|unit)\b\.?\s*)?[A-Z]{0,2}\d[\w/-]*\s*[,.]?\s*"
    r"(?:jalan|jln|jl|lorong|lrg|persiaran|lebuh|street|st|road|rd|avenue|ave|lane|"
    r"blvd|boulevard|drive|highway|hwy|strasse|straße|rue|via|calle)\b"
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


def _is_name_like(text: str) -> bool:
    stripped = _strip_registration(text)
    if _letters(stripped) < 3 or DOC_TITLE.match(stripped) or place_only(stripped):
        return False  # a region alone ("JOHOR") ends an address
    if _STREET_START.search(stripped) and not COMPANY_SUFFIX.search(stripped):
        return False
    if CONTACT.search(stripped) or find_dates(stripped) or find_times(stripped):
        return False
    if TOTAL.search(stripped) or DATE_LABEL.search(stripped):
        return False
    return not (find_amounts(stripped) and not ADDRESS_HINT.search(stripped))


def _row_score(rows: list[Row], texts: list[str], index: int, median_height: float) -> float:
    text = _strip_registration(texts[index])
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
        if best is None and _STREET_START.search(_strip_registration(texts[index])):
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
    name = _strip_registration(texts[first])
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
        name = _strip_registration(texts[first]) + " " + name
        # "AIK HUAT HARDWARE" / "ENTERPRISE (SETIA" / "ALAM) SDN BHD": an open bracket
        # above still belongs to the name, and so does the row above it.
        if _dangling(_strip_registration(texts[first])) and first > 0 and joins_above(first - 1):
            first -= 1
            name = _strip_registration(texts[first]) + " " + name
    # "HOME MASTER HARDWARE &" / "ELECTRICAL"; "AIK HUAT HARDWARE" / "ENTERPRISE (SETIA" /
    # "ALAM) SDN BHD": a name left open, or whose legal suffix follows within two rows.
    elif COMPANY_SUFFIX.search(name) is None:
        ahead: list[str] = []
        for index in range(last + 1, min(last + 3, len(rows))):
            following = clean_name(_strip_registration(texts[index]))
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


def _address_tidy(text: str) -> str:
    """An address as printed, undoing what OCR does to small thermal print.

    - a full stop after a whole word or a number, between address parts, is nearly
      always the comma that separates them ("TAMAN SENTOSA. JALAN KAPAR",
      "NO.32 & 33. JALAN SR 1/9. SEKSYEN 9"); a full stop read next to a comma, or a
      colon after a place name (labels are short: "NO: 28"), is a speck;
    - a postcode run into its town ("57000KL") and a road word run into the road's
      code ("JALANSS23/11") get their space back;
    - the road words themselves, when a letter was misread: ``10T``/``1.OT`` for LOT
      (first word only: "LOT 1851-A"), ``JAIAN`` for JALAN.
    """
    text = re.sub(r"(?<=[A-Za-z]{4})\. (?=[A-Za-z0-9])", ", ", text)
    text = re.sub(r"(?:(?<=\d)|(?<=\d[A-Za-z])|(?<=\d-[A-Za-z]))\. (?=[A-Za-z0-9])", ", ", text)
    text = re.sub(r"\s*(?:\.\s*,|,\s*\.)(?!\d)", ",", text)
    text = re.sub(r"(?<=[A-Za-z]{4}):(?=\s+[A-Za-z])", "", text)  # "BERJUNTAI: SELANGOR"
    text = re.sub(r"\b(\d{5})(?=[A-Za-z]{2,}\b)", r"\1 ", text)
    text = re.sub(r"(?i)\b(jalan|jln)(?=[a-z]{1,4}\s?\d)", r"\1 ", text)
    text = re.sub(r"^(?:[1Il]\.?[0O]|L0)T(?=\s+\w*\d)", "LOT", text)
    return re.sub(
        r"(?i)\bJ[A4][Il1][A4]N\b",
        lambda m: "JALAN" if m.group(0).isupper() else "Jalan",
        text,
    )


COUNTRY_END = re.compile(
    r"\b(?:malaysia|singapore|indonesia|thailand|philippines|vietnam|brunei|india|china|"
    r"hong\s*kong|taiwan|japan|korea|australia|new\s*zealand|usa|u\.s\.a\.?|united\s*states|"
    r"canada|uk|united\s*kingdom|ireland|germany|deutschland|france|spain|espa[nñ]a|italy|"
    r"italia|netherlands|belgium|switzerland|austria|portugal)\W*$",
    re.IGNORECASE,
)
"""A row ending with a country name ends a postal address."""


BLOCK_END = re.compile(
    r"^\W*(?:(?:shopping|opening|business|operating|office|trading)\s*hours?|hours?\b|"
    r"open(?:ing)?\b|daily\b|closed\b|"
    r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?\s*(?:-|to|–|&)\s*(?:mon|tue|wed|thu|fri|sat|sun)|"
    r"receipt|order\b|invoice|inv\b|table\b|counter\b|cashier|member|terminal|pos\b|"
    r"server\b|staff\b|waiter|operator|welcome|thank|selamat|terima\s*kasih|guest\b)",
    re.IGNORECASE,
)
"""Rows that follow an address without a phone row between: opening hours, the
receipt's own number, table or cashier, a greeting."""

TOWN_LINE = re.compile(r"\b\d{5}\s*,?\s+[A-Za-z]{2,}")
"""A postcode followed by its town ("41200 KLANG"): the address's last row, bar a region."""


def find_address(rows: list[Row], merchant: Found | None) -> Found | None:
    """The street address: the address-like rows right below the name."""
    texts = [row.text for row in rows]
    start = 0 if merchant is None else merchant.last_row + 1
    parts: list[str] = []
    used: list[int] = []
    skipped = 0
    town_done = False
    for index in range(start, min(len(rows), start + 8)):
        text = clean(texts[index])
        reg_free = _strip_registration(text)
        if not reg_free or _letters(reg_free) + sum(ch.isdigit() for ch in reg_free) < 2:
            continue  # a registration number alone
        if _letters(reg_free) == 0 and (not parts or sum(ch.isdigit() for ch in reg_free) >= 8):
            if parts:
                break  # a tax or company number printed alone ends the address
            continue  # a store or registration number above the address
        label = _LABEL.match(reg_free)
        if label is not None and not ADDRESS_HINT.search(
            re.sub(r"(?i)\bno\b\.?", " ", label.group(0))
        ):
            if parts:
                break  # "Document No :", "ROC NO.:": past the address
            continue
        reg_free = text if not REGISTRATION.fullmatch(text.strip("() ")) else reg_free
        contact = CONTACT.search(reg_free)
        if contact is not None:
            before = clean(reg_free[: contact.start()])
            if parts and before and ADDRESS_HINT.search(before) and len(before) > 4:
                parts.append(before)
                used.append(index)
            if parts:
                break
            continue
        if DOC_TITLE.match(reg_free) or TOTAL.search(reg_free):
            if parts:
                break
            continue
        dated = find_dates(reg_free) or find_times(reg_free) or DATE_LABEL.search(reg_free)
        if dated:
            if parts:
                break
            continue
        if find_amounts(reg_free) and not ADDRESS_HINT.search(reg_free):
            break
        if BLOCK_END.search(reg_free):
            if parts:
                break
            continue
        if town_done and not (
            ADDRESS_HINT.search(reg_free)
            or place_only(reg_free)
            or COUNTRY_END.search(reg_free)
            or re.fullmatch(r"\(.*\)\W*", reg_free)  # "(MALL BRANCH)": printed as part of it
        ):
            break  # past "41200 KLANG, SELANGOR": a slogan, not the address
        if not parts and not ADDRESS_HINT.search(reg_free):
            skipped += 1  # a second name row (branch, "formerly known as") before the address
            if skipped > 3:
                break
            continue
        parts.append(reg_free)
        used.append(index)
        town_done = town_done or TOWN_LINE.search(reg_free) is not None
        if COUNTRY_END.search(reg_free):
            break  # "56000 Kuala Lumpur, Malaysia": a branch name may follow, not address
    if not parts:
        return None
    confidence = 0.8 * sum(rows[i].confidence for i in used) / len(used)
    return Found(
        value=repair_words(_address_tidy(clean(" ".join(parts))), PLACE_WORDS),
        confidence=confidence,
        first_row=used[0],
        last_row=used[-1],
    )
