"""What the vision-LLM engine asks for, and how its answer is checked.

A model's answer is untrusted text: it may wrap the JSON in a code fence, send
numbers as floats or with currency signs, dates in the receipt's own format, or
fields that do not exist. Only values that parse are kept, amounts as Decimal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from ocr_desk.core import ExtractedField, LineItem, ReceiptResult, parse_amount

__all__ = ["DEFAULT_CONFIDENCE", "PROMPT", "parse_answer"]

DEFAULT_CONFIDENCE = 0.85
"""Confidence of a field the model gave without its own."""

PROMPT = """You read photos of receipts and invoices. Answer with one JSON object only, \
no prose, with these keys (null when the document does not show it):
"merchant" (business name as printed), "merchant_address", "date" (YYYY-MM-DD),
"time" (HH:MM, 24-hour), "total", "subtotal", "tax" (amounts as strings like "12.30",
no currency sign), "currency" (ISO 4217 code), "invoice_number", "due_date" (YYYY-MM-DD),
"vendor", "line_items" (list of {"description", "quantity", "amount"}),
"text" (the full text, line by line), and "confidence" (an object giving, for each
field you filled, how sure you are from 0 to 1)."""

_TEXT_FIELDS = ("merchant", "merchant_address", "invoice_number", "vendor")
_AMOUNT_FIELDS = ("total", "subtotal", "tax")
_DATE_FIELDS = ("date", "due_date")


def _decode(content: str) -> Mapping[str, Any]:
    """The JSON object in ``content``, fenced or bare; ValueError if there is none."""
    text = content.strip()
    fenced = re.search(r"```(?:json)?\s*(.*?)```", text, re.DOTALL)
    if fenced:
        text = fenced.group(1).strip()
    if not text.startswith("{"):
        start, end = text.find("{"), text.rfind("}")
        if start < 0 or end <= start:
            raise ValueError("the answer holds no JSON object")
        text = text[start : end + 1]
    data = json.loads(text)
    if not isinstance(data, Mapping):
        raise ValueError("the answer is JSON but not an object")
    return data


def _amount(value: object) -> Decimal | None:
    if isinstance(value, str):
        value = re.sub(r"[^\d.,\-]", "", value)
        if value.count(",") and value.count("."):
            value = value.replace(",", "")
        elif value.count(",") == 1 and len(value.split(",")[1]) == 2:
            value = value.replace(",", ".")
    if isinstance(value, bool):
        return None
    amount = parse_amount(value)
    return None if amount is None else amount.quantize(Decimal("0.01"))


def _iso_date(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value.strip()[:10]).isoformat()
    except ValueError:
        from ocr_desk.server.extract.values import find_dates

        found = find_dates(value)
        return found[0].iso if found else None


def _time(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    match = re.fullmatch(r"\s*([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?\s*", value)
    if match is None:
        return None
    hour, minute, second = match.groups()
    return f"{int(hour):02d}:{minute}" + (f":{second}" if second else "")


def _confidence(confidences: Mapping[str, Any], name: str) -> float:
    raw = confidences.get(name, DEFAULT_CONFIDENCE)
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return DEFAULT_CONFIDENCE
    return max(0.0, min(1.0, float(raw)))


def parse_answer(content: str) -> tuple[ReceiptResult, str]:
    """The validated fields and the transcribed text of a model's answer.

    Raises ValueError when the answer is not a JSON object at all.
    """
    data = _decode(content)
    raw_conf = data.get("confidence")
    confidences: Mapping[str, Any] = raw_conf if isinstance(raw_conf, Mapping) else {}
    fields: dict[str, ExtractedField] = {}
    for name in _TEXT_FIELDS:
        value = data.get(name)
        if isinstance(value, str | int) and str(value).strip():
            text = re.sub(r"\s+", " ", str(value)).strip()
            fields[name] = ExtractedField(value=text, confidence=_confidence(confidences, name))
    for name in _AMOUNT_FIELDS:
        amount = _amount(data.get(name))
        if amount is not None:
            fields[name] = ExtractedField(value=amount, confidence=_confidence(confidences, name))
    for name in _DATE_FIELDS:
        iso = _iso_date(data.get(name))
        if iso is not None:
            fields[name] = ExtractedField(value=iso, confidence=_confidence(confidences, name))
    clock = _time(data.get("time"))
    if clock is not None:
        fields["time"] = ExtractedField(value=clock, confidence=_confidence(confidences, "time"))
    currency = data.get("currency")
    if isinstance(currency, str) and re.fullmatch(r"\s*[A-Za-z]{3}\s*", currency):
        fields["currency"] = ExtractedField(
            value=currency.strip().upper(), confidence=_confidence(confidences, "currency")
        )
    items = []
    raw_items = data.get("line_items")
    for raw in raw_items if isinstance(raw_items, list) else ():
        if not isinstance(raw, Mapping) or not str(raw.get("description") or "").strip():
            continue
        items.append(
            LineItem(
                description=re.sub(r"\s+", " ", str(raw["description"])).strip(),
                amount=_amount(raw.get("amount")),
                quantity=parse_amount(raw.get("quantity"))
                if not isinstance(raw.get("quantity"), bool)
                else None,
                confidence=_confidence(confidences, "line_items"),
            )
        )
    raw_text = data.get("text")
    if isinstance(raw_text, list):
        raw_text = "\n".join(str(part) for part in raw_text)
    text = raw_text if isinstance(raw_text, str) else ""
    return ReceiptResult(fields=fields, line_items=tuple(items)), text
