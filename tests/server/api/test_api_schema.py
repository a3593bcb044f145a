"""Schemathesis against /openapi.json: no 500s, every answer matches the documented schema.

Bounded: a few examples per operation. The SSE stream never ends, so it is left out here
(test_api_feed.py covers it).
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ..support import Account, LiveServer

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_openapi_document_lists_every_endpoint(live: LiveServer) -> None:
    with live.client() as client:
        paths = client.get("/openapi.json").json()["paths"]
    assert set(paths) == {
        "/healthz",
        "/v1/auth/token",
        "/v1/me",
        "/v1/media",
        "/v1/media/{media_id}",
        "/v1/captures",
        "/v1/jobs",
        "/v1/jobs/{job_id}",
        "/v1/jobs/{job_id}/cancel",
        "/v1/jobs/{job_id}/retry",
        "/v1/queue-status",
        "/v1/usage",
        "/v1/events",
    }


def test_every_operation_conforms_to_its_schema(live: LiveServer, alice: Account) -> None:
    schema = schemathesis.openapi.from_url(f"{live.url}/openapi.json").exclude(path="/v1/events")
    failures: list[str] = []
    statuses: list[int] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=8, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:
            response = case.call_and_validate(
                base_url=live.url, headers=alice.headers, checks=CHECKS
            )
            statuses.append(response.status_code)

        try:
            check()
        except Exception as exc:  # collect every operation's failure, then fail once
            failures.append(f"{operation.label}: {exc}")
    assert failures == []
    assert len(statuses) >= 30
    assert any(200 <= code < 300 for code in statuses)
