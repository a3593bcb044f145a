"""``Idempotency-Key``: the first complete answer to a POST is kept and replayed.

The request is fingerprinted by what it means, not its bytes (an upload's file
hash and fields, a JSON body's canonical form), so a client resending the same
upload with a new multipart boundary still matches. Answers a retry could change
(5xx, 429, 402) are not kept. The answer and the change it reports are committed in
one transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from fastapi.responses import JSONResponse, Response

from ocr_desk.core import Clock, OcrDeskError, format_ts

from ..database import Database
from ..errors import IdempotencyKeyReused, http_status
from ..records import Principal

__all__ = ["fingerprint", "run_idempotent"]

NOT_KEPT = {402, 429}
Action = Callable[[], tuple[int, Any]]


def fingerprint(method: str, path: str, content: Any) -> str:
    text = json.dumps([method, path, content], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _render(body: Any) -> str:
    """The JSON text of an answer, as JSONResponse writes it; rendered once, then both
    kept and sent."""
    return json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _response(status: int, text: str, *, replayed: bool = False) -> Response:
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return Response(text, status_code=status, headers=headers, media_type="application/json")


def run_idempotent(
    db: Database,
    clock: Clock,
    principal: Principal,
    key: str | None,
    *,
    method: str,
    path: str,
    content: Any,
    action: Action,
) -> Response:
    """Run ``action`` once per key; a resend gets the first answer, a different body a 422."""
    if not key:
        status, body = action()
        return JSONResponse(body, status_code=status)
    print_ = fingerprint(method, path, content)
    row = db.read().one(
        "SELECT fingerprint, status_code, body FROM idempotency WHERE company_id = ? AND key = ?",
        (principal.company_id, key),
    )
    if row is not None:
        if row["fingerprint"] != print_:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was used for a different request; "
                "send a new key for a new request"
            )
        return _response(int(row["status_code"]), str(row["body"]), replayed=True)
    # The action's own transaction nests in this one (a savepoint): the answer and its
    # record commit together, in one commit, and a failed action leaves nothing behind.
    with db.transaction() as tx:
        # Claim the key first: a second copy of this request sent while the first is
        # still running (a client that timed out and resent) waits here for the first
        # to commit, then replays its answer instead of running the action again.
        claimed = tx.execute(
            "INSERT INTO idempotency (company_id, key, method, path, fingerprint, status_code, "
            "body, created_at) VALUES (?, ?, ?, ?, ?, 0, '', ?) "
            "ON CONFLICT (company_id, key) DO NOTHING RETURNING key",
            (principal.company_id, key, method, path, print_, format_ts(clock.now())),
        )
        if not claimed:
            row = tx.one(
                "SELECT fingerprint, status_code, body FROM idempotency "
                "WHERE company_id = ? AND key = ?",
                (principal.company_id, key),
            )
            assert row is not None
            if row["fingerprint"] != print_:
                raise IdempotencyKeyReused(
                    "this Idempotency-Key was used for a different request; "
                    "send a new key for a new request"
                )
            return _response(int(row["status_code"]), str(row["body"]), replayed=True)
        try:
            status, body = action()
        except OcrDeskError as exc:
            code = http_status(exc)
            if code >= 500 or code in NOT_KEPT:
                raise
            status, body = code, {"error": exc.to_dict()}
        text = _render(body)
        tx.execute(
            "UPDATE idempotency SET status_code = ?, body = ? WHERE company_id = ? AND key = ?",
            (status, text, principal.company_id, key),
        )
    return _response(status, text)
