"""From a file or bytes to the four versions of a capture, checked and encoded in memory.

Per page: a processed JPEG for OCR (upright, long side bounded, see ``decode``:
the original's own bytes, metadata left out, when it is a JPEG already upright and
within bounds, since re-encoding only loses detail; else a quality-80 re-encode),
a WebP for display (the page reduced by the smallest
whole factor that brings its long side to <= :data:`DISPLAY_LONG_SIDE`), and for
the first page a 150x150 thumbnail; plus the original bytes, untouched. Every page
is decoded once and all its versions derive from that one decode.

Pure functions of their input, safe to run in a pool of threads.
"""

from __future__ import annotations

import hashlib
import io
import stat
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from PIL import Image, ImageOps

from ocr_desk.core import SNIFF_BYTES, CaptureError, CaptureErrorCode, sniff_mime

from .decode import Document, open_document
from .filestore import relpath_for

__all__ = [
    "DISPLAY_LONG_SIDE",
    "EXTENSIONS",
    "JPEG_QUALITY",
    "THUMBNAIL_SIZE",
    "CaptureLimits",
    "Prepared",
    "Rendition",
    "Source",
    "VersionKind",
    "check_source",
    "read_source",
    "render",
    "strip_jpeg_metadata",
]

JPEG_QUALITY = 80
DISPLAY_LONG_SIDE = 1600
WEBP_QUALITY = 75
WEBP_METHOD = 0
"""libwebp's fastest effort: about 4x cheaper than the default 4 for a few % more bytes."""
THUMBNAIL_SIZE = (150, 150)

EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/tiff": ".tif",
    "image/webp": ".webp",
    "image/heic": ".heic",
    "image/heif": ".heif",
    "application/pdf": ".pdf",
}


class VersionKind(StrEnum):
    """The ``version`` column of ``media_files``."""

    ORIGINAL = "original"
    PROCESSED = "processed"
    DISPLAY = "display"
    THUMBNAIL = "thumbnail"


@dataclass(frozen=True, kw_only=True)
class CaptureLimits:
    """What a capture refuses; the defaults suit phone photos and office scans."""

    max_bytes: int = 50 * 1024 * 1024
    max_pixels: int = 89_000_000
    """Just under Pillow's own decompression-bomb threshold (so Pillow never warns first);
    a 64-MP phone photo fits."""
    max_pages: int = 50


@dataclass(frozen=True, slots=True)
class Source:
    """Bytes to capture, already checked for size and type."""

    data: bytes
    name: str
    sha256: str
    mime_type: str


@dataclass(frozen=True, slots=True)
class Rendition:
    """One stored file of a capture."""

    version: VersionKind
    page: int
    data: bytes
    sha256: str
    ext: str
    width: int | None
    height: int | None

    @property
    def relpath(self) -> str:
        return relpath_for(self.sha256, self.ext)


@dataclass(frozen=True, slots=True)
class Prepared:
    """Everything a capture stores, computed before any row is written."""

    source: Source
    width: int
    height: int
    page_count: int
    renditions: tuple[Rendition, ...]


def read_source(path: Path, *, limits: CaptureLimits) -> Source:
    """Read and check a file; every kind of bad file raises :class:`CaptureError`."""
    name = str(path)
    try:
        info = path.stat()
    except FileNotFoundError as exc:
        raise CaptureError(
            f"{name} does not exist. Check the path and try again.",
            code=CaptureErrorCode.NOT_FOUND,
            path=name,
        ) from exc
    except OSError as exc:
        raise _unreadable(name, exc) from exc
    if stat.S_ISDIR(info.st_mode):
        raise CaptureError(
            f"{name} is a folder, not a file. Add the folder to a batch to capture what is in it.",
            code=CaptureErrorCode.IS_DIRECTORY,
            path=name,
        )
    if not stat.S_ISREG(info.st_mode):
        raise CaptureError(
            f"{name} is not a regular file (a device, pipe or socket). Save the image to a "
            "file and add that.",
            code=CaptureErrorCode.UNREADABLE,
            path=name,
        )
    _check_size(info.st_size, name, limits)
    try:
        with open(path, "rb") as handle:
            data = handle.read(limits.max_bytes + 1)
    except OSError as exc:
        raise _unreadable(name, exc) from exc
    return check_source(data, name=name, limits=limits)


def check_source(data: bytes, *, name: str, limits: CaptureLimits) -> Source:
    """Check bytes for size and a supported type (sniffed from the content, not the name)."""
    _check_size(len(data), name, limits)
    mime = sniff_mime(data[:SNIFF_BYTES])
    if mime is None:
        raise CaptureError(
            f"{name} is not a supported image or document. OCR Desk takes JPEG, PNG, TIFF, "
            "WebP, HEIC/HEIF and PDF files.",
            code=CaptureErrorCode.UNSUPPORTED,
            path=name,
        )
    return Source(data=data, name=name, sha256=hashlib.sha256(data).hexdigest(), mime_type=mime)


