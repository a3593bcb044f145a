"""load_pages: sniffed content, EXIF orientation, bounded size, multi-page, clear errors."""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2
import pytest
from PIL import Image

from ocr_desk.server.ocr import BadImageError, load_pages


def _bytes(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def test_jpeg_is_bounded_and_rgb() -> None:
    data = _bytes(Image.new("L", (3000, 1500), 200), "JPEG")
    [page] = load_pages(data, max_side=1000)
    assert page.mode == "RGB"
    assert max(page.size) == 1000
    assert page.size[0] > page.size[1]


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    image = Image.new("RGB", (400, 200), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    path = tmp_path / "photo.jpg"
    image.save(path, "JPEG", exif=exif.tobytes())
    [page] = load_pages(path)
    assert page.size == (200, 400)


def test_png_with_alpha_is_flattened_on_white() -> None:
    data = _bytes(Image.new("RGBA", (50, 40), (0, 0, 0, 0)), "PNG")
    [page] = load_pages(data)
    assert page.getpixel((10, 10)) == (255, 255, 255)


def test_multipage_tiff_gives_every_page_and_respects_max_pages() -> None:
    frames = [Image.new("RGB", (60, 80), colour) for colour in ("red", "green", "blue")]
    data = _bytes(frames[0], "TIFF", save_all=True, append_images=frames[1:])
    pages = load_pages(data)
    assert [page.getpixel((5, 5)) for page in pages] == [(255, 0, 0), (0, 128, 0), (0, 0, 255)]
    with pytest.raises(BadImageError, match="3 pages"):
        load_pages(data, max_pages=2)


def test_webp_and_pdf_pages() -> None:
    [page] = load_pages(_bytes(Image.new("RGB", (70, 90), "white"), "WEBP"))
    assert page.size == (70, 90)
    pdf = pypdfium2.PdfDocument.new()
    pdf.new_page(300, 400)
    pdf.new_page(300, 400)
    buffer = io.BytesIO()
    pdf.save(buffer)
    pdf.close()
    pages = load_pages(buffer.getvalue(), max_side=800)
    assert len(pages) == 2
    assert max(pages[0].size) <= 800


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"hello, this is not an image at all" * 3, "not a JPEG"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 40, "could not be decoded"),
        (b"%PDF-1.4 garbage", "PDF"),
    ],
)
def test_junk_is_a_bad_image(data: bytes, message: str) -> None:
    with pytest.raises(BadImageError, match=message):
        load_pages(data)


def test_truncated_png_is_a_bad_image() -> None:
    data = _bytes(Image.new("RGB", (300, 300), "white"), "PNG")
    with pytest.raises(BadImageError):
        load_pages(data[: len(data) // 2])


def test_missing_file_is_a_bad_image(tmp_path: Path) -> None:
    with pytest.raises(BadImageError, match="Cannot read"):
        load_pages(tmp_path / "nope.jpg")


def test_heic_photo_is_read() -> None:
    import pillow_heif

    pillow_heif.register_heif_opener()
    data = _bytes(Image.new("RGB", (64, 48), (200, 30, 30)), "HEIF")
    [page] = load_pages(data)
    assert page.size == (64, 48)
    red, green, _ = page.getpixel((10, 10))  # type: ignore[misc]
    assert red > 150 > green


def test_decompression_bomb_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from ocr_desk.server.ocr import pages

    monkeypatch.setattr(pages, "MAX_PIXELS", 10_000)
    data = _bytes(Image.new("RGB", (200, 200), "white"), "PNG")
    with pytest.raises(BadImageError, match="more than this server reads"):
        load_pages(data)
