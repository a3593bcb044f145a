"""Calls the API tests repeat."""

from __future__ import annotations

from typing import Any

import httpx

from ..support import png


def upload(
    client: httpx.Client,
    data: bytes | int,
    *,
    key: str | None = None,
    name: str = "receipt.jpg",
    **fields: str,
) -> httpx.Response:
    content = png(data) if isinstance(data, int) else data
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(
        "/v1/media",
        files={"file": (name, content, "application/octet-stream")},
        data=fields,
        headers=headers,
    )


def new_job(client: httpx.Client, seed: int, **body: Any) -> dict[str, Any]:
    media = upload(client, seed)
    assert media.status_code in (200, 201), media.text
    answer = client.post("/v1/jobs", json={"media_id": media.json()["id"], **body})
    assert answer.status_code in (200, 201), answer.text
    job: dict[str, Any] = answer.json()
    return job


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
