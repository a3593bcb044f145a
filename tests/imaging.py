"""Test images generated with Pillow (no binary fixtures): every format capture accepts."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, ImageDraw

MARKER = (220, 20, 20)
"""The colour of the block drawn in the top-left corner of an upright test image."""

# The transpose that undoes each EXIF orientation's display transform.
_STORE_AS = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def upright(width: int = 600, height: int = 300, *, seed: int = 0) -> Image.Image:
    """A landscape page: light background, a red block top-left, some dark 'text' lines."""
    image = Image.new("RGB", (width, height), (245, 245, 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width // 5, height // 5), fill=MARKER)
    step = max(8, height // 12)
    for i, y in enumerate(range(height // 4, height - step, step)):
        draw.rectangle(
            (width // 10, y, width // 2 + (seed * 37 + i * 53) % (width // 3), y + step // 3),
            fill=(30, 30, 30),
        )
    return image


def jpeg(image: Image.Image | None = None, *, orientation: int = 1, quality: int = 90) -> bytes:
    """JPEG bytes whose *displayed* picture is ``image`` (pixels stored per ``orientation``)."""
    image = image or upright()
    stored_as = _STORE_AS[orientation]
    stored = image.transpose(stored_as) if stored_as is not None else image
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", quality=quality, exif=exif.tobytes())
    return buffer.getvalue()


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def png(image: Image.Image | None = None) -> bytes:
    return encode(image or upright(), "PNG")


def webp(image: Image.Image | None = None) -> bytes:
    return encode(image or upright(), "WEBP", quality=80)


def tiff(pages: int = 3, size: tuple[int, int] = (300, 400)) -> bytes:
    images = [upright(*size, seed=i) for i in range(pages)]
    return encode(
        images[0], "TIFF", save_all=True, append_images=images[1:], compression="tiff_lzw"
    )


def pdf(pages: int = 2, size: tuple[int, int] = (248, 351)) -> bytes:
    """A PDF of ``pages`` small pages (A4 proportions, 300 dpi: rendered at the same size)."""
    images = [upright(*size, seed=i) for i in range(pages)]
    return encode(images[0], "PDF", save_all=True, append_images=images[1:], resolution=300.0)


def locked_pdf() -> bytes:
    """A PDF whose trailer asks for a password nobody knows (Standard security handler)."""
    data = pdf(pages=1)
    encrypt = (
        b"99 0 obj\n<< /Filter /Standard /V 1 /R 2 /O <"
        + b"ab" * 32
        + b"> /U <"
        + b"cd" * 32
        + b"> /P -4 >>\nendobj\n"
    )
    at = data.rfind(b"trailer")
    dict_at = data.find(b"<<", at) + 2
    ids = b" /Encrypt 99 0 R /ID [<" + b"01" * 16 + b"><" + b"01" * 16 + b">]"
    return data[:at] + encrypt + data[at:dict_at] + ids + data[dict_at:]


def heic(image: Image.Image | None = None) -> bytes:
    import pillow_heif

    buffer = io.BytesIO()
    pillow_heif.from_pillow(image or upright()).save(buffer, format="HEIF", quality=60)
    return buffer.getvalue()


def avif(image: Image.Image | None = None) -> bytes:
    """AVIF (AV1 in a HEIF container), which the sniffer reports as image/heif."""
    return encode(image or upright(), "AVIF", quality=60)


def jpeg_bomb(width: int = 60000, height: int = 60000) -> bytes:
    """A small JPEG whose header claims ``width`` x ``height`` pixels."""
    data = bytearray(jpeg(Image.new("RGB", (16, 16), "white")))
    for marker in (b"\xff\xc0", b"\xff\xc2"):
        at = data.find(marker)
        if at >= 0:
            struct.pack_into(">HH", data, at + 5, height, width)
            return bytes(data)
    raise AssertionError("no SOF marker")


def png_bomb(width: int = 40000, height: int = 40000) -> bytes:
    """A valid-looking PNG header for a huge 1-bit image, with almost no data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


def is_marker(pixel: tuple[int, ...] | float) -> bool:
    """True for a (JPEG-compressed) red marker pixel."""
    assert isinstance(pixel, tuple)
    r, g, b = pixel[:3]
    return r > 170 and g < 90 and b < 90


def load(source: object) -> Image.Image:
    """Open a path or bytes, decode it and close the file (keeps ``format``)."""
    fp = io.BytesIO(source) if isinstance(source, bytes) else source
    with Image.open(fp) as image:  # type: ignore[arg-type]
        image.load()
        return image
