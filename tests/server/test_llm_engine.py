"""The vision-LLM engine against a small OpenAI-compatible endpoint on a loopback port."""

from __future__ import annotations

import base64
import io
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from PIL import Image

from ocr_desk.server.extract import extract
from ocr_desk.server.ocr import (
    EngineError,
    EngineUnavailableError,
    OcrEngine,
    TransientEngineError,
    get_engine,
)

from .render import grocery_receipt, render

ANSWER = {
    "merchant": "GREEN LEAF MARKET LTD",
    "merchant_address": "12 Harbour Road, Springfield 40210",
    "date": "2018-12-25",
    "time": "14:32",
    "total": "10.12",
    "subtotal": 9.55,
    "tax": "$0.57",
    "currency": "usd",
    "line_items": [{"description": "Apples", "quantity": 2, "amount": "3.00"}, {"x": 1}],
    "text": "GREEN LEAF MARKET LTD\nTOTAL 10.12",
    "confidence": {"total": 0.99, "merchant": 0.95, "date": "very"},
    "invented_field": "ignored",
}


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    hold: bool = False
    """Do not answer until the test ends (a model that never answers)."""


@dataclass
class FakeEndpoint:
    url: str
    replies: list[Reply]
    requests: list[dict[str, Any]]
    headers: list[dict[str, str]]
    release: threading.Event


def _completion(content: Any, *, finish: str = "stop") -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "vision-test-2",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish,
            }
        ],
        "usage": {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500},
    }


@pytest.fixture
def endpoint() -> Iterator[FakeEndpoint]:
    release = threading.Event()
    fake = FakeEndpoint(url="", replies=[], requests=[], headers=[], release=release)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length", 0))
            fake.requests.append(json.loads(self.rfile.read(length)))
            fake.headers.append(dict(self.headers))
            reply = (
                fake.replies.pop(0) if fake.replies else Reply(body=_completion(json.dumps(ANSWER)))
            )
            if reply.hold:
                release.wait(10)
                return
            payload = (
                reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
            )
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    yield fake
    release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


def _engine(endpoint: FakeEndpoint, **config: Any) -> OcrEngine:
    options: dict[str, Any] = {
        "url": endpoint.url,
        "model": "vision-test",
        "api_key": "sk-test",
        "input_price_per_mtok": "2.50",
        "output_price_per_mtok": "10",
    }
    options.update(config)
    return get_engine("llm", **options)


def test_fields_usage_and_cost_from_a_good_answer(endpoint: FakeEndpoint) -> None:
    page = render(grocery_receipt())
    output = _engine(endpoint).recognize([page])
    request = endpoint.requests[0]
    assert request["model"] == "vision-test"
    assert endpoint.headers[0]["Authorization"] == "Bearer sk-test"
    image_url = request["messages"][1]["content"][1]["image_url"]["url"]
    assert image_url.startswith("data:image/jpeg;base64,")
    sent = Image.open(io.BytesIO(base64.b64decode(image_url.split(",", 1)[1])))
    assert sent.size == page.size
    assert output.usage == {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500}
    assert output.cost == Decimal("0.006000")  # 1200 x 2.50/M + 300 x 10/M
    assert output.engine == "llm"
    assert output.engine_version == "vision-test-2"
    result = extract(output, job_type="receipt")
    assert result.value("total") == Decimal("10.12")
    assert result.value("subtotal") == Decimal("9.55")
    assert result.value("tax") == Decimal("0.57")
    assert result.value("currency") == "USD"
    assert result.value("merchant") == "GREEN LEAF MARKET LTD"
    assert result.fields["total"].confidence == 0.99
    assert result.fields["date"].confidence == 0.85  # "very" is not a confidence
    assert "invented_field" not in result.fields
    assert [(i.description, i.quantity) for i in result.line_items] == [("Apples", Decimal("2"))]
    assert result.text == "GREEN LEAF MARKET LTD\nTOTAL 10.12"


def test_fenced_json_in_content_parts_is_read(endpoint: FakeEndpoint) -> None:
    parts = [{"type": "text", "text": "Here it is:\n```json\n" + json.dumps(ANSWER) + "\n```"}]
    endpoint.replies.append(Reply(body=_completion(parts)))
    output = _engine(endpoint).recognize([render(grocery_receipt())])
    assert output.fields is not None
    assert output.fields.value("total") == Decimal("10.12")


@pytest.mark.parametrize(
    ("reply", "error", "message"),
    [
        (
            Reply(429, {"error": {"message": "slow down"}}, {"Retry-After": "7"}),
            TransientEngineError,
            "wait 7 s",
        ),
        (Reply(503, {"error": "overloaded"}), TransientEngineError, "HTTP 503"),
        (Reply(401, {"error": {"message": "bad key"}}), EngineUnavailableError, "api_key"),
        (Reply(400, {"error": {"message": "image too large"}}), EngineError, "image too large"),
        (Reply(200, b"<html>proxy error</html>"), TransientEngineError, "not JSON"),
        (
            Reply(200, _completion("I cannot read this receipt.")),
            TransientEngineError,
            "not the JSON",
        ),
        (Reply(200, _completion('{"total": "1', finish="length")), EngineError, "max_tokens"),
        (Reply(200, {"choices": []}), TransientEngineError, "no choices"),
    ],
)
def test_endpoint_failures_map_to_engine_errors(
    endpoint: FakeEndpoint, reply: Reply, error: type[Exception], message: str
) -> None:
    endpoint.replies.append(reply)
    with pytest.raises(error, match=message):
        _engine(endpoint).recognize([render(grocery_receipt())])


def test_a_model_that_never_answers_times_out_as_transient(endpoint: FakeEndpoint) -> None:
    endpoint.replies.append(Reply(hold=True))
    with pytest.raises(TransientEngineError, match="did not answer"):
        _engine(endpoint, timeout=0.2).recognize([render(grocery_receipt())])


def test_nothing_listening_is_transient() -> None:
    engine = get_engine("llm", url="http://127.0.0.1:9/v1", model="m", timeout=2)
    with pytest.raises(TransientEngineError, match="Cannot reach"):
        engine.recognize([render(grocery_receipt())])


def test_missing_configuration_fails_at_start() -> None:
    with pytest.raises(EngineUnavailableError, match="url"):
        get_engine("llm")
    with pytest.raises(EngineUnavailableError, match="http"):
        get_engine("llm", url="ftp://x", model="m")
    with pytest.raises(EngineUnavailableError, match="price"):
        get_engine("llm", url="http://127.0.0.1/v1", model="m", input_price_per_mtok="lots")


def test_key_from_the_environment(endpoint: FakeEndpoint, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCR_DESK_LLM_API_KEY", "sk-env")
    engine = get_engine("llm", url=endpoint.url, model="m")
    engine.recognize([render(grocery_receipt())])
    assert endpoint.headers[0]["Authorization"] == "Bearer sk-env"


def test_a_server_without_json_mode_is_asked_again_without_it(endpoint: FakeEndpoint) -> None:
    refusal = {"error": {"message": "response_format is not supported by this model"}}
    endpoint.replies.append(Reply(400, refusal))
    output = _engine(endpoint).recognize([render(grocery_receipt())])
    assert "response_format" in endpoint.requests[0]
    assert "response_format" not in endpoint.requests[1]
    assert output.fields is not None
    assert output.fields.value("total") == Decimal("10.12")
