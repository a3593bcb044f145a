"""Total, subtotal and tax from the labelled rows near the bottom of a receipt.

The total is the amount next to a total-like label, preferring the rounded and the
final one, checked against the receipt's own arithmetic: the amount paid minus the
change, and subtotal plus tax plus rounding. The tax summary table many receipts
print under the total (``GST SUMMARY ... Total: 4.60 0.28``) is left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from ocr_desk.server.extract.layout import Row
from ocr_desk.server.extract.patterns import (
    NOT_TAX,
    NOT_TOTAL,
    PAYMENT,
    ROUNDED,
    SUBTOTAL,
    SUMMARY,
    TAX,
    TOTAL,
)
from ocr_desk.server.extract.values import find_amounts

__all__ = ["Amount", "Totals", "find_totals"]

_CENT = Decimal("0.01")
_SPACED = re.compile(r"(?<![\d.,])(?P<int>\d{1,6}) (?P<dec>\d{2})\s*$")


@dataclass(frozen=True, slots=True)
class Amount:
    value: Decimal
    confidence: float
    row: int


@dataclass(frozen=True, slots=True)
class Totals:
    total: Amount | None
    subtotal: Amount | None
    tax: Amount | None
    body_end: int
    """First row of the totals block: line items end above it."""


def _amounts_after(text: str, start: int) -> list[Decimal]:
    return [value for value, begin, _ in find_amounts(text) if begin >= start]


class _Block:
    def __init__(self, rows: list[Row]) -> None:
        self.rows = rows
        self.texts = [row.text for row in rows]
        self.end = len(rows)
        seen_total = False
        for index, text in enumerate(self.texts):
            if seen_total and SUMMARY.search(text):
                self.end = index
                break
            seen_total = seen_total or (TOTAL.search(text) is not None and bool(find_amounts(text)))

    def labelled(self, index: int, match: re.Match[str]) -> Decimal | None:
        """The amount a label refers to: right of it on its row, else alone on the next row."""
        after = _amounts_after(self.texts[index], match.end())
        if after:
            return after[-1]
        spaced = _SPACED.search(self.texts[index], match.end())
        if spaced:  # "GRAND TOTAL 10 00": the decimal point lost on thermal paper
            return Decimal(f"{spaced['int']}.{spaced['dec']}")
        if index + 1 < self.end:
            following = self.texts[index + 1]
            if not re.search(r"[A-Za-z]{3,}", following):
                values = _amounts_after(following, 0)
                if values:
                    return values[-1]
        return None

    def first_labelled(
        self, label: re.Pattern[str], exclude: re.Pattern[str] | None
    ) -> list[tuple[Decimal, int]]:
        found = []
        for index in range(self.end):
            text = self.texts[index]
            match = label.search(text)
            if match is None or (exclude is not None and exclude.search(text)):
                continue
            value = self.labelled(index, match)
            if value is not None and value >= 0:
                found.append((value, index))
        return found


def find_totals(rows: list[Row]) -> Totals:
    block = _Block(rows)
    subtotals = block.first_labelled(SUBTOTAL, None)
    taxes = block.first_labelled(TAX, NOT_TAX)
    roundings = [
        (value, index)
        for index in range(block.end)
        if ROUNDED.search(block.texts[index]) and not TOTAL.search(block.texts[index])
        for value in _amounts_after(block.texts[index], 0)[-1:]
        if abs(value) < 1
    ]
    candidates: dict[Decimal, float] = {}
    rows_of: dict[Decimal, int] = {}
    first_total_row = block.end

    def vote(value: Decimal, score: float, index: int) -> None:
        if value <= 0:
            return
        candidates[value] = max(candidates.get(value, 0.0), score) + (
            0.25 if value in candidates else 0.0
        )
        rows_of[value] = max(rows_of.get(value, index), index)

    for index in range(block.end):
        text = block.texts[index]
        match = TOTAL.search(text)
        if match is None or NOT_TOTAL.search(text):
            continue
        value = block.labelled(index, match)
        if value is None:
            continue
        first_total_row = min(first_total_row, index)
        score = 2.0 + index / max(len(rows), 1) * 0.3
        if ROUNDED.search(text):
            score += 0.6
        if PAYMENT.search(text):
            score -= 0.8
        if re.search(r"grand|nett?|payable|due|incl|inclusive|amount", text, re.IGNORECASE):
            score += 0.4
        if len(find_amounts(text)) >= 2 and match.end() <= 2 + match.start() + 6:
            score -= 0.5  # "Total: 4.60 0.28": a table row, not the total
        vote(value, score, index)
        for rounding, r_index in roundings:
            rounded = (value + rounding).quantize(_CENT)
            # The rounded amount counts only if the receipt prints it below the rounding.
            printed_below = any(
                rounded in _amounts_after(block.texts[i], 0)
                for i in range(r_index + 1, min(r_index + 4, block.end))
            )
            if 0 < r_index - index <= 3 and printed_below:
                vote(rounded, score + 0.3, r_index)
    # The receipt's own arithmetic: paid - change, subtotal + tax (+ rounding).
    paid = [
        (value, index)
        for value, index in block.first_labelled(PAYMENT, None)
        if not re.search(r"change|baki|balance", block.texts[index], re.IGNORECASE)
    ]
    change = [
        (value, index)
        for value, index in block.first_labelled(re.compile(r"change|baki", re.IGNORECASE), None)
    ]
    tendered: set[Decimal] = set()
    if paid and change:
        tendered.add(paid[0][0] - change[0][0])
    summed: set[Decimal] = set()
    if subtotals and taxes:
        base = subtotals[0][0] + taxes[-1][0]
        summed.add(base)
        summed.update(base + rounding for rounding, _ in roundings)
    for value in tendered | summed:
        if value in candidates:
            candidates[value] += 0.6
    derived = sorted(tendered & summed)
    if derived and derived[0] > 0 and derived[0] not in candidates:
        # Paid minus change and subtotal plus tax agree on an amount no total label
        # shows: the label's amount was misread.
        candidates[derived[0]] = max(candidates.values(), default=2.0) + 0.1
        rows_of[derived[0]] = block.end - 1
    total: Amount | None = None
    if candidates:
        best = max(candidates, key=lambda v: (candidates[v], rows_of[v]))
        row = rows[rows_of[best]]
        confidence = min(0.97, 0.45 + 0.15 * candidates[best]) * row.confidence
        total = Amount(best, confidence, rows_of[best])
    else:
        if tendered and subtotals and min(tendered) > 0 and min(tendered) == subtotals[0][0]:
            total = Amount(min(tendered), 0.6, block.end - 1)
        else:
            amounts = [
                (value, index)
                for index in range(len(rows) // 3, block.end)
                for value, _, _ in find_amounts(block.texts[index])
                if value > 0
            ]
            if amounts:
                value, index = max(amounts)
                total = Amount(value, 0.35 * rows[index].confidence, index)
    subtotal = None
    if subtotals:
        value, index = subtotals[0]
        subtotal = Amount(value, 0.8 * rows[index].confidence, index)
        first_total_row = min(first_total_row, index)
    tax = None
    if taxes:
        value, index = taxes[-1]
        for v, i in taxes:
            if re.search(r"total", block.texts[i], re.IGNORECASE):
                value, index = v, i
        tax = Amount(value, 0.75 * rows[index].confidence, index)
    return Totals(total=total, subtotal=subtotal, tax=tax, body_end=first_total_row)
