"""The Tesseract engine with the real binary (``make test`` installs it when missing)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ocr_desk.server.extract import extract
from ocr_desk.server.ocr import EngineUnavailableError, TransientEngineError, get_engine

from .render import Row, grocery_receipt, render


def test_rendered_receipt_reads_back_its_fields() -> None:
    engine = get_engine("tesseract")
    output = engine.recognize([render(grocery_receipt(), mono=True)])
    assert output.engine == "tesseract"
    assert output.engine_version[0].isdigit()
    assert output.pages == 1
    assert all(0 <= line.confidence <= 1 for line in output.lines)
    result = extract(output, job_type="receipt")
    assert result.value("merchant") == "GREEN LEAF MARKET LTD"
    assert result.value("date") == "2018-12-25"
    assert result.value("total") == Decimal("10.12")
    assert result.engine == "tesseract"


def test_every_page_is_read_with_its_page_number() -> None:
    engine = get_engine("tesseract")
    pages = [render([Row("FIRST PAGE")]), render([Row("SECOND PAGE")])]
    output = engine.recognize(pages)
    assert output.pages == 2
    assert {line.page for line in output.lines} == {0, 1}


def test_missing_binary_fails_at_start_with_what_to_install() -> None:
    with pytest.raises(EngineUnavailableError, match="apt-get install tesseract-ocr"):
        get_engine("tesseract", binary="/nonexistent/tesseract")


def test_missing_language_data_fails_at_start() -> None:
    with pytest.raises(EngineUnavailableError, match="language data for xyz"):
        get_engine("tesseract", lang="xyz")


def test_a_run_over_its_time_limit_is_transient() -> None:
    engine = get_engine("tesseract", timeout=0.001)
    with pytest.raises(TransientEngineError, match="retried"):
        engine.recognize([render(grocery_receipt())])
