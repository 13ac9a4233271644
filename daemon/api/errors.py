"""The error model: every failure leaves as JSON with a stable code, never as a stack trace."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from daemon.api.responses import json_response
from daemon.domain.errors import HeardError

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """The one error shape: `{"error": {"code", "message"}}`, plus what a seed asks for beside it."""
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    body.update(extra)
    return body


def error_response(status: int, code: str, message: str, **extra: Any) -> web.Response:
    return json_response(error_body(code, message, **extra), status=status)


_HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Render domain errors and aiohttp's own HTTP errors as JSON; hide everything else behind a 500."""
    try:
        return await handler(request)
    except HeardError as exc:
        body = error_body(exc.code, exc.message)
        if exc.field:
            body["error"]["field"] = exc.field
        if request.path.startswith("/integrators/"):
            body["message"] = exc.message  # the integrator seed's own error shape, beside ours
        elif request.path.startswith("/api/v1/kitchen/"):
            body["success"] = False  # the kitchen-orders seed answers {success, data}
        return json_response(body, status=exc.status)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _HTTP_CODES.get(exc.status, "HTTP_ERROR")
        message = exc.reason if exc.status != 413 else "request body is too large"
        resp = error_response(exc.status, code, message)
        if exc.status == 405 and "Allow" in exc.headers:
            resp.headers["Allow"] = exc.headers["Allow"]
        return resp
    except Exception:
        log.exception("unhandled error path=%s method=%s", request.path, request.method)
        return error_response(500, "INTERNAL_ERROR", "internal error; the request was not applied")
