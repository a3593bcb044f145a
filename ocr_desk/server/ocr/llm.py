"""A vision LLM behind an OpenAI-compatible chat endpoint, for companies that run one.

The page images go to ``POST {url}/chat/completions`` with a prompt asking for the
receipt fields as JSON; the answer is validated (``llm_fields``) and its token
usage and cost recorded on the output. URL, model and key come from the server's
engine configuration; the key may also be named by an environment variable so it
stays out of ``server.json``.

How the endpoint's answers map to engine errors:
- timeouts, connection failures, 429 (``Retry-After`` kept in the message), 5xx and
  an answer that is not JSON: :class:`TransientEngineError` (the job is retried);
- 401/403/404 (wrong key, model or URL): :class:`EngineUnavailableError`;
- other 4xx (image refused, too large), a refusal or a cut-off answer: :class:`EngineError`.
"""

from __future__ import annotations

import base64
import io
import os
import time
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import httpx

from ocr_desk.server.ocr.base import (
    EngineError,
    EngineUnavailableError,
    OcrLine,
    OcrOutput,
    TransientEngineError,
)
from ocr_desk.server.ocr.llm_fields import PROMPT, parse_answer

if TYPE_CHECKING:
    from PIL import Image

__all__ = ["VisionLlmEngine"]

_MILLION = Decimal(1_000_000)


def _price(value: object, name: str) -> Decimal:
    try:
        price = Decimal(str(value))
    except InvalidOperation as exc:
        raise EngineUnavailableError(f"The llm engine's {name} {value!r} is not a number.") from exc
    if not price.is_finite() or price < 0:
        raise EngineUnavailableError(f"The llm engine's {name} must be a positive number.")
    return price


