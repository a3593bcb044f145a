from __future__ import annotations

import io

import pytest
from PIL import Image

from ocr_desk.core import sniff_mime


def _image_bytes(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buf, fmt)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("fmt", "mime"),
    [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("TIFF", "image/tiff"), ("WEBP", "image/webp")],
)
def test_sniffs_images_made_by_pillow(fmt: str, mime: str) -> None:
    assert sniff_mime(_image_bytes(fmt)[:64]) == mime


def test_sniffs_pdf_and_heic_brands() -> None:
    assert sniff_mime(b"%PDF-1.7\n%\xe2\xe3") == "application/pdf"
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
    assert sniff_mime(heic) == "image/heic"
    avif = b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf"
    assert sniff_mime(avif) == "image/heif"


@pytest.mark.parametrize(
    "head", [b"", b"hello world", b"GIF89a......", b"PK\x03\x04zip", b"\xff\xd8"]
)
def test_other_content_is_unknown(head: bytes) -> None:
    assert sniff_mime(head) is None
