"""JSON in and out of handlers, through orjson: on the ingest path the stdlib encoder was the largest
single cost (several encodes per order), and orjson is several times faster with the same output."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from daemon.domain.errors import ValidationFailed


def json_response(body: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


async def read_json(request: web.Request) -> Any:
    """The request body as JSON, or a 400 that says why (empty, not UTF-8, not JSON)."""
    raw = await request.read()
    if not raw:
        raise ValidationFailed("request body is empty; a JSON document is required", code="MALFORMED_JSON")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValidationFailed(f"request body is not valid JSON: {exc}", code="MALFORMED_JSON") from None
