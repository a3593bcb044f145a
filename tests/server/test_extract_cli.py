"""``ocr-desk-server extract``: the real engine on rendered receipt files, text and JSON."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from ocr_desk.server import extract_cli

from .render import grocery_receipt, render


def _run(*argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="ocr-desk-server")
    extract_cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["extract", *argv])
    out = io.StringIO()
    return args.handler(args, out), out.getvalue()


@pytest.fixture(scope="module")
def receipt_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("receipts") / "grocery.jpg"
    render(grocery_receipt(), angle=2, noise=0.01).save(path, "JPEG", quality=85)
    return path


def test_json_has_one_object_per_image_and_errors_for_junk(
    receipt_file: Path, tmp_path: Path
) -> None:
    junk = tmp_path / "notes.jpg"
    junk.write_bytes(b"these are not the pixels you are looking for")
    status, printed = _run(str(receipt_file), str(junk), "--json")
    assert status == 1
    good, bad = json.loads(printed)
    assert good["image"] == str(receipt_file)
    assert good["fields"]["merchant"]["value"] == "GREEN LEAF MARKET LTD"
    assert good["fields"]["date"]["value"] == "2018-12-25"
    assert good["fields"]["total"]["value"] == "10.12"
    assert 0 < good["fields"]["total"]["confidence"] <= 1
    assert good["engine"] == "rapidocr"
    assert good["extractor_version"]
    assert bad["error"]["code"] == "UNSUPPORTED_MEDIA"


def test_text_output_lists_fields(receipt_file: Path) -> None:
    status, printed = _run(str(receipt_file), "--job-type", "receipt")
    assert status == 0
    assert "total" in printed
    assert "10.12" in printed
    assert "engine rapidocr" in printed


def test_bad_engine_option_is_refused(receipt_file: Path) -> None:
    with pytest.raises(ValueError, match="KEY=VALUE"):
        _run(str(receipt_file), "--engine-option", "nonsense")
