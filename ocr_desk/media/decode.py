"""Open a sniffed document and yield its pages upright, reduced as early as the format allows.

The processed (OCR) version of a page has its long side bounded. The bound is two
numbers, chosen for small receipt print:

- a page is reduced by the largest power of two (1, 2, 4, 8) that keeps its long side
  at or above :data:`MIN_OCR_LONG_SIDE` (2000 px), and never by more than half
  unless the page stays above 2000 px. A receipt photographed lengthwise to fill
  the frame (up to ~25 cm) then still has >= 200 px per inch on paper: thermal-printer
  text (~3 mm tall) stays >= 20 px tall, above the ~16-20 px OCR engines need
  (RapidOCR's recognizer works on 48-px-high line crops; Tesseract degrades below
  ~10 px x-height). Smaller originals keep every pixel. A power of two is what JPEG
  decodes for free (DCT scaling through ``draft()``), so a 12-MP phone photo is
  decoded straight at 2000x1500 instead of 4000x3000;
- then the long side is capped at :data:`MAX_OCR_LONG_SIDE` (3508 px, A4 at 300 dpi,
  the resolution OCR engines are tuned for), so a 300-dpi A4 scan is kept as it is
  and nothing is ever upscaled.

Everything here is pure (bytes in, Pillow images out) and thread-safe, except PDF
rendering, which PDFium does not allow from two threads at once (a lock serializes it).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from PIL import (
    Image,
    ImageFile,
    JpegImagePlugin,
    PngImagePlugin,
    TiffImagePlugin,
    WebPImagePlugin,
)

from ocr_desk.core import CaptureError, CaptureErrorCode

__all__ = [
    "MAX_OCR_LONG_SIDE",
    "MIN_OCR_LONG_SIDE",
    "PDF_DPI",
    "Document",
    "open_document",
    "plan_reduction",
]

MIN_OCR_LONG_SIDE = 2000
MAX_OCR_LONG_SIDE = 3508
PDF_DPI = 300
"""PDF pages are rendered at this resolution (then capped at MAX_OCR_LONG_SIDE)."""

_PDF_LOCK = threading.Lock()

# The plugin classes are used directly (the type is already sniffed): Image.open would
# try every format and warn about large images before our own pixel limit can answer.
_OPENERS: dict[str, Callable[[io.BytesIO], ImageFile.ImageFile]] = {
    "image/jpeg": JpegImagePlugin.JpegImageFile,
    "image/png": PngImagePlugin.PngImageFile,
    "image/tiff": TiffImagePlugin.TiffImageFile,
    "image/webp": WebPImagePlugin.WebPImageFile,
}


def plan_reduction(size: tuple[int, int]) -> tuple[int, tuple[int, int]]:
    """``(factor, final_size)`` for a page of ``size``: see the module docstring."""
    width, height = size
    long_side = max(width, height)
    factor = 1
    for k in (8, 4, 2):
        if -(-long_side // k) >= MIN_OCR_LONG_SIDE:
            factor = k
            break
    reduced = (-(-width // factor), -(-height // factor))
    if max(reduced) <= MAX_OCR_LONG_SIDE:
        return factor, reduced
    scale = MAX_OCR_LONG_SIDE / max(reduced)
    return factor, (max(1, round(reduced[0] * scale)), max(1, round(reduced[1] * scale)))


@dataclass(frozen=True, slots=True)
class Document:
    """A sniffed, size-checked document whose pages can be decoded one at a time."""

    mime_type: str
    width: int
    """Upright pixel width of the first page of the original."""
    height: int
    page_count: int
    _pages: Callable[[], Iterator[Image.Image]]
    orientation: int = 1
    """The EXIF orientation of the first page (1 = stored upright)."""
    mode: str = ""
    """The first page's pixel mode as stored (``RGB``, ``L``, ``CMYK``...; empty for PDF)."""

    def pages(self) -> Iterator[Image.Image]:
        """Each page upright, reduced for OCR (see :func:`plan_reduction`), RGB or L."""
        return self._pages()


def open_document(
    data: bytes, mime_type: str, *, max_pixels: int, max_pages: int, name: str
) -> Document:
    """Read the header of ``data`` and check its pixel and page limits; nothing is decoded yet.

    Raises :class:`CaptureError` (``TOO_MANY_PIXELS``, ``TOO_MANY_PAGES``, ``CORRUPT_IMAGE``).
    """
    if mime_type == "application/pdf":
        return _open_pdf(data, max_pages=max_pages, name=name)
    image = _open_image(data, mime_type, name=name)
    page_count = getattr(image, "n_frames", 1) if mime_type == "image/tiff" else 1
    if page_count > max_pages:
        raise _too_many_pages(name, page_count, max_pages)
    _check_pixels(image.size, max_pixels, name)
    width, height = image.size
    orientation = _orientation(image)
    if orientation in (5, 6, 7, 8):
        width, height = height, width

    def pages() -> Iterator[Image.Image]:
        for index in range(page_count):
            try:
                if index:
                    image.seek(index)
                    _check_pixels(image.size, max_pixels, name)
                page = _upright_reduced(image)
            except CaptureError:
                raise
            except Exception as exc:  # truncated or damaged data inside the file
                raise _corrupt(name, exc) from exc
            yield page

    return Document(
        mime_type=mime_type,
        width=width,
        height=height,
        page_count=page_count,
        _pages=pages,
        orientation=orientation,
        mode=image.mode,
    )


