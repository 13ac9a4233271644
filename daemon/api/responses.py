"""JSON in and out of handlers, through orjson: on the ingest path the stdlib encoder was the largest
single cost (several encodes per order), and orjson is several times faster with the same output."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from aiohttp import web

from daemon.api.context import CONFIG
from daemon.domain.errors import HeardError, ValidationFailed

# The header as a mapping: aiohttp parses a `content_type=` argument into its parts on every response.
JSON_HEADERS = {"Content-Type": "application/json"}


def json_response(body: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, headers=JSON_HEADERS)


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


async def read_json(request: web.Request) -> Any:
    """The request body as JSON, or a 400 that says why (empty, not UTF-8, not JSON); a body that has not
    arrived within the request deadline is a 408, so a client sending it a byte at a time cannot hold a handler."""
    seconds = request.app[CONFIG].server.request_timeout_seconds
    try:
        if request.content.is_eof():  # the whole body came with the headers (nearly every order): no wait
            raw = await request.read()
        else:
            async with asyncio.timeout(seconds):
                raw = await request.read()
    except TimeoutError:
        raise HeardError(
            f"the request body did not arrive within {seconds} s", code="REQUEST_TIMEOUT", status=408
        ) from None
    if not raw:
        raise ValidationFailed("request body is empty; a JSON document is required", code="MALFORMED_JSON")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValidationFailed(f"request body is not valid JSON: {exc}", code="MALFORMED_JSON") from None
