"""What the server answers, as the sync layer reads it: frozen records built from the
API's JSON (``docs/api.md``), keeping the raw JSON where the store needs all of it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["JobPage", "LoginResult", "RemoteJob", "RemoteMedia", "Reply", "SseEvent"]


@dataclass(frozen=True, slots=True)
class RemoteMedia:
    id: str
    sha256: str
    mime_type: str | None
    size_bytes: int
    duplicate: bool
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RemoteMedia:
        return cls(
            id=str(data["id"]),
            sha256=str(data.get("sha256", "")),
            mime_type=data.get("mime_type"),
            size_bytes=int(data.get("size_bytes") or 0),
            duplicate=bool(data.get("duplicate", False)),
            raw=dict(data),
        )


@dataclass(frozen=True, slots=True)
class RemoteJob:
    """A job as the server reports it; ``raw`` keeps the whole JSON for the store."""

    id: str
    media_id: str
    status: str
    cursor: str | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RemoteJob:
        cursor = data.get("cursor")
        return cls(
            id=str(data["id"]),
            media_id=str(data.get("media_id", "")),
            status=str(data["status"]),
            cursor=None if cursor is None else str(cursor),
            raw=dict(data),
        )


@dataclass(frozen=True, slots=True)
class JobPage:
    """One page of the change feed: jobs oldest change first, and where to continue."""

    jobs: tuple[RemoteJob, ...]
    cursor: str
    has_more: bool


@dataclass(frozen=True, slots=True)
class LoginResult:
    token: str
    email: str
    company_id: str
    company_name: str
    plan: str


@dataclass(frozen=True, slots=True)
class SseEvent:
    """One server-sent event: ``id`` is the change-feed cursor."""

    id: str | None
    event: str
    data: str


@dataclass(frozen=True, slots=True)
class Reply:
    """A successful answer: status, JSON body and whether it was an idempotent replay."""

    status_code: int
    body: Any
    replayed: bool
