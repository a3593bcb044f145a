"""Tell a file's real type from its first bytes, never from its name or a header.

Pure and stdlib-only so the client's capture and the server's upload share it.
"""

from __future__ import annotations

__all__ = ["SNIFF_BYTES", "SUPPORTED_MIME_TYPES", "sniff_mime"]

SNIFF_BYTES = 64
"""How many leading bytes :func:`sniff_mime` needs."""

SUPPORTED_MIME_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/tiff",
        "image/webp",
        "image/heic",
        "image/heif",
        "application/pdf",
    }
)

_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"}
_HEIF_BRANDS = {b"mif1", b"msf1", b"avif", b"avis"}


def sniff_mime(head: bytes) -> str | None:
    """The MIME type of a supported document from its first bytes, or None.

    Recognizes JPEG, PNG, TIFF, WebP, HEIC/HEIF (including AVIF brands, reported
    as ``image/heif``) and PDF.
    """
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.lstrip(b"\xef\xbb\xbf\r\n\t ")[:5] == b"%PDF-":
        return "application/pdf"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brands = {head[8:12]}
        box_size = int.from_bytes(head[0:4], "big")
        for offset in range(16, min(box_size, len(head)) - 3, 4):
            brands.add(head[offset : offset + 4])
        if brands & _HEIC_BRANDS:
            return "image/heic"
        if brands & _HEIF_BRANDS:
            return "image/heif"
    return None
