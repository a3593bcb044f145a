"""``multipart/form-data`` read straight from the socket into the upload's own file.

The body is never spooled by the framework: each chunk is parsed as it arrives
(python-multipart's streaming parser), the ``file`` part goes through an
:class:`UploadWriter` (hashing, size limit) and the small text fields are kept.
It runs on the event loop: a chunk is at most what one socket read gave (64 KB), so
hashing and writing it to the page cache hold the loop for well under a millisecond,
and the upload needs no thread hop per chunk (two context switches each, which cost
more than the parsing on a busy machine).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from python_multipart.exceptions import ParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from ..errors import ValidationFailed
from ..media import MediaService, PendingUpload, UploadWriter

__all__ = ["CAPTURE_FIELDS", "FORM_FIELDS", "ReceivedForm", "RecentTokens", "read_upload"]

FORM_FIELDS = {"sha256": 64, "document_type": 20, "captured_at": 40, "original_name": 500}
"""The text fields an upload may carry, with their longest allowed value in bytes (UTF-8)."""

CAPTURE_FIELDS = {**FORM_FIELDS, "job_type": 20, "metadata": 1024 * 1024, "force": 5}
"""An upload's fields plus its job's (``POST /v1/captures``); the metadata may be as
large as a ``POST /v1/jobs`` body."""


class RecentTokens:
    """Tokens that passed authentication in the last minute (their SHA-256 only).

    Lets an upload skip the thread hop of checking its token *before* reading the body;
    the token is checked against the database again, in the same hop as storing the
    upload, so a revoked token is refused at once. An unknown token is checked first,
    so a stranger's body is never written to disk.
    """

    def __init__(self, *, ttl: float = 60.0, size: int = 10_000) -> None:
        self.ttl = ttl
        self.size = size
        self._seen: dict[str, float] = {}

    def remember(self, token: str) -> None:
        if len(self._seen) >= self.size:
            self._seen.clear()
        self._seen[_digest(token)] = time.monotonic() + self.ttl

    def seen(self, token: str) -> bool:
        until = self._seen.get(_digest(token))
        return until is not None and until > time.monotonic()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class ReceivedForm:
    pending: PendingUpload | None = None
    fields: dict[str, str] = field(default_factory=dict)


class _Collector:
    def __init__(self, media: MediaService, fields: dict[str, int]) -> None:
        self.media = media
        self.fields = fields
        self.form = ReceivedForm()
        self.header_field = bytearray()
        self.header_value = bytearray()
        self.name: str | None = None
        self.is_file = False
        self.value = bytearray()
        self.writer: UploadWriter | None = None

    def on_part_begin(self) -> None:
        self.name, self.is_file, self.value = None, False, bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        if bytes(self.header_field).lower() == b"content-disposition":
            _, options = parse_options_header(bytes(self.header_value))
            self.name = options.get(b"name", b"").decode("utf-8", "replace")
            self.is_file = b"filename" in options or self.name == "file"
        self.header_field, self.header_value = bytearray(), bytearray()

    def on_headers_finished(self) -> None:
        if self.name == "file":
            if self.writer is not None or self.form.pending is not None:
                raise ValidationFailed("send exactly one part named file")
            self.writer = self.media.open_upload()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.name == "file" and self.writer is not None:
            self.writer.write(data[start:end])
        elif self.name in self.fields:
            self.value += data[start:end]
            if len(self.value) > self.fields[self.name]:
                raise ValidationFailed(
                    f"{self.name} is longer than {self.fields[self.name]:,} bytes (UTF-8); "
                    "shorten it and send again"
                )

    def on_part_end(self) -> None:
        if self.name == "file" and self.writer is not None:
            self.form.pending = self.writer.finish()
            self.writer = None
        elif self.name in self.fields:
            try:
                self.form.fields[self.name] = self.value.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ValidationFailed(f"{self.name} is not UTF-8 text") from exc

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.abort()
        if self.form.pending is not None:
            self.form.pending.discard()


async def read_upload(
    content_type: str,
    stream: AsyncIterator[bytes],
    media: MediaService,
    fields: dict[str, int] = FORM_FIELDS,
) -> ReceivedForm:
    """Parse a multipart body from ``stream`` on the event loop; text parts other than
    ``fields`` are ignored."""
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise ValidationFailed("send the file as multipart/form-data with a part named file")
    collector = _Collector(media, fields)
    callbacks = {
        name: getattr(collector, name)
        for name in (
            "on_part_begin",
            "on_header_field",
            "on_header_value",
            "on_header_end",
            "on_headers_finished",
            "on_part_data",
            "on_part_end",
        )
    }
    parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
    try:
        async for chunk in stream:
            if chunk:
                parser.write(chunk)
        parser.finalize()
    except ParseError as exc:
        collector.abort()
        raise ValidationFailed(f"the multipart body is malformed ({exc}); send it again") from exc
    except BaseException:
        collector.abort()
        raise
    if collector.writer is not None:  # the body ended inside the file part
        collector.abort()
        raise ValidationFailed("the upload ended before the file did; send it again")
    if collector.form.pending is None:
        raise ValidationFailed("no part named file: send the image as the form field file")
    return collector.form
