"""The RapidOCR engine through the registry, on receipts rendered with Pillow."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ocr_desk.server.extract import EXTRACTOR_VERSION, extract
from ocr_desk.server.ocr import EngineUnavailableError, OcrEngine, get_engine
from ocr_desk.server.ocr.rapid import RapidOcrEngine

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


@pytest.mark.parametrize("value", [0, -1, 1.5, "6", True])
def test_rec_batch_must_be_a_whole_number_of_at_least_one(value: object) -> None:
    with pytest.raises(EngineUnavailableError, match="rec_batch must be a whole number"):
        get_engine("rapidocr", check=False, rec_batch=value)


def test_each_box_is_recognised_alone_by_default(engine: OcrEngine) -> None:
    from ocr_desk.server.ocr import rapid

    # rec_batch 1 reaches RapidOCR's recogniser: one box per pass, so no box is padded
    # to the width of a wider neighbour (which changes what is read).
    assert isinstance(engine, rapid.RapidOcrEngine)
    assert engine.settings["rec_batch"] == 1
    loaded = [m for key, m in rapid._MODELS.items() if ("Rec.rec_batch_num", 1) in key]
    assert loaded
    assert all(model.cfg.Rec.rec_batch_num == 1 for model in loaded)


def test_settings_list_what_changes_the_reading_but_not_the_threads() -> None:
    one = get_engine("rapidocr", check=False, threads=1)
    two = get_engine("rapidocr", check=False, threads=2)
    batched = get_engine("rapidocr", check=False, threads=1, rec_batch=6)
    assert isinstance(one, RapidOcrEngine)
    assert isinstance(two, RapidOcrEngine)
    assert isinstance(batched, RapidOcrEngine)
    assert one.settings == two.settings
    assert batched.settings == {**one.settings, "rec_batch": 6}
