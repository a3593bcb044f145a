"""The merchant's street address: the address-like rows under its name.

Receipts print the address over a few rows under the name, then phone, tax
registration, opening hours or the document title. The block ends at the first of
those; a row set beside the address (a date, a label, a phone number printed to its
right as a separate box) is left out rather than ending the block.
"""

from __future__ import annotations

import re

from ocr_desk.server.extract.header import Found, clean, is_label, strip_registration
from ocr_desk.server.extract.layout import Row
from ocr_desk.server.extract.patterns import (
    ADDRESS_HINT,
    CONTACT,
    DATE_LABEL,
    DOC_TITLE,
    REGISTRATION,
    TOTAL,
)
from ocr_desk.server.extract.values import find_amounts, find_dates, find_times
from ocr_desk.server.extract.words import PLACE_WORDS, place_only, repair_words

__all__ = ["BLOCK_END", "COUNTRY_END", "TOWN_LINE", "find_address"]


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


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
    # ...but not after an abbreviated street word ("Bahnhofstr. 12", "Sunset Blvd. 5").
    not_abbreviated = r"(?<![Ss][Tt][Rr])(?<![Bb][Ll][Vv][Dd])"
    text = re.sub(r"(?<=[A-Za-z]{4})" + not_abbreviated + r"\. (?=[A-Za-z0-9])", ", ", text)
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


def _beside(text: str) -> bool:
    """A box printed to the right of an address row that is not address: a date, a
    label ("Invoice No: 12"), a phone or tax number, a cashier or table."""
    return bool(
        CONTACT.search(text)
        or find_dates(text)
        or find_times(text)
        or DATE_LABEL.search(text)
        or is_label(text)
        or BLOCK_END.search(text)
        or REGISTRATION.fullmatch(text.strip("() "))
    )


def _address_text(row: Row) -> str:
    """The row's text up to the first box set beside the address, if any."""
    pieces = [piece.text.strip() for piece in row.pieces if piece.text.strip()]
    for index in range(1, len(pieces)):
        if _beside(pieces[index]):
            return " ".join(pieces[:index])
    return row.text


def find_address(rows: list[Row], merchant: Found | None) -> Found | None:
    """The street address: the address-like rows right below the name."""
    texts = [_address_text(row) for row in rows]
    start = 0 if merchant is None else merchant.last_row + 1
    parts: list[str] = []
    used: list[int] = []
    skipped = 0
    town_done = False
    for index in range(start, min(len(rows), start + 8)):
        text = clean(texts[index])
        reg_free = strip_registration(text)
        if not reg_free or _letters(reg_free) + sum(ch.isdigit() for ch in reg_free) < 2:
            continue  # a registration number alone
        if _letters(reg_free) == 0 and (not parts or sum(ch.isdigit() for ch in reg_free) >= 8):
            if parts:
                break  # a tax or company number printed alone ends the address
            continue  # a store or registration number above the address
        label = is_label(reg_free)
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
