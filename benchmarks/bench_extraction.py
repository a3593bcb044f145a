"""Receipt extraction measured on real receipts (default: the SROIE 2019 dev set).

Prints, per field, the share of receipts whose normalized value matches the ground
truth exactly (date as ISO 8601, total as a decimal, company and address with case
and whitespace folded), and seconds per receipt per engine. The baseline measured
in the same run is a naive reader on the same OCR lines (first row = company, first
date, largest amount = total); the ratio shows what the extractor adds.

    python benchmarks/bench_extraction.py [DATASET] [--engine rapidocr,tesseract]
        [--limit N] [--cache DIR] [--currency MYR] [--option KEY=VALUE]
        [--through-client-pipeline] [--show-misses]

Company and address are compared twice: *strict* (upper case, whitespace runs
collapsed) and *folded* (also no spaces next to punctuation: the truth's
"NO.53 55,57" and an OCR "NO.53 55, 57" are the same printed text, while a wrong
or missing character still counts as a miss). Both are printed.

``--through-client-pipeline`` first passes each image through the desktop's
capture pipeline (``ocr_desk.media.pipeline.render``) and reads the processed
version the desktop uploads, as a receipt travels end to end; the bytes uploaded
per receipt are printed too.

``--cache DIR`` keeps each image's OCR output there (per engine and its reading
settings, defaults included, keyed by the image's hash), so tuning the extraction does
not re-run OCR (timings then come from the cached run).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from decimal import Decimal, InvalidOperation
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ocr_desk.core import ReceiptResult  # noqa: E402
from ocr_desk.server.extract import extract  # noqa: E402
from ocr_desk.server.extract.layout import build_rows  # noqa: E402
from ocr_desk.server.extract.values import find_amounts, find_dates  # noqa: E402
from ocr_desk.server.ocr import OcrEngine, OcrLine, OcrOutput, get_engine, load_pages  # noqa: E402

FIELDS = ("company", "date", "address", "total")
_REPO = Path(__file__).resolve().parents[1]
# ../shared next to the repository; a git worktree under <root>/wt/<name> looks two up.
DEFAULT_DATASET = next(
    (
        base / "shared" / "datasets" / "sroie-dev"
        for base in (_REPO.parent, _REPO.parent.parent)
        if (base / "shared" / "datasets" / "sroie-dev").exists()
    ),
    _REPO.parent / "shared" / "datasets" / "sroie-dev",
)


def fold(text: str) -> str:
    """Case and whitespace folded: upper case, runs of whitespace as one space."""
    return re.sub(r"\s+", " ", str(text)).strip().upper()


def fold_punct(text: str) -> str:
    """:func:`fold`, and no space next to punctuation ("55, 57" = "55,57", "( X )" = "(X)").

    OCR engines split and join boxes at punctuation, so the spaces around a comma or a
    bracket are layout noise; spaces between two words still count.
    """
    return re.sub(r"\s*([,.;:&/()\-])\s*", r"\1", fold(text))


def norm_total(value: object) -> Decimal | None:
    digits = re.sub(r"[^\d.,\-]", "", str(value)).replace(",", "")
    try:
        return Decimal(digits).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def norm_date(value: str) -> str | None:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return value
    if re.fullmatch(r"(?:19|20)\d{6}", value.strip()):  # 20180304
        return f"{value[:4]}-{value[4:6]}-{value[6:8]}"
    found = find_dates(value)
    return found[0].iso if found else None


def truth(record: dict[str, str]) -> dict[str, object]:
    return {
        "company": fold(record["company"]),
        "date": norm_date(record["date"]),
        "address": fold(record["address"]),
        "total": norm_total(record["total"]),
    }


def predicted(result: ReceiptResult) -> dict[str, object]:
    total = result.value("total")
    return {
        "company": fold(str(result.value("merchant") or "")),
        "date": result.value("date"),
        "address": fold(str(result.value("merchant_address") or "")),
        "total": None if total is None else Decimal(total).quantize(Decimal("0.01")),
    }


def naive(output: OcrOutput) -> dict[str, object]:
    """The baseline: no layout rules at all."""
    rows = build_rows(output.lines)
    texts = [row.text for row in rows]
    dates = [d for t in texts for d in find_dates(t)]
    amounts = [a for t in texts for a, _, _ in find_amounts(t)]
    return {
        "company": fold(texts[0]) if texts else "",
        "date": dates[0].iso if dates else None,
        "address": fold(" ".join(texts[1:3])),
        "total": max(amounts).quantize(Decimal("0.01")) if amounts else None,
    }


def load_output(cache: Path | None, key: str, run: Callable[[], OcrOutput]) -> OcrOutput:
    path = None if cache is None else cache / f"{key}.json"
    if path is not None and path.exists():
        data = json.loads(path.read_text())
        lines = tuple(
            OcrLine(
                text=line["text"],
                confidence=line["confidence"],
                box=tuple(tuple(p) for p in line["box"]),  # type: ignore[arg-type]
                page=line.get("page", 0),
            )
            for line in data["lines"]
        )
        return OcrOutput(
            lines=lines,
            engine=data["engine"],
            engine_version=data["engine_version"],
            seconds=data["seconds"],
            pages=data.get("pages", 1),
        )
    output = run()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {
            "lines": [asdict(line) for line in output.lines],
            "engine": output.engine,
            "engine_version": output.engine_version,
            "seconds": output.seconds,
            "pages": output.pages,
        }
        path.write_text(json.dumps(record))
    return output


def option_value(text: str) -> object:
    """An engine option from the command line: int, float, true/false, else the text."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def settings_tag(engine: OcrEngine) -> str:
    """A short hash of the engine's effective reading settings (defaults included), if it
    lists them: a changed default then reads into a new cache directory, never an old one."""
    settings = getattr(engine, "settings", None)
    if not settings:
        return ""
    text = json.dumps(settings, sort_keys=True, default=str)
    return "s" + hashlib.sha256(text.encode()).hexdigest()[:8]


