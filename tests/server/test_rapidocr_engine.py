"""The RapidOCR engine through the registry, on receipts rendered with Pillow."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ocr_desk.server.extract import EXTRACTOR_VERSION, extract
from ocr_desk.server.ocr import EngineUnavailableError, OcrEngine, get_engine

from .render import grocery_receipt, render


@pytest.fixture(scope="module")
def engine() -> OcrEngine:
    return get_engine("rapidocr")


def test_unknown_engine_fails_at_start_with_the_choices() -> None:
    with pytest.raises(EngineUnavailableError, match="rapidocr"):
        get_engine("nonesuch")


def test_bad_engine_configuration_is_unavailable() -> None:
    with pytest.raises(EngineUnavailableError, match="configuration"):
        get_engine("rapidocr", no_such_option=1)


def test_engine_is_loaded_once_per_process(engine: OcrEngine) -> None:
    from ocr_desk.server.ocr import rapid

    loaded = len(rapid._MODELS)
    get_engine("rapidocr")
    assert len(rapid._MODELS) == loaded


def test_rendered_receipt_reads_back_its_fields(engine: OcrEngine) -> None:
    output = engine.recognize([render(grocery_receipt())])
    assert output.engine == "rapidocr"
    assert output.engine_version
    assert output.seconds > 0
    assert output.pages == 1
    assert all(0 <= line.confidence <= 1 for line in output.lines)
    result = extract(output, job_type="receipt", default_currency="USD")
    assert result.value("merchant") == "GREEN LEAF MARKET LTD"
    assert result.value("date") == "2018-12-25"
    assert result.value("time") == "14:32"
    assert result.value("total") == Decimal("10.12")
    assert result.value("subtotal") == Decimal("9.55")
    assert result.value("tax") == Decimal("0.57")
    assert result.extractor_version == EXTRACTOR_VERSION
    assert result.engine == "rapidocr"
