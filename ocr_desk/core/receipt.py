"""The receipt data model shared by the server (which extracts it) and the client (which shows it).

Amounts are :class:`~decimal.Decimal`, never floats; on the wire they are strings.
Every field carries a confidence in [0, 1] so a person can see what to check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = [
    "UNCERTAIN_BELOW",
    "ExtractedField",
    "LineItem",
    "ReceiptResult",
    "parse_amount",
]

UNCERTAIN_BELOW = 0.6
"""Fields with a confidence below this are listed as uncertain."""

SCALAR_FIELDS = (
    "merchant",
    "merchant_address",
    "date",
    "time",
    "total",
    "subtotal",
    "tax",
    "currency",
    "invoice_number",
    "due_date",
    "vendor",
)
AMOUNT_FIELDS = frozenset({"total", "subtotal", "tax"})


def parse_amount(value: object) -> Decimal | None:
    """A Decimal from a wire value (``"12.30"``, ``12``), or None when absent or not a number."""
    if value is None or value == "":
        return None
    if isinstance(value, float):
        value = repr(value)
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


@dataclass(frozen=True, slots=True)
class ExtractedField:
    """One extracted value and how sure the extractor is of it."""

    value: str | Decimal
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return {"value": str(self.value), "confidence": round(self.confidence, 4)}


@dataclass(frozen=True, slots=True)
class LineItem:
    description: str
    amount: Decimal | None = None
    quantity: Decimal | None = None
    confidence: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "quantity": None if self.quantity is None else str(self.quantity),
            "amount": None if self.amount is None else str(self.amount),
            "confidence": round(self.confidence, 4),
        }


@dataclass(frozen=True, slots=True)
class ReceiptResult:
    """What OCR and extraction made of one document."""

    fields: Mapping[str, ExtractedField] = field(default_factory=dict)
    line_items: tuple[LineItem, ...] = ()
    text: str = ""
    engine: str = ""
    engine_version: str = ""
    extractor_version: str = ""

    def value(self, name: str) -> str | Decimal | None:
        found = self.fields.get(name)
        return None if found is None else found.value

    def uncertain(self, threshold: float = UNCERTAIN_BELOW) -> list[str]:
        """Names of the fields whose confidence is below ``threshold``."""
        return sorted(n for n, f in self.fields.items() if f.confidence < threshold)

    def to_dict(self) -> dict[str, Any]:
        return {
            "fields": {name: f.to_dict() for name, f in self.fields.items()},
            "line_items": [item.to_dict() for item in self.line_items],
            "uncertain": self.uncertain(),
            "text": self.text,
            "engine": self.engine,
            "engine_version": self.engine_version,
            "extractor_version": self.extractor_version,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReceiptResult:
        """Read what :meth:`to_dict` wrote (unknown keys are ignored)."""
        fields: dict[str, ExtractedField] = {}
        for name, raw in (data.get("fields") or {}).items():
            if not isinstance(raw, Mapping) or raw.get("value") is None:
                continue
            value: str | Decimal = str(raw["value"])
            if name in AMOUNT_FIELDS:
                amount = parse_amount(raw["value"])
                if amount is None:
                    continue
                value = amount
            fields[name] = ExtractedField(value=value, confidence=float(raw.get("confidence", 0)))
        items = tuple(
            LineItem(
                description=str(item.get("description", "")),
                amount=parse_amount(item.get("amount")),
                quantity=parse_amount(item.get("quantity")),
                confidence=float(item.get("confidence", 0)),
            )
            for item in data.get("line_items") or ()
            if isinstance(item, Mapping)
        )
        return cls(
            fields=fields,
            line_items=items,
            text=str(data.get("text", "")),
            engine=str(data.get("engine", "")),
            engine_version=str(data.get("engine_version", "")),
            extractor_version=str(data.get("extractor_version", "")),
        )