def render(source: Source, *, limits: CaptureLimits) -> Prepared:
    """Decode ``source`` once per page and encode every version in memory."""
    document = open_document(
        source.data,
        source.mime_type,
        max_pixels=limits.max_pixels,
        max_pages=limits.max_pages,
        name=source.name,
    )
    renditions = [
        Rendition(  # the original's hash is already known: hash 4 MB once, not three times
            version=VersionKind.ORIGINAL,
            page=0,
            data=source.data,
            sha256=source.sha256,
            ext=EXTENSIONS[source.mime_type],
            width=document.width,
            height=document.height,
        )
    ]
    for index, page in enumerate(document.pages()):
        processed = _kept_jpeg(source, document, page) if index == 0 else None
        if processed is None:
            processed = _encode_jpeg(page)
        renditions.append(_rendition(VersionKind.PROCESSED, index, processed, ".jpg", page.size))
        display = _fit(page, DISPLAY_LONG_SIDE)
        renditions.append(
            _rendition(VersionKind.DISPLAY, index, _encode_webp(display), ".webp", display.size)
        )
        if index == 0:
            thumb = _thumbnail(display)
            renditions.append(
                _rendition(VersionKind.THUMBNAIL, 0, _encode_jpeg(thumb), ".jpg", thumb.size)
            )
    return Prepared(
        source=source,
        width=document.width,
        height=document.height,
        page_count=document.page_count,
        renditions=tuple(renditions),
    )


def _rendition(
    version: VersionKind, page: int, data: bytes, ext: str, size: tuple[int, int] | None
) -> Rendition:
    return Rendition(
        version=version,
        page=page,
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        ext=ext,
        width=None if size is None else size[0],
        height=None if size is None else size[1],
    )


def _fit(page: Image.Image, long_side: int) -> Image.Image:
    # An integer box reduction (long side between half the bound and the bound) costs a
    # tenth of a resampling resize, and the WebP encoder's time grows with the pixels.
    factor = -(-max(page.size) // long_side)
    return page if factor <= 1 else page.reduce(factor)


def _thumbnail(display: Image.Image) -> Image.Image:
    # Letterboxed, not cropped: a long receipt stays recognizable in a square tile.
    # A cheap box reduction to about twice the tile first, then one small resample.
    small = _fit(display, 2 * max(THUMBNAIL_SIZE))
    return ImageOps.pad(small, THUMBNAIL_SIZE, method=Image.Resampling.BILINEAR, color="white")


def _kept_jpeg(source: Source, document: Document, page: Image.Image) -> bytes | None:
    """The original JPEG's bytes as the processed version, when nothing had to change.

    A JPEG that is upright (EXIF orientation 1), RGB or grey, one page and not reduced
    is already what OCR should read: a second lossy encode at quality 80 blurs small
    print (measured on the SROIE receipts: a total of 60.30 read as 70.30). Its EXIF,
    XMP and IPTC segments (camera, GPS position) are left out, as a re-encode would;
    the image data is untouched. ``None`` when the page must be re-encoded.
    """
    if (
        source.mime_type != "image/jpeg"
        or document.page_count != 1
        or document.orientation != 1
        or document.mode not in ("RGB", "L")
        or page.size != (document.width, document.height)
    ):
        return None
    return strip_jpeg_metadata(source.data)


_METADATA_MARKERS = frozenset({0xE1, 0xED})  # APP1 (EXIF, XMP), APP13 (IPTC/Photoshop)
_STANDALONE_MARKERS = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM, RST0-7: no length


def strip_jpeg_metadata(data: bytes) -> bytes | None:
    """``data`` without its APP1/APP13 segments (lossless), or ``None`` if not well-formed.

    Walks the marker segments up to the start of scan; everything else (JFIF, ICC
    profile, Adobe colour transform, tables, the scan itself) is kept byte for byte.
    """
    if data[:2] != b"\xff\xd8":
        return None
    kept = [data[:2]]
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker in _STANDALONE_MARKERS:
            kept.append(data[pos : pos + 2])
            pos += 2
            continue
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if length < 2 or pos + 2 + length > len(data):
            return None
        if marker == 0xDA:  # start of scan: the rest is image data
            kept.append(data[pos:])
            return b"".join(kept)
        if marker not in _METADATA_MARKERS:
            kept.append(data[pos : pos + 2 + length])
        pos += 2 + length
    return None


def _encode_jpeg(page: Image.Image) -> bytes:
    buffer = io.BytesIO()
    page.save(buffer, "JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()


def _encode_webp(page: Image.Image) -> bytes:
    buffer = io.BytesIO()
    page.save(buffer, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
    return buffer.getvalue()


def _check_size(size: int, name: str, limits: CaptureLimits) -> None:
    if size == 0:
        raise CaptureError(
            f"{name} is empty (0 bytes). It was probably not copied completely; copy it again.",
            code=CaptureErrorCode.EMPTY,
            path=name,
        )
    if size > limits.max_bytes:
        raise CaptureError(
            f"{name} is {size / 2**20:.1f} MB; OCR Desk takes files up to "
            f"{limits.max_bytes / 2**20:.0f} MB. Scan or export it at a lower resolution.",
            code=CaptureErrorCode.TOO_LARGE,
            path=name,
        )


def _unreadable(name: str, exc: OSError) -> CaptureError:
    reason = exc.strerror or str(exc)
    return CaptureError(
        f"{name} cannot be read ({reason}). Check that you may open it"
        f"{' (permissions)' if isinstance(exc, PermissionError) else ''}, then try again.",
        code=CaptureErrorCode.UNREADABLE,
        path=name,
    )
