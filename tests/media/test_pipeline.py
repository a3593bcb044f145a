"""The ingest pipeline: every format, the four versions, orientation, and every bad input."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image

from ocr_desk.core import CaptureError, CaptureErrorCode
from ocr_desk.media import (
    CaptureLimits,
    VersionKind,
    check_source,
    plan_reduction,
    read_source,
    render,
)
from ocr_desk.media.pipeline import Prepared, strip_jpeg_metadata

from .. import imaging

LIMITS = CaptureLimits()


def prepare(data: bytes, name: str = "x", limits: CaptureLimits = LIMITS) -> Prepared:
    return render(check_source(data, name=name, limits=limits), limits=limits)


def versions(prepared: Prepared, kind: VersionKind) -> list[Image.Image]:
    return [Image.open(io.BytesIO(r.data)) for r in prepared.renditions if r.version is kind]


@pytest.mark.parametrize(
    ("size", "factor", "final"),
    [
        ((4000, 3000), 2, (2000, 1500)),  # 12-MP phone photo: DCT scale 1/2, no resize
        ((4032, 3024), 2, (2016, 1512)),
        ((8000, 6000), 4, (2000, 1500)),  # 48 MP
        ((2480, 3508), 1, (2480, 3508)),  # A4 at 300 dpi: kept as it is
        ((4960, 7016), 2, (2480, 3508)),  # A4 at 600 dpi: halved to 300 dpi
        ((3900, 2000), 1, (3508, 1799)),  # too long, cannot halve: capped
        ((300, 200), 1, (300, 200)),  # never upscaled
    ],
)
def test_plan_reduction(size: tuple[int, int], factor: int, final: tuple[int, int]) -> None:
    assert plan_reduction(size) == (factor, final)


@pytest.mark.parametrize(
    ("maker", "mime", "pages"),
    [
        (imaging.jpeg, "image/jpeg", 1),
        (imaging.png, "image/png", 1),
        (imaging.webp, "image/webp", 1),
        (imaging.heic, "image/heic", 1),
        (imaging.avif, "image/heif", 1),
        (imaging.tiff, "image/tiff", 3),
        (imaging.pdf, "application/pdf", 2),
    ],
)
def test_every_format_gives_four_versions(maker: object, mime: str, pages: int) -> None:
    data = maker()  # type: ignore[operator]
    prepared = prepare(data)
    assert prepared.source.mime_type == mime
    assert prepared.page_count == pages
    original = [r for r in prepared.renditions if r.version is VersionKind.ORIGINAL]
    assert len(original) == 1
    assert original[0].data == data  # untouched
    processed = versions(prepared, VersionKind.PROCESSED)
    display = versions(prepared, VersionKind.DISPLAY)
    thumbs = versions(prepared, VersionKind.THUMBNAIL)
    assert [p.format for p in processed] == ["JPEG"] * pages
    assert [d.format for d in display] == ["WEBP"] * pages
    assert [(t.format, t.size) for t in thumbs] == [("JPEG", (150, 150))]
    for page in processed:
        assert page.mode in ("RGB", "L")
        assert max(page.size) <= 3508
    assert all(max(d.size) <= 1600 for d in display)


def test_large_photo_is_decoded_at_half_size_and_never_upscaled() -> None:
    big = prepare(imaging.jpeg(imaging.upright(4400, 2200)))
    assert versions(big, VersionKind.PROCESSED)[0].size == (2200, 1100)
    assert (big.width, big.height) == (4400, 2200)
    small = prepare(imaging.jpeg(imaging.upright(320, 160)))
    assert versions(small, VersionKind.PROCESSED)[0].size == (320, 160)
    assert versions(small, VersionKind.DISPLAY)[0].size == (320, 160)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_rotated_photos_come_out_upright(orientation: int) -> None:
    prepared = prepare(imaging.jpeg(imaging.upright(600, 300), orientation=orientation))
    assert (prepared.width, prepared.height) == (600, 300)
    for kind in (VersionKind.PROCESSED, VersionKind.DISPLAY):
        page = versions(prepared, kind)[0].convert("RGB")
        assert page.size == (600, 300)
        assert imaging.is_marker(page.getpixel((5, 5)))
        assert not imaging.is_marker(page.getpixel((page.width - 5, page.height - 5)))
    processed = versions(prepared, VersionKind.PROCESSED)[0]
    assert processed.getexif().get(0x0112) in (None, 1)


def test_rotated_large_photo_is_upright_through_draft_decoding() -> None:
    prepared = prepare(imaging.jpeg(imaging.upright(4400, 2200), orientation=6))
    page = versions(prepared, VersionKind.PROCESSED)[0]
    assert page.size == (2200, 1100)
    assert imaging.is_marker(page.getpixel((10, 10)))
    assert (prepared.width, prepared.height) == (4400, 2200)


def test_sixteen_bit_scan_keeps_its_contrast() -> None:
    gray = Image.linear_gradient("L").resize((256, 64)).convert("I")
    deep = gray.point(lambda v: v * 256).convert("I;16")
    page = versions(prepare(imaging.encode(deep, "PNG")), VersionKind.PROCESSED)[0]
    assert page.mode == "L"
    lo, hi = page.getextrema()  # type: ignore[misc]
    assert lo < 40
    assert hi > 200


def test_transparency_is_flattened_on_white() -> None:
    clear = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    page = versions(prepare(imaging.encode(clear, "PNG")), VersionKind.PROCESSED)[0]
    assert page.mode == "RGB"
    assert min(page.getpixel((32, 32))) > 240  # type: ignore[arg-type]


def test_mislabeled_file_is_taken_by_its_content(tmp_path: Path) -> None:
    path = tmp_path / "receipt.jpg"
    path.write_bytes(imaging.png())
    assert read_source(path, limits=LIMITS).mime_type == "image/png"


def truncated() -> bytes:
    data = imaging.jpeg(imaging.upright(800, 600))
    return data[: len(data) // 2]


def corrupt() -> bytes:
    return imaging.jpeg()[:200] + os.urandom(4000)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", CaptureErrorCode.EMPTY),
        (b"Total: 12.30 EUR\nThank you!\n" * 20, CaptureErrorCode.UNSUPPORTED),
        (b"GIF89a" + b"\x00" * 100, CaptureErrorCode.UNSUPPORTED),
        (truncated(), CaptureErrorCode.CORRUPT),
        (corrupt(), CaptureErrorCode.CORRUPT),
        (b"%PDF-1.7\n" + b"garbage " * 100, CaptureErrorCode.CORRUPT),
        (b"\x00\x00\x00\x18ftypheic" + b"\x00" * 200, CaptureErrorCode.CORRUPT),
        (imaging.jpeg_bomb(), CaptureErrorCode.TOO_MANY_PIXELS),
        (imaging.png_bomb(), CaptureErrorCode.TOO_MANY_PIXELS),
        (imaging.tiff(pages=51, size=(8, 8)), CaptureErrorCode.TOO_MANY_PAGES),
        (imaging.pdf(pages=51, size=(8, 8)), CaptureErrorCode.TOO_MANY_PAGES),
        (imaging.locked_pdf(), CaptureErrorCode.UNSUPPORTED),
    ],
    ids=[
        "empty",
        "text",
        "gif",
        "truncated",
        "corrupt",
        "corrupt-pdf",
        "corrupt-heic",
        "jpeg-bomb",
        "png-bomb",
        "tiff-51-pages",
        "pdf-51-pages",
        "password-pdf",
    ],
)
def test_bad_input_gets_its_code_and_a_message(data: bytes, code: CaptureErrorCode) -> None:
    with pytest.raises(CaptureError) as info:
        prepare(data, name="bad file.jpg")
    assert info.value.capture_code is code
    assert "bad file.jpg" in info.value.message


def test_files_above_the_size_limit_are_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.jpg"
    with path.open("wb") as handle:  # sparse: costs no disk
        handle.write(imaging.jpeg())
        handle.truncate(50 * 1024 * 1024 + 1)
    with pytest.raises(CaptureError) as info:
        read_source(path, limits=LIMITS)
    assert info.value.capture_code is CaptureErrorCode.TOO_LARGE
    assert "50 MB" in info.value.message


def test_missing_folder_and_unreadable_paths(tmp_path: Path) -> None:
    cases = {
        tmp_path / "nope.jpg": CaptureErrorCode.NOT_FOUND,
        tmp_path: CaptureErrorCode.IS_DIRECTORY,
    }
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    cases[fifo] = CaptureErrorCode.UNREADABLE
    for path, code in cases.items():
        with pytest.raises(CaptureError) as info:
            read_source(path, limits=LIMITS)
        assert info.value.capture_code is code, path
        assert str(path) in info.value.message


def test_rotated_heic_comes_out_upright() -> None:
    """A phone HEIC: sensor pixels stored sideways, orientation 6 (written as an irot box)."""
    import pillow_heif

    stored = imaging.upright(600, 300).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    heif = pillow_heif.from_pillow(stored)
    heif.info["exif"] = exif.tobytes()
    buffer = io.BytesIO()
    heif.save(buffer, quality=80)
    prepared = prepare(buffer.getvalue())
    page = versions(prepared, VersionKind.PROCESSED)[0].convert("RGB")
    assert page.size == (600, 300)
    assert (prepared.width, prepared.height) == (600, 300)
    assert imaging.is_marker(page.getpixel((5, 5)))


def _processed_bytes(prepared: Prepared) -> bytes:
    return next(r.data for r in prepared.renditions if r.version is VersionKind.PROCESSED)


def test_upright_jpeg_within_bounds_is_uploaded_without_a_second_lossy_encode() -> None:
    picture = imaging.upright(640, 480)
    exif = Image.Exif()
    exif[0x0112] = 1
    exif[0x010F] = "Phone maker"  # camera metadata, as GPS would be: not sent on
    data = imaging.encode(picture, "JPEG", quality=92, exif=exif.tobytes(), icc_profile=b"icc")
    prepared = prepare(data)

    processed = _processed_bytes(prepared)
    image = Image.open(io.BytesIO(processed))
    assert image.format == "JPEG"
    assert not image.getexif()
    assert image.info.get("icc_profile") == b"icc"  # colour profile kept
    # The same compressed scan: pixels decode identically to the original's.
    assert image.tobytes() == Image.open(io.BytesIO(data)).tobytes()
    assert processed.endswith(data[data.index(b"\xff\xda") :])

    bare = imaging.encode(picture, "JPEG", quality=92)
    kept = prepare(bare)
    assert _processed_bytes(kept) == bare  # nothing to leave out: the very same file
    relpaths = {r.version: r.relpath for r in kept.renditions}
    assert relpaths[VersionKind.PROCESSED] == relpaths[VersionKind.ORIGINAL]  # stored once


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(imaging.jpeg(imaging.upright(600, 300), orientation=6), id="rotated"),
        pytest.param(imaging.jpeg(imaging.upright(4400, 2200)), id="reduced"),
        pytest.param(imaging.png(imaging.upright(600, 300)), id="png"),
        pytest.param(imaging.encode(imaging.upright(600, 300).convert("CMYK"), "JPEG"), id="cmyk"),
    ],
)
def test_jpeg_that_must_change_is_re_encoded(data: bytes) -> None:
    prepared = prepare(data)
    processed = _processed_bytes(prepared)
    assert processed != data
    image = Image.open(io.BytesIO(processed))
    assert (image.format, image.mode) in (("JPEG", "RGB"), ("JPEG", "L"))
    assert image.getexif().get(0x0112, 1) == 1


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff\xd8",
        b"\xff\xd8\x00\x10",
        b"\xff\xd8\xff\xe0\x00\x01",
        b"\xff\xd8\xff\xe1\x01\x00ab",
    ],
)
def test_malformed_jpeg_segments_are_not_passed_through(data: bytes) -> None:
    assert strip_jpeg_metadata(data) is None
