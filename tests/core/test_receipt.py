from __future__ import annotations

from decimal import Decimal

from ocr_desk.core import ExtractedField, LineItem, ReceiptResult, parse_amount


def test_round_trip_keeps_decimals_and_confidences() -> None:
    result = ReceiptResult(
        fields={
            "merchant": ExtractedField("ACME STORES", 0.93),
            "total": ExtractedField(Decimal("12.30"), 0.98),
            "tax": ExtractedField(Decimal("0.70"), 0.41),
        },
        line_items=(LineItem("Coffee", Decimal("3.50"), Decimal("2"), 0.8),),
        text="ACME STORES\nTOTAL 12.30",
        engine="rapidocr",
    )
    back = ReceiptResult.from_dict(result.to_dict())
    assert back == result
    assert back.value("total") == Decimal("12.30")
    assert isinstance(back.value("total"), Decimal)
    assert back.uncertain() == ["tax"]


def test_parse_amount_never_goes_through_binary_floats() -> None:
    assert parse_amount("12.30") == Decimal("12.30")
    assert parse_amount(0.1) == Decimal("0.1")
    assert parse_amount("abc") is None
    assert parse_amount("NaN") is None
    assert parse_amount(None) is None