class VisionLlmEngine:
    """Reads fields and text with a vision model; records tokens and their cost."""

    name = "llm"

    def __init__(
        self,
        *,
        url: str = "",
        model: str = "",
        api_key: str = "",
        api_key_env: str = "OCR_DESK_LLM_API_KEY",
        timeout: float = 60.0,
        max_tokens: int = 2000,
        max_side: int = 1600,
        input_price_per_mtok: object = "0",
        output_price_per_mtok: object = "0",
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """Prices are per million tokens, in the plan's currency; 0 records no cost."""
        self.url = url.rstrip("/")
        self.model = model
        self._api_key = api_key or os.environ.get(api_key_env, "")
        self.timeout = timeout
        self.max_tokens = max_tokens
        self.max_side = max_side
        self.input_price = _price(input_price_per_mtok, "input_price_per_mtok")
        self.output_price = _price(output_price_per_mtok, "output_price_per_mtok")
        self.version = model or "unknown"
        self._transport = transport
        self._client: httpx.Client | None = None

    @property
    def endpoint(self) -> str:
        if self.url.endswith("/chat/completions"):
            return self.url
        return f"{self.url}/chat/completions"

    def check(self) -> None:
        if not self.url or not self.model:
            raise EngineUnavailableError(
                "The llm engine needs its endpoint and model: set engine_config "
                '{"url": "https://HOST/v1", "model": "NAME"} (and "api_key" or the '
                "OCR_DESK_LLM_API_KEY environment variable) in server.json."
            )
        if not self.url.startswith(("http://", "https://")):
            raise EngineUnavailableError(
                f"The llm engine's url {self.url!r} must start with http:// or https://."
            )

    def _http(self) -> httpx.Client:
        if self._client is None:
            headers = {"Content-Type": "application/json"}
            if self._api_key:
                headers["Authorization"] = f"Bearer {self._api_key}"
            self._client = httpx.Client(
                timeout=httpx.Timeout(self.timeout), headers=headers, transport=self._transport
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _image_part(self, page: Image.Image) -> dict[str, Any]:
        image = page
        if max(image.size) > self.max_side:
            image = image.copy()
            image.thumbnail((self.max_side, self.max_side))
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, "JPEG", quality=85)
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        return {"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{data}"}}

    def _request(self, pages: list[Image.Image]) -> dict[str, Any]:
        return {
            "model": self.model,
            "temperature": 0,
            "max_tokens": self.max_tokens,
            "response_format": {"type": "json_object"},
            "messages": [
                {"role": "system", "content": PROMPT},
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": f"The document has {len(pages)} page(s)."},
                        *(self._image_part(page) for page in pages),
                    ],
                },
            ],
        }

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self._http().post(self.endpoint, json=body)
        except httpx.TimeoutException as exc:
            raise TransientEngineError(
                f"The vision model did not answer within {self.timeout:g} s; the job will be "
                "retried."
            ) from exc
        except httpx.HTTPError as exc:
            raise TransientEngineError(
                f"Cannot reach the vision model at {self.endpoint} ({exc}); the job will be "
                "retried."
            ) from exc
        status = response.status_code
        detail = _error_detail(response)
        if status == 429:
            wait = response.headers.get("Retry-After")
            after = f" (it asks to wait {wait} s)" if wait else ""
            raise TransientEngineError(
                f"The vision model's rate limit was hit{after}: {detail}; the job will be retried."
            )
        if status >= 500:
            raise TransientEngineError(
                f"The vision model failed with HTTP {status}: {detail}; the job will be retried."
            )
        if status in (401, 403, 404):
            raise EngineUnavailableError(
                f"The vision model refused the configuration (HTTP {status}: {detail}); check "
                "the llm engine's url, model and api_key."
            )
        if status >= 400:
            raise EngineError(f"The vision model refused the document (HTTP {status}: {detail}).")
        try:
            data = response.json()
        except ValueError as exc:
            raise TransientEngineError(
                "The vision model's endpoint answered with something that is not JSON; the job "
                "will be retried."
            ) from exc
        if not isinstance(data, dict):
            raise TransientEngineError("The vision model's answer has an unexpected shape.")
        return data

    def recognize(self, pages: list[Image.Image]) -> OcrOutput:
        started = time.perf_counter()
        body = self._request(pages)
        try:
            data = self._post(body)
        except EngineError as exc:
            # Some OpenAI-compatible servers refuse response_format: ask once without it.
            if type(exc) is not EngineError or "response_format" not in exc.message:
                raise
            body.pop("response_format")
            data = self._post(body)
        content, finish = _message(data)
        if finish == "length":
            raise EngineError(
                f"The vision model's answer was cut off at max_tokens={self.max_tokens}; raise "
                "max_tokens in the llm engine's configuration."
            )
        if finish == "content_filter":
            raise EngineError("The vision model's content filter refused this document.")
        try:
            fields, text = parse_answer(content)
        except ValueError as exc:
            raise TransientEngineError(
                f"The vision model's answer was not the JSON asked for ({exc}); the job will "
                "be retried."
            ) from exc
        usage = _usage(data.get("usage"))
        cost = None
        if self.input_price or self.output_price:
            cost = (
                Decimal(usage.get("prompt_tokens", 0)) * self.input_price
                + Decimal(usage.get("completion_tokens", 0)) * self.output_price
            ) / _MILLION
            cost = cost.quantize(Decimal("0.000001"))
        version = str(data.get("model") or self.model)
        lines = tuple(
            OcrLine(
                text=line,
                confidence=0.9,
                box=(
                    (0.0, 20.0 * i),
                    (1000.0, 20.0 * i),
                    (1000.0, 20.0 * i + 16),
                    (0.0, 20.0 * i + 16),
                ),
            )
            for i, line in enumerate(row for row in text.splitlines() if row.strip())
        )
        return OcrOutput(
            lines=lines,
            engine=self.name,
            engine_version=version,
            seconds=time.perf_counter() - started,
            pages=len(pages),
            page_sizes=tuple(page.size for page in pages),
            fields=fields,
            usage=usage,
            cost=cost,
        )


def _error_detail(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error.get("code") or error)[:300]
    if isinstance(error, str):
        return error[:300]
    return str(data)[:200]


def _message(data: dict[str, Any]) -> tuple[str, str]:
    """The answer's text and finish reason; content may be a string or a list of parts."""
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise TransientEngineError("The vision model's answer has no choices.")
    choice = choices[0]
    message = choice.get("message") or {}
    if not isinstance(message, dict):
        raise TransientEngineError("The vision model's answer has no message.")
    if message.get("refusal"):
        raise EngineError(f"The vision model refused: {message['refusal']}")
    content = message.get("content")
    if isinstance(content, list):
        content = "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    if not isinstance(content, str) or not content.strip():
        content = ""
    return content, str(choice.get("finish_reason") or "")


def _usage(raw: object) -> dict[str, int]:
    if not isinstance(raw, dict):
        return {}
    usage = {}
    for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
        value = raw.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            usage[key] = value
    if "total_tokens" not in usage and usage:
        usage["total_tokens"] = usage.get("prompt_tokens", 0) + usage.get("completion_tokens", 0)
    return usage
