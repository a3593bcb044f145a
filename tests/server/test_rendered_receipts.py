"""Rendered receipts of several layouts, fonts, tilts and noise, read by the real RapidOCR."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ocr_desk.server.extract import extract
from ocr_desk.server.ocr import OcrEngine, get_engine, load_pages

from .render import diner_receipt, invoice_document, kedai_receipt, render


@pytest.fixture(scope="module")
def engine() -> OcrEngine:
    return get_engine("rapidocr")


def test_us_diner_tilted_and_noisy_in_a_monospace_font(engine: OcrEngine) -> None:
    image = render(diner_receipt(), mono=True, angle=-4, noise=0.02, size=22)
    result = extract(engine.recognize([image]), job_type="receipt", default_currency="USD")
    assert result.value("merchant") == "BLUE MOON DINER"
    assert result.value("merchant_address") == "450 Elm Street Portland, OR 97205"
    assert result.value("date") == "2024-03-14"  # month first: dollars
    assert result.value("time") == "19:45"
    assert result.value("total") == Decimal("25.53")
    assert result.value("subtotal") == Decimal("23.45")
    assert result.value("tax") == Decimal("2.08")
    assert result.value("currency") == "USD"
    descriptions = [item.description for item in result.line_items]
    assert "Coffee" in descriptions
    assert "total" not in result.uncertain()


def test_invoice_photo_with_exif_rotation(engine: OcrEngine, tmp_path: object) -> None:
    import io

    from PIL import Image

    upright = render(invoice_document(), size=26, width=760)
    # A phone keeps the sensor's landscape pixels and says "rotate 90" in EXIF.
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", quality=90, exif=exif.tobytes())
    pages = load_pages(buffer.getvalue())
    result = extract(engine.recognize(pages), job_type="invoice", default_currency="USD")
    assert result.value("vendor") == "NORTHWIND TRADERS LTD"
    assert result.value("invoice_number") == "INV-1042"
    assert result.value("date") == "2024-03-05"
    assert result.value("due_date") == "2024-04-04"
    assert result.value("total") == Decimal("1234.50")
    assert result.value("tax") == Decimal("205.75")
    assert result.value("currency") == "GBP"


def test_name_over_two_large_rows_and_address_up_to_its_country(engine: OcrEngine) -> None:
    image = render(kedai_receipt(), size=22, noise=0.01)
    result = extract(engine.recognize([image]), job_type="receipt", default_currency="MYR")
    assert result.value("merchant") == "PUSTAKA MUTIARA"
    assert result.value("merchant_address") == (
        "No 8, Jalan Melur 5/12B, 56000 Kuala Lumpur, Malaysia"
    )
    assert result.value("date") == "2019-08-07"
    assert result.value("total") == Decimal("8.70")
