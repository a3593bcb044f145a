"""The sync commands that work on the local store alone: export, retry, cancel, errors."""

from __future__ import annotations

import csv
import io
import json
import os
from decimal import Decimal
from pathlib import Path

import pytest

from ocr_desk.cli import main
from ocr_desk.core import ExtractedField, JobStatus, ManualClock, ReceiptResult
from ocr_desk.services import JobService
from ocr_desk.store import DB_FILENAME, open_store

from ..conftest import add_asset


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def _receipt(merchant: str, total: str) -> ReceiptResult:
    return ReceiptResult(
        fields={
            "merchant": ExtractedField(merchant, 0.9),
            "date": ExtractedField("2026-03-09", 0.8),
            "total": ExtractedField(Decimal(total), 0.95),
            "tax": ExtractedField(Decimal("1.10"), 0.7),
            "currency": ExtractedField("EUR", 0.9),
        }
    )


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    clock = ManualClock()
    with open_store(tmp_path / DB_FILENAME) as store:
        service = JobService(store, company_id="local", clock=clock)
        for merchant, total in (("Cafe Nord", "12.30"), ("Bakery", "4.50")):
            job = service.create_job(media_asset_id=add_asset(store, clock, company_id="local").id)
            service.start(job.id)
            service.complete(job.id, result=_receipt(merchant, total))
            service.record_cost(
                job.id,
                amount=Decimal("0.0100"),
                currency="USD",
                units=Decimal(1),
                unit_kind="page",
            )
            clock.advance(60)
        failed = service.create_job(media_asset_id=add_asset(store, clock, company_id="local").id)
        service.start(failed.id)
        service.fail(failed.id, error="boom", retryable=False)
        service.create_job(media_asset_id=add_asset(store, clock, company_id="local").id)
    return tmp_path


def test_export_csv_and_json(data_dir: Path) -> None:
    code, text = run("--data-dir", str(data_dir), "export", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["merchant"], r["total"], r["tax"], r["currency"]) for r in rows] == [
        ("Cafe Nord", "12.30", "1.10", "EUR"),
        ("Bakery", "4.50", "1.10", "EUR"),
    ]
    assert {r["cost"] for r in rows} == {"0.0100"}
    assert rows[0]["job_type"] == "receipt"
    target = data_dir / "out.json"
    code, text = run("--data-dir", str(data_dir), "export", "--format", "json", "-o", str(target))
    assert code == 0
    assert "2 receipt(s)" in text
    assert [r["merchant"] for r in json.loads(target.read_text())] == ["Cafe Nord", "Bakery"]


def test_export_since_filters_by_capture_date(data_dir: Path) -> None:
    code, text = run(
        "--data-dir", str(data_dir), "export", "--format", "json", "--since", "2030-01-01"
    )
    assert code == 0
    assert json.loads(text) == []
    code, _ = run("--data-dir", str(data_dir), "export", "--since", "yesterday")
    assert code == 1


def test_retry_and_cancel_by_id_prefix(data_dir: Path) -> None:
    code, text = run("--data-dir", str(data_dir), "jobs", "--status", "failed", "--json")
    failed_id = json.loads(text)[0]["id"]
    code, text = run("--data-dir", str(data_dir), "retry", failed_id[-12:])
    assert code == 1  # a suffix is not a prefix: not found
    code, text = run("--data-dir", str(data_dir), "retry", failed_id[:13])
    assert code == 0
    assert failed_id in text
    code, text = run("--data-dir", str(data_dir), "cancel", failed_id)
    assert code == 0
    assert "cancelled" in text
    with open_store(data_dir / DB_FILENAME) as store:
        job = JobService(store, company_id="local").get(failed_id)
    assert job.status is JobStatus.CANCELLED
    code, text = run("--data-dir", str(data_dir), "retry")
    assert code == 0
    assert text.startswith("0 failed job(s)")


def test_sync_without_a_server_says_to_sign_in(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run("--data-dir", str(data_dir), "sync")
    assert code == 1
    assert "ocr-desk login --server" in capsys.readouterr().err


def test_jobs_shows_ids_a_person_can_type_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Ids are time-ordered: jobs captured in the same second share their first
    # characters, so the list must show each one long enough to be unique.
    clock = ManualClock()
    with open_store(tmp_path / DB_FILENAME) as store:
        service = JobService(store, company_id="local", clock=clock)
        ids = [
            service.create_job(media_asset_id=add_asset(store, clock, company_id="local").id).id
            for _ in range(5)
        ]
        for job_id in ids[:3]:
            service.start(job_id)
            service.fail(job_id, error="boom", retryable=False)
    code, text = run("--data-dir", str(tmp_path), "jobs")
    assert code == 0
    shown = [line.split()[0] for line in text.splitlines()[1:] if line.strip()]
    assert len(shown) == 5
    assert len(set(shown)) == 5
    assert all(len(s) >= 8 and not s.endswith("-") for s in shown)
    assert all(sum(i.startswith(s) for i in ids) == 1 for s in shown)

    # A start shared by several jobs is refused with what to do, not guessed.
    common = os.path.commonprefix(ids)
    code, _ = run("--data-dir", str(tmp_path), "cancel", common)
    assert code == 1
    assert "several job ids" in capsys.readouterr().err

    # Each shown id works; a bad one among them does not stop the rest.
    failed_shown = [s for s in shown if any(i.startswith(s) for i in ids[:3])]
    code, text = run(
        "--data-dir", str(tmp_path), "retry", failed_shown[0], "nope", *failed_shown[1:]
    )
    assert code == 1
    assert sorted(line.split()[0] for line in text.splitlines()) == sorted(ids[:3])
    assert "no job 'nope'" in capsys.readouterr().err
