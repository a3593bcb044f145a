"""Read receipt and invoice fields from OCR lines and their layout.

The extractor works on printed rows (see ``layout``): a label on the left and an
amount on the right of the same row, the merchant's name and address at the top,
totals near the bottom. Every field gets a confidence from how it was found
(a labelled row beats a guess) times the OCR confidence of the text it came from.
"""

from __future__ import annotations

import re

from ocr_desk.core import ExtractedField, LineItem, ReceiptResult
from ocr_desk.server.extract.address import find_address
from ocr_desk.server.extract.header import find_merchant
from ocr_desk.server.extract.items import find_items
from ocr_desk.server.extract.layout import Row, build_rows
from ocr_desk.server.extract.patterns import (
    DATE_LABEL,
    DUE_LABEL,
    INVOICE_NO,
    OTHER_DATE,
)
from ocr_desk.server.extract.totals import find_totals
from ocr_desk.server.extract.values import (
    detect_currency,
    find_amounts,
    find_dates,
    find_times,
    month_first_for,
)
from ocr_desk.server.ocr.base import OcrOutput

__all__ = ["EXTRACTOR_VERSION", "JOB_TYPES", "extract"]

EXTRACTOR_VERSION = "1.9"
"""Bumped whenever extraction changes, so stored results can be traced and re-run."""

JOB_TYPES = ("receipt", "invoice", "handwritten")


def extract(
    output: OcrOutput,
    *,
    job_type: str = "receipt",
    default_currency: str = "USD",
) -> ReceiptResult:
    """The fields of one document from its OCR output.

    ``receipt`` and ``invoice`` jobs get merchant, address, date, time, amounts,
    currency and line items (invoices also number, due date and vendor);
    ``handwritten`` jobs get the text only. Fields an engine read itself (a vision
    LLM) win over the layout rules, which fill in what the engine left out.
    """
    if job_type not in JOB_TYPES:
        raise ValueError(f"Unknown job type {job_type!r}; use one of {', '.join(JOB_TYPES)}.")
    rows = build_rows(output.lines)
    text = "\n".join(row.text for row in rows) if rows else output.text
    base = ReceiptResult(
        text=text,
        engine=output.engine,
        engine_version=output.engine_version,
        extractor_version=EXTRACTOR_VERSION,
    )
    if job_type == "handwritten":
        return base
    fields: dict[str, ExtractedField] = {}
    items: tuple[LineItem, ...] = ()
    if rows:
        reader = _Reader(rows=rows, default_currency=default_currency.upper())
        fields = reader.fields(invoice=job_type == "invoice")
        items = reader.line_items()
    if output.fields is not None:
        # An engine that reads the fields itself (a vision LLM) sees the whole image:
        # its values win, the layout rules fill in what it left out.
        fields.update(output.fields.fields)
        if output.fields.line_items:
            items = output.fields.line_items
    return ReceiptResult(
        fields=fields,
        line_items=items,
        text=base.text,
        engine=base.engine,
        engine_version=base.engine_version,
        extractor_version=EXTRACTOR_VERSION,
    )


class _Reader:
    def __init__(self, *, rows: list[Row], default_currency: str) -> None:
        self.rows = rows
        self.texts = [row.text for row in rows]
        self.all_text = "\n".join(self.texts)
        self.currency, self.currency_conf = detect_currency(self.all_text, default=default_currency)
        self.totals = find_totals(rows)

    # -- fields ---------------------------------------------------------------------

    def fields(self, *, invoice: bool) -> dict[str, ExtractedField]:
        out: dict[str, ExtractedField] = {}
        merchant = find_merchant(self.rows)
        if merchant is not None:
            out["merchant"] = ExtractedField(value=merchant.value, confidence=merchant.confidence)
        address = find_address(self.rows, merchant)
        if address is not None:
            out["merchant_address"] = ExtractedField(
                value=address.value, confidence=address.confidence
            )
        date = self._date()
        if date is not None:
            out["date"] = date
        time = self._time()
        if time is not None:
            out["time"] = time
        for name in ("total", "subtotal", "tax"):
            found = getattr(self.totals, name)
            if found is not None:
                out[name] = ExtractedField(value=found.value, confidence=found.confidence)
        out["currency"] = ExtractedField(value=self.currency, confidence=self.currency_conf)
        if invoice:
            number = self._invoice_number()
            if number is not None:
                out["invoice_number"] = number
            due = self._due_date()
            if due is not None:
                out["due_date"] = due
            if merchant is not None:
                out["vendor"] = out["merchant"]
        return out

    def _header_end(self) -> int:
        """Index of the first row past the merchant block: the first date or time, else
        the first amount."""
        for index, text in enumerate(self.texts):
            if index >= 1 and (find_dates(text) or find_times(text)):
                return index
        for index, text in enumerate(self.texts):
            if index >= 1 and find_amounts(text):
                return index
        return len(self.rows)

    def _date(self) -> ExtractedField | None:
        """The document date: labelled, printed with a time, not an expiry or due date."""
        month_first = month_first_for(self.currency)
        best: tuple[float, str, float] | None = None
        for index, text in enumerate(self.texts):
            for match in find_dates(text, month_first=month_first):
                score = 1.0
                before, after = text[: match.start], text[match.end :]
                if DATE_LABEL.search(before) or (
                    index > 0
                    and DATE_LABEL.search(self.texts[index - 1])
                    and not find_dates(self.texts[index - 1])
                ):
                    score += 1.0
                if find_times(after[:16]) or find_times(before[-14:]):
                    score += 0.6
                if DUE_LABEL.search(text) or OTHER_DATE.search(before):
                    score -= 1.5
                if re.search(r"[A-Za-z]$", before):
                    score -= 1.0  # part of a product code ("CK11-22-31")
                if not match.certain:
                    score -= 0.2
                if match.compact:
                    score -= 0.5
                score -= index * 0.01
                if best is None or score > best[0]:
                    certainty = 0.9 if match.certain else 0.7
                    if score < 1.0:
                        certainty -= 0.2
                    best = (score, match.iso, certainty * self.rows[index].confidence)
        if best is None:
            return None
        return ExtractedField(value=best[1], confidence=best[2])

    def _time(self) -> ExtractedField | None:
        for index, text in enumerate(self.texts):
            times = find_times(text)
            if times:
                return ExtractedField(
                    value=times[0][0], confidence=0.85 * self.rows[index].confidence
                )
        return None

    def _invoice_number(self) -> ExtractedField | None:
        for index, text in enumerate(self.texts):
            match = INVOICE_NO.search(text)
            if match is None and index + 1 < len(self.texts):
                match = INVOICE_NO.search(text + " " + self.texts[index + 1])
            if match is not None and any(ch.isdigit() for ch in match["value"]):
                return ExtractedField(
                    value=match["value"].rstrip("."), confidence=0.8 * self.rows[index].confidence
                )
        return None

    def _due_date(self) -> ExtractedField | None:
        month_first = month_first_for(self.currency)
        for index, text in enumerate(self.texts):
            label = DUE_LABEL.search(text)
            if label is None:
                continue
            rest = text[label.end() :]
            dates = find_dates(rest, month_first=month_first)
            if not dates and index + 1 < len(self.texts):
                dates = find_dates(self.texts[index + 1], month_first=month_first)
            if dates:
                return ExtractedField(
                    value=dates[0].iso, confidence=0.8 * self.rows[index].confidence
                )
        return None

    # -- line items -----------------------------------------------------------------

    def line_items(self) -> tuple[LineItem, ...]:
        return find_items(self.rows, self._header_end(), self.totals.body_end)