def _open_image(data: bytes, mime_type: str, *, name: str) -> ImageFile.ImageFile:
    opener: Callable[[io.BytesIO], Any]
    if mime_type == "image/heif" and _is_avif(data):
        # AV1 inside HEIF: libheif in pillow-heif has no AV1 decoder, Pillow has one.
        from PIL import AvifImagePlugin

        opener = AvifImagePlugin.AvifImageFile
    elif mime_type in ("image/heic", "image/heif"):
        import pillow_heif

        opener = pillow_heif.HeifImageFile
    else:
        opener = _OPENERS[mime_type]
    try:
        image: ImageFile.ImageFile = opener(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise CaptureError(
            f"{name} is too large to open safely ({exc}).", code=CaptureErrorCode.TOO_MANY_PIXELS
        ) from exc
    except Exception as exc:  # any decoder failure on bad input is "corrupt"
        raise _corrupt(name, exc) from exc
    return image


def _is_avif(data: bytes) -> bool:
    box_size = int.from_bytes(data[0:4], "big")
    brands = data[8 : min(max(box_size, 12), 64)]
    return b"avif" in brands or b"avis" in brands


def _upright_reduced(image: Image.Image) -> Image.Image:
    factor, final = plan_reduction(image.size)
    orientation = _orientation(image)
    if isinstance(image, JpegImagePlugin.JpegImageFile) and factor > 1:
        # The target box is the smallest size we accept: draft() then picks DCT
        # scale 1/factor and the decoder never produces the full-size pixels.
        image.draft(image.mode if image.mode in ("L", "RGB") else None, _box(image.size, factor))
    image.load()
    page: Image.Image = image
    if page.size != final:
        if factor > 1 and not isinstance(image, JpegImagePlugin.JpegImageFile):
            page = page.reduce(factor)
        if page.size != final:
            page = page.resize(final, Image.Resampling.BICUBIC, reducing_gap=None)
    page = _to_rgb_or_l(page)
    if orientation != 1:
        transpose = _TRANSPOSE.get(orientation)
        if transpose is not None:
            page = page.transpose(transpose)
    return page


def _box(size: tuple[int, int], factor: int) -> tuple[int, int]:
    return max(1, size[0] // factor), max(1, size[1] // factor)


_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(0x0112, 1)
    except Exception:  # a broken EXIF block must not lose the picture
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _to_rgb_or_l(page: Image.Image) -> Image.Image:
    mode = page.mode
    if mode in ("RGB", "L"):
        return page
    if mode.startswith("I;16") or mode in ("I", "F"):
        # 16-bit and float scans: scale to 8 bits (convert("L") would clip to white).
        return page.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in page.info):
        rgba = page.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if mode == "1":
        return page.convert("L")
    return page.convert("RGB")


def _open_pdf(data: bytes, *, max_pages: int, name: str) -> Document:
    import pypdfium2 as pdfium

    with _PDF_LOCK:
        try:
            pdf = pdfium.PdfDocument(data)
            page_count = len(pdf)
            first = pdf[0] if page_count else None
            size = first.get_size() if first is not None else (0.0, 0.0)
        except Exception as exc:  # PdfiumError: damaged, encrypted, not a PDF
            if "password" in str(exc).lower():
                raise CaptureError(
                    f"{name} is a password-protected PDF. Open it, save or print it as a PDF "
                    "without a password, and add that file.",
                    code=CaptureErrorCode.UNSUPPORTED,
                ) from exc
            raise _corrupt(name, exc) from exc
    if page_count < 1:
        raise CaptureError(f"{name} is a PDF without pages.", code=CaptureErrorCode.CORRUPT)
    if page_count > max_pages:
        raise _too_many_pages(name, page_count, max_pages)
    width, height = _pdf_pixels(size)

    def pages() -> Iterator[Image.Image]:
        try:
            for index in range(page_count):
                with _PDF_LOCK:
                    try:
                        page = pdf[index]
                        w_pt, h_pt = page.get_size()
                        scale = min(PDF_DPI / 72, MAX_OCR_LONG_SIDE / max(w_pt, h_pt, 1.0))
                        bitmap = page.render(scale=scale, rotation=0)
                        image = bitmap.to_pil().copy()
                        bitmap.close()
                        page.close()
                    except Exception as exc:
                        raise _corrupt(name, exc) from exc
                yield _to_rgb_or_l(image)
        finally:
            with _PDF_LOCK:
                pdf.close()

    return Document(
        mime_type="application/pdf",
        width=width,
        height=height,
        page_count=page_count,
        _pages=pages,
    )


def _pdf_pixels(size: tuple[float, float]) -> tuple[int, int]:
    w_pt, h_pt = size
    scale = min(PDF_DPI / 72, MAX_OCR_LONG_SIDE / max(w_pt, h_pt, 1.0))
    return max(1, round(w_pt * scale)), max(1, round(h_pt * scale))


def _check_pixels(size: tuple[int, int], max_pixels: int, name: str) -> None:
    pixels = size[0] * size[1]
    if pixels > max_pixels:
        raise CaptureError(
            f"{name} is {size[0]}x{size[1]} pixels ({pixels / 1e6:.0f} megapixels), more than "
            f"the {max_pixels / 1e6:.0f} megapixels OCR Desk opens safely. Scan or export it "
            "at a lower resolution and add it again.",
            code=CaptureErrorCode.TOO_MANY_PIXELS,
        )


def _too_many_pages(name: str, count: int, limit: int) -> CaptureError:
    return CaptureError(
        f"{name} has {count} pages; OCR Desk takes documents of up to {limit} pages. "
        "Split it into smaller files and add them again.",
        code=CaptureErrorCode.TOO_MANY_PAGES,
    )


def _corrupt(name: str, exc: BaseException) -> CaptureError:
    detail = str(exc).strip() or type(exc).__name__
    return CaptureError(
        f"{name} could not be read as an image or PDF ({detail}); it may be damaged or "
        "incomplete. Copy it again from its source and add it again.",
        code=CaptureErrorCode.CORRUPT,
    )
