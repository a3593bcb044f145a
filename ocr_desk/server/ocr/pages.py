"""Turn an uploaded document into page images an engine can read.

Content is sniffed (never trusted from a name), EXIF orientation is applied, and
every page is bounded in size so one huge phone photo cannot exhaust a worker's
memory. Anything that does not decode is a :class:`BadImageError`: retrying it
will never help, so the job fails at once.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageOps

from ocr_desk.core import sniff_mime
from ocr_desk.server.ocr.base import BadImageError

__all__ = ["DEFAULT_MAX_SIDE", "MAX_PIXELS", "load_pages"]

DEFAULT_MAX_SIDE = 2000
"""Longest side of a page handed to an engine (RapidOCR's own detector limit)."""

MAX_PIXELS = 80_000_000
"""Decoded pixels above this are refused as a likely decompression bomb."""

PDF_DPI = 200


def load_pages(
    source: str | Path | bytes,
    *,
    max_pages: int = 50,
    max_side: int = DEFAULT_MAX_SIDE,
) -> list[Image.Image]:
    """The pages of an image or PDF as oriented RGB images no larger than ``max_side``.

    ``source`` is a file path or the file's bytes. Raises :class:`BadImageError` for
    content that is not a supported image/PDF, is corrupt, or has more than
    ``max_pages`` pages.
    """
    data = _read(source)
    mime = sniff_mime(data[:64])
    if mime is None:
        raise BadImageError(
            "The file is not a JPEG, PNG, TIFF, WebP, HEIC/HEIF or PDF document; "
            "upload a photo or scan of the receipt in one of these formats."
        )
    try:
        if mime == "application/pdf":
            pages = _pdf_pages(data, max_pages=max_pages, max_side=max_side)
        else:
            pages = _image_pages(data, mime=mime, max_pages=max_pages, max_side=max_side)
    except BadImageError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise BadImageError(
            f"The {mime} file could not be decoded ({exc}); it is corrupt or truncated. "
            "Capture the receipt again."
        ) from exc
    if not pages:
        raise BadImageError("The document has no pages; capture the receipt again.")
    return pages


def _read(source: str | Path | bytes) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    else:
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise BadImageError(f"Cannot read {source}: {exc.strerror or exc}.") from exc
    if not data:
        raise BadImageError("The file is empty; capture the receipt again.")
    return data


def _bound(image: Image.Image, max_side: int) -> Image.Image:
    """Oriented, RGB, longest side at most ``max_side`` (never enlarged)."""
    image = ImageOps.exif_transpose(image) or image
    if image.mode != "RGB":
        if image.mode in ("RGBA", "LA", "PA") or (
            image.mode == "P" and "transparency" in image.info
        ):
            rgba = image.convert("RGBA")
            flat = Image.new("RGB", rgba.size, (255, 255, 255))
            flat.paste(rgba, mask=rgba.getchannel("A"))
            image = flat
        else:
            image = image.convert("RGB")
    if max(image.size) > max_side:
        image = image.copy()
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return image


def _check_pixels(image: Image.Image) -> None:
    width, height = image.size
    if width <= 0 or height <= 0:
        raise BadImageError("The image has no pixels; capture the receipt again.")
    if width * height > MAX_PIXELS:
        raise BadImageError(
            f"The image is {width}x{height} pixels, more than this server reads "
            f"({MAX_PIXELS:,} pixels); send a smaller photo."
        )


def _image_pages(data: bytes, *, mime: str, max_pages: int, max_side: int) -> list[Image.Image]:
    if mime in ("image/heic", "image/heif"):
        import pillow_heif

        pillow_heif.register_heif_opener()
    with Image.open(io.BytesIO(data)) as image:
        frames = getattr(image, "n_frames", 1)
        if frames > max_pages:
            raise BadImageError(
                f"The document has {frames} pages, more than {max_pages}; split it and "
                "send the parts."
            )
        pages = []
        for index in range(frames):
            image.seek(index)
            _check_pixels(image)
            if hasattr(image, "draft") and mime == "image/jpeg":
                # Let the JPEG decoder scale down by 2/4/8 first: less memory, faster.
                image.draft("RGB", (max_side, max_side))
            image.load()
            pages.append(_bound(image, max_side))
        return pages


def _pdf_pages(data: bytes, *, max_pages: int, max_side: int) -> list[Image.Image]:
    import pypdfium2

    try:
        pdf = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        raise BadImageError(
            f"The PDF could not be opened ({exc}); it is corrupt or password-protected."
        ) from exc
    try:
        count = len(pdf)
        if count > max_pages:
            raise BadImageError(
                f"The PDF has {count} pages, more than {max_pages}; split it and send the parts."
            )
        pages = []
        for index in range(count):
            page = pdf[index]
            width, height = page.get_size()
            scale = min(PDF_DPI / 72, max_side / max(width, height, 1))
            bitmap = page.render(scale=scale)
            pages.append(_bound(bitmap.to_pil(), max_side))
            page.close()
        return pages
    except pypdfium2.PdfiumError as exc:
        raise BadImageError(f"The PDF could not be rendered ({exc}).") from exc
    finally:
        pdf.close()
