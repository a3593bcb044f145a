"""Line items: the rows between the receipt's header and its totals.

Receipts print an item either on one row (``Latte  4.50``, ``2 x Bagel  4.50``) or
over two: a row of numbers (code, quantity, unit price, amount) with the description
on the row above or below it. Which of the two a receipt uses is read from its last
row of numbers: below it comes either its description or the totals.
"""

from __future__ import annotations

import re
from decimal import Decimal

from ocr_desk.core import LineItem
from ocr_desk.server.extract.header import clean
from ocr_desk.server.extract.layout import Row
from ocr_desk.server.extract.patterns import DATE_LABEL, PAYMENT, SUBTOTAL, TAX, TOTAL, words
from ocr_desk.server.extract.values import find_amounts

__all__ = ["find_items"]

_COLUMN = words(
    r"qty", r"quantity", r"price", r"amount", r"amt", r"desc\w*", r"items?", r"u/?p",
    r"total", r"tax", r"rm", r"code", r"disc\w*", r"rsp",
)  # fmt: skip
_META = re.compile(
    r"\b(?:cashier|cashter|time|table|pax|counter|terminal|salesperson|served\s*by|operator|"
    r"pos|room\s*no|member|slip\s*no|trans|bill\s*no|doc\s*no|receipt\s*(?:no|#)|"
    r"invoice\s*(?:no|#))\b\s*[:#.]|\bcash[it]er\b",
    re.IGNORECASE,
)
_TAX_CODE = re.compile(r"(?:\s+(?:SR|ZRL?|ZR|NS|S|Z|T|E|X)\b\.?)+\s*$")


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def _description(text: str) -> str:
    text = _TAX_CODE.sub("", text)
    return clean(re.sub(r"^[\s\-:*]+|[\s:@xX*\-|]+$", "", text))


def _single_row(text: str) -> tuple[str, Decimal | None, Decimal] | None:
    """(description, quantity, amount) of a row that prints its whole item, or None."""
    amounts = find_amounts(text)
    value, first_start = amounts[-1][0], amounts[0][1]
    description = text[:first_start]
    quantity: Decimal | None = None
    qty = re.search(r"(?<![\d.])(\d{1,3})\s*[xX@*]\s*", description) or re.match(
        r"\s*(\d{1,3})\s+(?=[A-Za-z])", description
    )
    if qty is None and len(amounts) >= 2:
        # "Bagel 2 @ 2.25  4.50": quantity and unit price before the amount.
        unit = re.search(r"(?<![\d.])(\d{1,3})\s*[xX@*]\s*$", description)
        qty = unit
    if qty is not None:
        quantity = Decimal(qty.group(1))
        description = description[: qty.start()] + description[qty.end() :]
    description = _description(description)
    if _letters(description) < 2:
        return None
    return description, quantity, value


def _numbers_row(text: str) -> tuple[Decimal | None, Decimal]:
    """(quantity, amount) of a row of numbers: "88888  1  10.00  10.00"."""
    amounts = find_amounts(text)
    before = text[: amounts[0][1]].split()
    quantity = None
    if before and re.fullmatch(r"\d{1,3}", before[-1]):
        quantity = Decimal(before[-1])
    return quantity, amounts[-1][0]


def find_items(rows: list[Row], start: int, end: int) -> tuple[LineItem, ...]:
    texts = [row.text for row in rows]
    zone: list[tuple[int, str]] = []  # (row, kind): "full", "numbers" or "text"
    for index in range(start, end):
        text = texts[index]
        amounts = find_amounts(text)
        if amounts and (TOTAL.search(text) or SUBTOTAL.search(text)):
            break
        payment = PAYMENT.search(text)
        if payment is not None and _letters(text[: payment.start()]) == 0:
            continue  # "CASH 50.00", "VISA ****1234"
        if TAX.search(text) or DATE_LABEL.search(text) or _META.search(text):
            continue
        if not amounts:
            if len(_COLUMN.findall(text)) >= 2 or _letters(text) < 3:
                continue  # column titles, a rule of dashes
            zone.append((index, "text"))
            continue
        label = text[: amounts[0][1]]
        letters = _letters(_TAX_CODE.sub("", label))
        zone.append((index, "full" if letters >= 3 else "numbers"))
    # After the last row of numbers comes its description (printed below) or the totals.
    numbers = [position for position, (_, kind) in enumerate(zone) if kind == "numbers"]
    below = bool(numbers) and numbers[-1] + 1 < len(zone) and zone[numbers[-1] + 1][1] == "text"
    items: list[LineItem] = []
    used: set[int] = set()
    for position, (index, kind) in enumerate(zone):
        confidence = 0.7 * rows[index].confidence
        if kind == "full":
            found = _single_row(texts[index])
            if found is not None:
                description, quantity, amount = found
                items.append(LineItem(description, amount, quantity, confidence))
            continue
        if kind != "numbers":
            continue
        partner = position + (1 if below else -1)
        if not 0 <= partner < len(zone) or zone[partner][1] != "text" or partner in used:
            continue
        used.add(partner)
        quantity, amount = _numbers_row(texts[index])
        description = _description(texts[zone[partner][0]])
        if _letters(description) >= 2:
            items.append(LineItem(description, amount, quantity, confidence))
    return tuple(items)
