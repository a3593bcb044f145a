"""Read receipt and invoice fields from OCR lines and their layout.

The extractor works on printed rows (see ``layout``): a label on the left and an
amount on the right of the same row, the merchant's name and address at the top,
totals near the bottom. Every field gets a confidence from how it was found
(a labelled row beats a guess) times the OCR confidence of the text it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from ocr_desk.core import ExtractedField, LineItem, ReceiptResult
from ocr_desk.server.extract.layout import Row, build_rows
from ocr_desk.server.extract.values import (
    detect_currency,
    find_amounts,
    find_dates,
    find_times,
    month_first_for,
)
from ocr_desk.server.ocr.base import OcrOutput

__all__ = ["EXTRACTOR_VERSION", "JOB_TYPES", "extract"]

EXTRACTOR_VERSION = "1.0"
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
    LLM) are kept where the layout rules found nothing better.
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
        for name, found in output.fields.fields.items():
            mine = fields.get(name)
            if mine is None or mine.confidence < found.confidence:
                fields[name] = found
        if not items:
            items = output.fields.line_items
    return ReceiptResult(
        fields=fields,
        line_items=items,
        text=base.text,
        engine=base.engine,
        engine_version=base.engine_version,
        extractor_version=EXTRACTOR_VERSION,
    )


def _words(*labels: str) -> re.Pattern[str]:
    return re.compile(r"(?<![A-Za-z])(?:" + "|".join(labels) + r")(?![A-Za-z])", re.IGNORECASE)


_TOTAL = _words(
    r"total",
    r"grand\s*total",
    r"amount\s*due",
    r"balance\s*due",
    r"total\s*amount",
    r"amount\s*payable",
    r"nett?\s*total",
    r"total\s*due",
    r"jumlah",
    r"summe",
    r"montant",
    r"totale?",
    r"amt\s*due",
    r"to\s*pay",
)
_NOT_TOTAL = _words(
    r"sub\s*-?\s*total",
    r"total\s*(?:qty|quantity|items?|item\(s\)|pcs|units?|savings?|discount|disc)",
    r"(?:qty|item|items)\s*total",
    r"total\s*(?:gst|vat|tax|sst)(?!\s*(?:incl|inc))",
    r"total\s*excl?",
    r"excl(?:uding|\.)?\s*(?:gst|vat|tax)",
    r"before\s*(?:gst|vat|tax)",
    r"total\s*(?:number|no\.?)",
    r"you\s*saved?",
)
_ROUNDED = _words(r"round(?:ed|ing)?", r"rnd", r"adj(?:ustment)?")
_PAYMENT = _words(
    r"cash", r"change", r"tender(?:ed)?", r"paid", r"card", r"visa", r"master\s*card",
    r"credit", r"debit", r"payment", r"bal(?:ance)?", r"refund",
)  # fmt: skip
_SUBTOTAL = _words(
    r"sub\s*-?\s*total",
    r"total\s*excl?\S*\s*(?:gst|vat|tax)?",
    r"total\s*before\s*(?:gst|vat|tax)",
    r"net\s*amount",
    r"amount\s*excl\S*",
)
_TAX = _words(
    r"gst", r"vat", r"tax", r"sales\s*tax", r"sst", r"mwst", r"tva", r"iva", r"hst", r"pst",
)  # fmt: skip
_NOT_TAX = _words(
    r"(?:gst|vat|tax|sst)\s*(?:reg\S*|id|no\.?|number|#|summary|invoice|code)",
    r"tax\s*invoice",
    r"incl\S*\s*(?:gst|vat|tax)",
    r"(?:gst|vat|tax)\s*incl\S*",
    r"excl\S*\s*(?:gst|vat|tax)",
    r"(?:before|w/o|without|after)\s*(?:gst|vat|tax)",
    r"total\s*(?:incl|inc)",
)
_DATE_LABEL = _words(r"date", r"dated", r"tarikh", r"datum", r"fecha", r"dt")
_DUE_LABEL = _words(r"due\s*date", r"payment\s*due", r"due\s*by", r"due\s*on", r"pay\s*by")
_INVOICE_NO = re.compile(
    r"(?:invoice|inv|bill|receipt|doc(?:ument)?|rcpt)\s*(?:no\.?|number|num|#|id)\s*[:#.]?\s*"
    r"(?P<value>[A-Z0-9][A-Z0-9\-/.]{1,30})",
    re.IGNORECASE,
)
_ADDRESS_HINT = re.compile(
    r"\b(?:jalan|jln|street|st\.|road|rd\.?|avenue|ave\.?|lane|blvd|boulevard|drive|"
    r"taman|lot|no\.?\s?\d|suite|floor|level|block|blk|building|plaza|mall|"
    r"strasse|straße|rue|via|calle|p\.?o\.? box|\d{5})\b|,",
    re.IGNORECASE,
)
_CONTACT = re.compile(
    r"\b(?:tel|phone|fax|ph|mobile|hp|email|e-mail|www|http|gst\s*(?:reg|id|no)|"
    r"co\.?\s*(?:reg|no)|company\s*(?:reg|no)|roc|reg\.?\s*no|vat\s*(?:reg|no)|"
    r"abn|ein|tin|sst\s*(?:id|no))\b|@|\(\d{5,}-[A-Z]\)|\d{3,}-[A-Z]\b",
    re.IGNORECASE,
)
_DOC_TITLE = re.compile(
    r"^\W*(?:tax\s*invoice|invoice|receipt|official\s*receipt|cash\s*(?:sale|bill|receipt)|"
    r"simplified\s*tax\s*invoice|sales\s*receipt|bill|welcome|thank\s*you)\W*$",
    re.IGNORECASE,
)
_COMPANY_HINT = _words(
    r"sdn\.?\s*bhd\.?", r"bhd", r"s/b", r"ltd\.?", r"llc", r"inc\.?", r"corp\.?", r"co\.",
    r"gmbh", r"plc", r"pte", r"enterprise", r"trading", r"restaurant", r"restoran", r"cafe",
    r"store", r"mart", r"market", r"supermarket", r"shop", r"hardware", r"bakery",
    r"pharmacy", r"hotel", r"company", r"limited", r"s\.?a\.?r?\.?l\.?",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Candidate:
    value: Decimal
    score: float
    row: int


class _Reader:
    def __init__(self, *, rows: list[Row], default_currency: str) -> None:
        self.rows = rows
        self.texts = [row.text for row in rows]
        self.all_text = "\n".join(self.texts)
        self.currency, self.currency_conf = detect_currency(self.all_text, default=default_currency)

    # -- fields ---------------------------------------------------------------------

    def fields(self, *, invoice: bool) -> dict[str, ExtractedField]:
        out: dict[str, ExtractedField] = {}
        header_end = self._header_end()
        merchant = self._merchant(header_end)
        if merchant is not None:
            out["merchant"] = merchant[0]
            address = self._address(merchant[1], header_end)
            if address is not None:
                out["merchant_address"] = address
        date = self._date()
        if date is not None:
            out["date"] = date
        time = self._time()
        if time is not None:
            out["time"] = time
        total = self._total()
        if total is not None:
            out["total"] = total
        subtotal = self._labelled_amount(_SUBTOTAL, None)
        if subtotal is not None:
            out["subtotal"] = subtotal
        tax = self._tax()
        if tax is not None:
            out["tax"] = tax
        out["currency"] = ExtractedField(value=self.currency, confidence=self.currency_conf)
        if invoice:
            number = self._invoice_number()
            if number is not None:
                out["invoice_number"] = number
            due = self._due_date()
            if due is not None:
                out["due_date"] = due
            if merchant is not None:
                out["vendor"] = merchant[0]
        return out

    def _header_end(self) -> int:
        """Index of the first row past the header (merchant block): the first amount or date."""
        for index, text in enumerate(self.texts):
            if index >= 2 and (find_amounts(text) or find_dates(text)):
                return index
        return min(len(self.rows), 12)

    def _merchant(self, header_end: int) -> tuple[ExtractedField, int] | None:
        best: tuple[float, int] | None = None
        limit = min(max(header_end, 3), 10, len(self.rows))
        for index in range(limit):
            text = self.texts[index].strip()
            letters = sum(ch.isalpha() for ch in text)
            if letters < 3 or _DOC_TITLE.match(text) or _CONTACT.search(text):
                continue
            if find_dates(text) or find_amounts(text):
                continue
            score = 1.0 - index * 0.12
            if _COMPANY_HINT.search(text):
                score += 1.0
            if _ADDRESS_HINT.search(text):
                score -= 0.6
            upper = sum(ch.isupper() for ch in text)
            if upper >= letters * 0.8:
                score += 0.15
            if letters < len(text.replace(" ", "")) * 0.5:
                score -= 0.5
            score += min(self.rows[index].height / max(self._median_height(), 1.0) - 1, 1) * 0.3
            if best is None or score > best[0]:
                best = (score, index)
        if best is None:
            return None
        score, index = best
        confidence = max(0.2, min(0.95, 0.45 + score * 0.3)) * self.rows[index].confidence
        name = _clean(self.texts[index])
        return ExtractedField(value=name, confidence=confidence), index

    def _median_height(self) -> float:
        heights = sorted(row.height for row in self.rows)
        return heights[len(heights) // 2]

    def _address(self, merchant_row: int, header_end: int) -> ExtractedField | None:
        parts: list[str] = []
        confs: list[float] = []
        for index in range(merchant_row + 1, min(len(self.rows), merchant_row + 7)):
            text = self.texts[index].strip()
            if _CONTACT.search(text) or _DOC_TITLE.match(text):
                if parts:
                    break
                continue
            if find_dates(text) or find_amounts(text) or find_times(text):
                break
            if not parts and not _ADDRESS_HINT.search(text):
                # A second name row (branch, registration) before the address.
                if index - merchant_row > 2:
                    break
                continue
            parts.append(text)
            confs.append(self.rows[index].confidence)
        if not parts:
            return None
        confidence = 0.75 * sum(confs) / len(confs)
        return ExtractedField(value=_clean(" ".join(parts)), confidence=confidence)

    def _date(self) -> ExtractedField | None:
        month_first = month_first_for(self.currency)
        best: tuple[float, str, float] | None = None
        for index, text in enumerate(self.texts):
            for match in find_dates(text, month_first=month_first):
                score = 1.0
                if _DATE_LABEL.search(text[: match.start]) or (
                    index > 0 and _DATE_LABEL.search(self.texts[index - 1])
                ):
                    score += 1.0
                if _DUE_LABEL.search(text):
                    score -= 1.5
                if not match.certain:
                    score -= 0.2
                score -= index * 0.01
                if best is None or score > best[0]:
                    confidence = (0.9 if match.certain else 0.7) * self.rows[index].confidence
                    best = (score, match.iso, confidence)
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

    def _row_amounts(self, index: int, label_end: int = 0) -> list[Decimal]:
        return [value for value, start, _ in find_amounts(self.texts[index]) if start >= label_end]

    def _amount_for_label(self, index: int, match: re.Match[str]) -> Decimal | None:
        """The amount a label refers to: right of it on its row, else on the next row."""
        after = [v for v in self._row_amounts(index, match.end())]
        if after:
            return after[-1]
        if index + 1 < len(self.rows):
            nxt = self.texts[index + 1]
            if not re.search(r"[A-Za-z]{3,}", nxt):
                values = self._row_amounts(index + 1)
                if values:
                    return values[-1]
        return None

    def _total(self) -> ExtractedField | None:
        candidates: list[_Candidate] = []
        for index, text in enumerate(self.texts):
            match = _TOTAL.search(text)
            if match is None or _NOT_TOTAL.search(text):
                continue
            value = self._amount_for_label(index, match)
            if value is None or value < 0:
                continue
            score = 2.0 + index / max(len(self.rows), 1) * 0.5
            if _ROUNDED.search(text):
                score += 0.6
            if _PAYMENT.search(text):
                score -= 1.0
            if re.search(r"grand|nett?|payable|due|incl", text, re.IGNORECASE):
                score += 0.5
            candidates.append(_Candidate(value=value, score=score, row=index))
        if candidates:
            values = [c.value for c in candidates]
            for candidate in candidates:
                # The amount the receipt repeats (total, then paid) is the total.
                repeats = sum(1 for v in values if v == candidate.value)
                object.__setattr__(candidate, "score", candidate.score + 0.3 * (repeats - 1))
            best = max(candidates, key=lambda c: (c.score, c.row))
            confidence = min(0.97, 0.5 + 0.15 * best.score) * self.rows[best.row].confidence
            return ExtractedField(value=best.value, confidence=confidence)
        # No label read: the largest amount in the lower half is most often the total.
        amounts = [
            (value, index)
            for index, text in enumerate(self.texts)
            if index >= len(self.texts) // 3
            for value, _, _ in find_amounts(text)
            if value > 0
        ]
        if not amounts:
            return None
        value, index = max(amounts)
        return ExtractedField(value=value, confidence=0.35 * self.rows[index].confidence)

    def _labelled_amount(
        self, label: re.Pattern[str], exclude: re.Pattern[str] | None
    ) -> ExtractedField | None:
        for index, text in enumerate(self.texts):
            match = label.search(text)
            if match is None or (exclude is not None and exclude.search(text)):
                continue
            value = self._amount_for_label(index, match)
            if value is not None and value >= 0:
                return ExtractedField(value=value, confidence=0.8 * self.rows[index].confidence)
        return None

    def _tax(self) -> ExtractedField | None:
        found: list[tuple[Decimal, int]] = []
        for index, text in enumerate(self.texts):
            match = _TAX.search(text)
            if match is None or _NOT_TAX.search(text):
                continue
            value = self._amount_for_label(index, match)
            if value is not None and value >= 0:
                found.append((value, index))
        if not found:
            return None
        # Prefer the one labelled "total tax" style, else the last (summary) row.
        value, index = found[-1]
        for v, i in found:
            if re.search(r"total", self.texts[i], re.IGNORECASE):
                value, index = v, i
        return ExtractedField(value=value, confidence=0.75 * self.rows[index].confidence)

    def _invoice_number(self) -> ExtractedField | None:
        for index, text in enumerate(self.texts):
            match = _INVOICE_NO.search(text)
            if match is None and index + 1 < len(self.texts):
                match = _INVOICE_NO.search(text + " " + self.texts[index + 1])
            if match is not None and any(ch.isdigit() for ch in match["value"]):
                return ExtractedField(
                    value=match["value"].rstrip("."), confidence=0.8 * self.rows[index].confidence
                )
        return None

    def _due_date(self) -> ExtractedField | None:
        month_first = month_first_for(self.currency)
        for index, text in enumerate(self.texts):
            label = _DUE_LABEL.search(text)
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
        """Rows between the header and the first total-like row that end with an amount."""
        start = self._header_end()
        items: list[LineItem] = []
        for index in range(start, len(self.rows)):
            text = self.texts[index]
            if _TOTAL.search(text) or _SUBTOTAL.search(text):
                break
            if _TAX.search(text) or _PAYMENT.search(text) or _DATE_LABEL.search(text):
                continue
            amounts = find_amounts(text)
            if not amounts:
                continue
            value, amount_start, _ = amounts[-1]
            description = text[:amount_start]
            for _, other_start, other_end in reversed(amounts[:-1]):
                description = description[:other_start] + description[other_end:]
            quantity: Decimal | None = None
            qty = re.search(r"(?<![\d.])(\d{1,3})\s*[xX@*]\s*", description)
            if qty is None:
                qty = re.match(r"\s*(\d{1,3})\s+(?=[A-Za-z])", description)
            if qty is not None:
                quantity = Decimal(qty.group(1))
                description = description[: qty.start()] + description[qty.end() :]
            description = _clean(re.sub(r"[\s:@xX*\-]+$", "", description))
            if sum(ch.isalpha() for ch in description) < 2:
                continue
            items.append(
                LineItem(
                    description=description,
                    amount=value,
                    quantity=quantity,
                    confidence=0.7 * self.rows[index].confidence,
                )
            )
        return tuple(items)


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip(" :;|")
