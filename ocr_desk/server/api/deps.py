"""What every endpoint needs: the server context, the caller of a bearer token, the
Idempotency-Key header and the documented error answers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..context import ServerContext
from ..errors import Unauthorized
from ..records import Principal
from .schemas import ErrorBody
from .uploads import RecentTokens

__all__ = ["Creds", "IdemKey", "ctx", "error_responses", "principal", "recent_tokens"]

_bearer = HTTPBearer(auto_error=False, description="An API token of `user add` or /v1/auth/token")


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    base = {401, 422, 500}
    return {code: {"model": ErrorBody} for code in sorted(base | set(codes))}


def ctx(request: Request) -> ServerContext:
    context: ServerContext = request.app.state.ctx
    return context


def principal(request: Request, creds: HTTPAuthorizationCredentials | None) -> Principal:
    """The caller of a token. Called inside each handler (not as a sync dependency) so a
    request takes one hop to the thread pool, not two."""
    if creds is None:
        raise Unauthorized("send the header Authorization: Bearer <token>; sign in to get one")
    caller = ctx(request).accounts.authenticate(creds.credentials)
    recent_tokens(request).remember(creds.credentials)
    return caller


def recent_tokens(request: Request) -> RecentTokens:
    recent: RecentTokens = request.app.state.recent_tokens
    return recent


Creds = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
IdemKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=200, description="makes the POST safe to resend"),
]
