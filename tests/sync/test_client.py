"""The HTTP layer alone: requests it sends and how answers map to the sync error tree."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from ocr_desk.core import AuthError, PermanentSyncError, QuotaError, TransientSyncError
from ocr_desk.sync.client import NETWORK_ERROR, ApiClient, parse_sse

JOB = {
    "id": "j1",
    "media_id": "m1",
    "job_type": "receipt",
    "status": "queued",
    "cursor": "7",
    "submitted_at": "2026-03-10T09:00:00.000000Z",
}


def _client(handler: object, **kwargs: object) -> ApiClient:
    return ApiClient(
        base_url="https://ocr.example",
        token="tok",
        transport=httpx.MockTransport(handler),  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )


def _error(status: int, code: str, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {"error": {"code": code, "message": f"{code} happened"}}
    return httpx.Response(status, json=body, headers=headers)


def test_create_job_sends_bearer_idempotency_key_and_body() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json=JOB)

    with _client(handler) as client:
        job, replayed = client.create_job(
            media_id="m1", job_type="receipt", metadata={"a": 1}, idempotency_key="key-1"
        )
    assert (job.id, job.status, job.cursor, replayed) == ("j1", "queued", "7", False)
    request = seen[0]
    assert request.headers["Authorization"] == "Bearer tok"
    assert request.headers["Idempotency-Key"] == "key-1"
    assert json.loads(request.content) == {
        "media_id": "m1",
        "job_type": "receipt",
        "metadata": {"a": 1},
        "force": False,
    }


def test_replayed_answer_is_reported() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(201, json=JOB, headers={"Idempotent-Replayed": "true"})

    with _client(handler) as client:
        _, replayed = client.create_job(
            media_id="m1", job_type="receipt", metadata=None, idempotency_key="k"
        )
    assert replayed is True


def test_upload_resend_is_byte_identical(tmp_path: Path) -> None:
    bodies: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request.read())
        assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
        return httpx.Response(201, json={"id": "m1", "sha256": "ab", "size_bytes": 3})

    photo = tmp_path / "r.jpg"
    photo.write_bytes(b"\xff\xd8\xffdata")
    with _client(handler) as client:
        for _ in range(2):
            media, _ = client.upload_media(
                photo,
                mime_type="image/jpeg",
                sha256=None,
                document_type="receipt",
                captured_at="2026-03-10T09:00:00.000000Z",
                original_name="r.jpg",
                idempotency_key="0190-abc",
            )
            assert media.id == "m1"
    assert bodies[0] == bodies[1]
    assert b"\xff\xd8\xffdata" in bodies[0]
    assert b'name="document_type"' in bodies[0]


def test_capture_sends_the_file_and_the_job_fields_in_one_request(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        media = {"id": "m1", "sha256": "ab", "size_bytes": 3, "duplicate": False}
        headers = {"Idempotent-Replayed": "true"} if len(seen) > 1 else None
        return httpx.Response(201, json={"media": media, "job": JOB}, headers=headers)

    photo = tmp_path / "r.jpg"
    photo.write_bytes(b"\xff\xd8\xffdata")
    answers = []
    with _client(handler) as client:
        for _ in range(2):
            answers.append(
                client.create_capture(
                    photo,
                    mime_type="image/jpeg",
                    document_type="invoice",
                    captured_at="2026-03-10T09:00:00.000000Z",
                    original_name="r.jpg",
                    job_type="receipt",
                    metadata={"project": "A-12"},
                    force=True,
                    idempotency_key="0190-abc",
                )
            )
    assert [(m.id, j.id, replayed) for m, j, replayed in answers] == [
        ("m1", "j1", False),
        ("m1", "j1", True),
    ]
    first, again = seen
    assert first.url.path == "/v1/captures"
    assert first.headers["Idempotency-Key"] == "0190-abc"
    assert first.content == again.content  # a resend is byte-for-byte the same
    form = first.content.decode("latin-1")
    for name, value in [
        ("document_type", "invoice"),
        ("job_type", "receipt"),
        ("metadata", '{"project":"A-12"}'),
        ("force", "true"),
    ]:
        assert f'name="{name}"\r\n\r\n{value}\r\n' in form
    assert "\xff\xd8\xffdata" in form


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (401, "UNAUTHORIZED", AuthError),
        (402, "QUOTA_EXCEEDED", QuotaError),
        (404, "JOB_NOT_FOUND", PermanentSyncError),
        (409, "INVALID_STATUS", PermanentSyncError),
        (415, "UNSUPPORTED_MEDIA", PermanentSyncError),
        (500, "INTERNAL_ERROR", TransientSyncError),
        (502, "BAD_GATEWAY", TransientSyncError),
        (503, "UNAVAILABLE", TransientSyncError),
    ],
)
def test_error_answers_map_to_the_error_tree(status: int, code: str, kind: type) -> None:
    with _client(lambda request: _error(status, code)) as client, pytest.raises(kind) as info:
        client.get_job("j1")
    assert info.value.status_code == status
    if kind is PermanentSyncError:
        assert info.value.code == code
        assert f"{code} happened" in info.value.message


def test_rate_limit_carries_retry_after() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return _error(429, "RATE_LIMIT_EXCEEDED", {"Retry-After": "42"})

    with _client(handler) as client, pytest.raises(TransientSyncError) as info:
        client.get_job("j1")
    assert info.value.code == "RATE_LIMIT_EXCEEDED"
    assert info.value.retry_after == 42.0


def test_non_json_error_page_still_maps() -> None:
    with (
        _client(lambda request: httpx.Response(502, text="<html>proxy</html>")) as client,
        pytest.raises(TransientSyncError) as info,
    ):
        client.get_job("j1")
    assert info.value.status_code == 502
    assert "proxy" in info.value.message


def test_transport_errors_are_network_errors() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with _client(handler) as client, pytest.raises(TransientSyncError) as info:
        client.health()
    assert info.value.code == NETWORK_ERROR
    assert info.value.status_code is None
    assert isinstance(info.value.__cause__, httpx.ConnectError)


def test_calls_without_token_ask_to_sign_in() -> None:
    client = ApiClient(
        base_url="https://ocr.example",
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json={})),
    )
    with client, pytest.raises(AuthError, match="ocr-desk login"):
        client.me()


def test_bad_server_url_and_bad_ca_bundle_are_explained(tmp_path: Path) -> None:
    with pytest.raises(PermanentSyncError, match="https://"):
        ApiClient(base_url="ocr.example")
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not a certificate")
    with pytest.raises(PermanentSyncError, match="CA bundle"):
        ApiClient(base_url="https://ocr.example", ca_bundle=bundle)


def test_login_and_change_feed_and_events() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/auth/token":
            assert "Authorization" not in request.headers
            return httpx.Response(
                200,
                json={
                    "token": "t2",
                    "user": {"email": "a@b.c"},
                    "company": {"id": "c1", "name": "Acme", "plan": "free"},
                },
            )
        if request.url.path == "/v1/jobs":
            assert request.url.params["updated_since"] == "5"
            return httpx.Response(200, json={"jobs": [JOB], "cursor": "7", "has_more": False})
        assert request.url.path == "/v1/events"
        assert request.headers["Last-Event-ID"] == "6"
        stream = f": ping\n\nid: 7\nevent: job\ndata: {json.dumps(JOB)}\n\n"
        return httpx.Response(200, text=stream, headers={"Content-Type": "text/event-stream"})

    with _client(handler) as client:
        login = client.login(email="a@b.c", password="pw")
        assert (login.token, login.company_id, login.plan) == ("t2", "c1", "free")
        page = client.jobs_since("5")
        assert (page.cursor, page.has_more, [j.id for j in page.jobs]) == ("7", False, ["j1"])
        opened: list[bool] = []
        events = list(client.events(last_event_id="6", on_open=lambda cancel: opened.append(True)))
    assert opened == [True]
    assert [(e.id, e.event, json.loads(e.data)["id"]) for e in events] == [("7", "job", "j1")]


def test_sse_parser_joins_data_lines_and_skips_comments() -> None:
    lines = iter([": hello", "id: 1", "data: a", "data: b", "", "event: x", "data: c", ""])
    events = list(parse_sse(lines))
    assert [(e.id, e.event, e.data) for e in events] == [("1", "message", "a\nb"), ("1", "x", "c")]