def client_processed(image: Path) -> bytes:
    """The processed version the desktop uploads for ``image`` (its first page)."""
    from ocr_desk.media.pipeline import CaptureLimits, VersionKind, read_source, render

    limits = CaptureLimits()
    prepared = render(read_source(image, limits=limits), limits=limits)
    return next(
        r.data for r in prepared.renditions if r.version == VersionKind.PROCESSED and r.page == 0
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", nargs="?", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--engine", default="rapidocr", help="comma-separated engine names")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--currency", default="MYR", help="the data set's default currency")
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument(
        "--option", action="append", default=[], help="engine option KEY=VALUE, e.g. threads=1"
    )
    parser.add_argument(
        "--through-client-pipeline",
        action="store_true",
        help="read the processed version the desktop uploads, not the original",
    )
    args = parser.parse_args(argv)
    manifest = args.dataset / "manifest.jsonl"
    if not manifest.exists():
        print(f"No data set at {args.dataset} (manifest.jsonl missing).", file=sys.stderr)
        return 2
    records = [json.loads(line) for line in manifest.read_text().splitlines() if line.strip()]
    if args.limit:
        records = records[: args.limit]
    options = {key: option_value(value) for key, value in (o.split("=", 1) for o in args.option)}
    # Thread count changes the speed, never the text: it stays out of the cache key.
    variant = "-".join(f"{k}={v}" for k, v in sorted(options.items()) if k != "threads")
    speeds: dict[str, float] = {}
    for name in args.engine.split(","):
        engine = get_engine(name, **options)
        hits = dict.fromkeys(FIELDS, 0)
        base_hits = dict.fromkeys(FIELDS, 0)
        counted = dict.fromkeys(FIELDS, 0)
        folded = dict.fromkeys(("company", "address"), 0)
        spaceless = dict.fromkeys(("company", "address"), 0)
        seconds = 0.0
        sent = 0
        for record in records:
            image = args.dataset / record["image"]
            source = client_processed(image) if args.through_client_pipeline else image.read_bytes()
            sent += len(source)
            cache = None
            if args.cache is not None:
                cache = args.cache / "-".join(filter(None, [name, variant, settings_tag(engine)]))

            def run(source: bytes = source, engine: OcrEngine = engine) -> OcrOutput:
                started = time.perf_counter()
                output = engine.recognize(load_pages(source))
                return OcrOutput(
                    lines=output.lines,
                    engine=output.engine,
                    engine_version=output.engine_version,
                    seconds=time.perf_counter() - started,
                    pages=output.pages,
                )

            # Keyed by content: the same bytes read the same, whichever way they came.
            key = hashlib.sha256(source).hexdigest()[:24]
            output = load_output(cache, key, run)
            started = time.perf_counter()
            result = extract(output, job_type="receipt", default_currency=args.currency)
            seconds += output.seconds + time.perf_counter() - started
            want, got, base = truth(record), predicted(result), naive(output)
            for field in FIELDS:
                if want[field] in (None, ""):
                    continue  # no usable ground truth for this field
                counted[field] += 1
                hits[field] += got[field] == want[field]
                if field in folded:
                    folded[field] += fold_punct(str(got[field])) == fold_punct(str(want[field]))
                    spaceless[field] += str(got[field]).replace(" ", "") == str(
                        want[field]
                    ).replace(" ", "")
                base_hits[field] += base[field] == want[field]
                if args.show_misses and got[field] != want[field]:
                    print(f"  {record['id']} {field}: got {got[field]!r} want {want[field]!r}")
        count = len(records)
        speeds[name] = seconds / count
        first = next(iter(speeds))
        print(
            f"engine {name} {engine.version} {variant or 'defaults'}: {count} receipts, "
            f"{seconds / count:.2f} s/receipt ({speeds[first] / speeds[name]:.2f}x the speed "
            f"of {first}); {sent / count / 1000:.0f} kB read per receipt"
            + (" (the desktop's processed version)" if args.through_client_pipeline else "")
        )
        for field in FIELDS:
            share = hits[field] / max(counted[field], 1)
            base_share = base_hits[field] / max(counted[field], 1)
            ratio = share / base_share if base_share else float("inf")
            extra = ""
            if field in folded:
                extra = f"   folded {folded[field] / max(counted[field], 1):6.1%}"
            print(
                f"  {field:8s} {share:6.1%} of {counted[field]:3d}{extra}   "
                f"baseline {base_share:6.1%}   ratio {ratio:5.2f}x"
            )
        for field, matched in spaceless.items():
            share = matched / max(counted[field], 1)
            print(f"  {field:8s} {share:6.1%} ignoring every space (for reference only)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
