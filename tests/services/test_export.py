"""One export for the CLI and the window: same columns, order and values; atomic files."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from ocr_desk.cli import main
from ocr_desk.core import ExtractedField, ManualClock, OcrDeskError, ReceiptResult
from ocr_desk.services import JobService
from ocr_desk.services.export import EXPORT_COLUMNS, export_to_file
from ocr_desk.settings import Settings
from ocr_desk.store import Store

from ..conftest import COMPANY, add_asset


def _complete(service: JobService, store: Store, clock: ManualClock, merchant: str) -> str:
    job = service.create_job(media_asset_id=add_asset(store, clock).id)
    service.start(job.id)
    service.complete(
        job.id,
        result=ReceiptResult(
            fields={
                "merchant": ExtractedField(merchant, 0.9),
                "total": ExtractedField(Decimal("9.90"), 0.9),
            }
        ),
    )
    clock.advance(60)
    return job.id


def test_the_cli_and_the_window_write_the_same_file(
    service: JobService, store: Store, clock: ManualClock, tmp_path: Path
) -> None:
    first = _complete(service, store, clock, "Café Nord")
    second = _complete(service, store, clock, "Bakery")
    service.create_job(media_asset_id=add_asset(store, clock).id)  # queued: not exported
    assert store.path is not None
    data_dir = store.path.parent
    Settings(company_id=COMPANY).save(data_dir)  # the CLI reads this company's rows
    for fmt in ("csv", "json"):
        from_window = tmp_path / f"window.{fmt}"
        assert export_to_file(store, company_id=COMPANY, path=from_window, fmt=fmt) == 2
        from_cli = tmp_path / f"cli.{fmt}"
        argv = ["--data-dir", str(data_dir), "export", "--format", fmt, "-o", str(from_cli)]
        assert main(argv, out=io.StringIO()) == 0
        assert from_cli.read_bytes() == from_window.read_bytes()
    text = (tmp_path / "window.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert [(r["job_id"], r["merchant"], r["total"]) for r in rows] == [
        (first, "Café Nord", "9.90"),
        (second, "Bakery", "9.90"),
    ]
    assert json.loads((tmp_path / "window.json").read_text(encoding="utf-8"))[0]["merchant"] == (
        "Café Nord"
    )


def test_a_failed_export_leaves_no_file(
    service: JobService, store: Store, clock: ManualClock, tmp_path: Path
) -> None:
    _complete(service, store, clock, "Bakery")
    folder = tmp_path / "exports"
    folder.mkdir()
    with pytest.raises(OcrDeskError, match="choose csv or json"):
        export_to_file(store, company_id=COMPANY, path=folder / "out.xml", fmt="xml")
    assert list(folder.iterdir()) == []
