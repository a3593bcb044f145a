"""``ocr-desk-server extract IMAGE... [--engine NAME] [--json]``: OCR files without a job.

For administrators checking what the engine and the extraction make of an image:
prints each file's fields with their confidences (``--json``: a JSON array with one
object per image: ``{"image", "fields", "line_items", "uncertain", "text", "engine",
"engine_version", "extractor_version", "seconds", "pages"}``, or ``{"image",
"error": {"code", "message"}}`` for a file that could not be read). Exits 1 when
any file failed.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any, TextIO

from ocr_desk.core import UNCERTAIN_BELOW, OcrDeskError
from ocr_desk.server.extract import JOB_TYPES, extract
from ocr_desk.server.ocr import ENGINE_NAMES, EngineError, get_engine, load_pages

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "extract",
        help="run OCR and field extraction on image files, without a job",
        description="Run the OCR engine and the receipt extraction on files and print "
        "the fields with their confidences.",
    )
    parser.add_argument("images", nargs="+", metavar="IMAGE", type=Path)
    parser.add_argument(
        "--engine",
        default="rapidocr",
        help=f"OCR engine ({', '.join(ENGINE_NAMES)}; default: rapidocr)",
    )
    parser.add_argument(
        "--engine-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an engine setting, e.g. threads=2 or url=http://127.0.0.1:8000/v1 (repeatable)",
    )
    parser.add_argument("--job-type", choices=JOB_TYPES, default="receipt")
    parser.add_argument(
        "--currency", default="USD", help="currency when the receipt shows none (default: USD)"
    )
    parser.add_argument("--json", action="store_true", help="print a JSON array")
    parser.set_defaults(handler=cmd_extract)


def _options(pairs: list[str]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--engine-option {pair!r} is not KEY=VALUE")
        value: Any = raw
        for convert in (int, float):
            try:
                value = convert(raw)
                break
            except ValueError:
                continue
        options[key.strip().replace("-", "_")] = value
    return options


def cmd_extract(args: argparse.Namespace, out: TextIO) -> int:
    engine = get_engine(args.engine, **_options(args.engine_option))
    reports: list[dict[str, Any]] = []
    failed = 0
    for image in args.images:
        started = time.perf_counter()
        try:
            pages = load_pages(image)
            output = engine.recognize(pages)
        except (EngineError, OcrDeskError) as exc:
            failed += 1
            report: dict[str, Any] = {
                "image": str(image),
                "error": {"code": getattr(exc, "code", "ENGINE_ERROR"), "message": str(exc)},
            }
        else:
            result = extract(output, job_type=args.job_type, default_currency=args.currency)
            report = {"image": str(image), **result.to_dict()}
            report["seconds"] = round(time.perf_counter() - started, 3)
            report["pages"] = output.pages
            if output.usage:
                report["usage"] = dict(output.usage)
            if output.cost is not None:
                report["cost"] = str(output.cost)
        reports.append(report)
        if not args.json:
            _print_text(report, out)
    if args.json:
        json.dump(reports, out, indent=2, ensure_ascii=False)
        out.write("\n")
    return 1 if failed else 0


def _print_text(report: dict[str, Any], out: TextIO) -> None:
    out.write(f"{report['image']}\n")
    if "error" in report:
        out.write(f"  error: {report['error']['message']}\n\n")
        return
    for name, found in report["fields"].items():
        flag = "  (uncertain)" if found["confidence"] < UNCERTAIN_BELOW else ""
        out.write(f"  {name:16s} {found['value']}  [{found['confidence']:.2f}]{flag}\n")
    for item in report["line_items"]:
        quantity = f"{item['quantity']} x " if item["quantity"] else ""
        out.write(f"  - {quantity}{item['description']}  {item['amount'] or ''}\n")
    out.write(
        f"  engine {report['engine']} {report['engine_version']}, "
        f"extractor {report['extractor_version']}, {report['seconds']:.2f} s, "
        f"{report['pages']} page(s)\n\n"
    )
