"""Lists that one damaged record cannot break.

Everything accepted today passes the intake's limits, but the log keeps what older versions accepted,
and a list route must serve every order and ticket it can: a record that cannot be rendered or encoded
is skipped, logged at ERROR with its id, and counted (/readyz `skipped.reads`), and the rest is served.
Each record is encoded on its own and the array is joined, so the good path costs no extra encoding.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import orjson
from aiohttp import web

log = logging.getLogger(__name__)

T = TypeVar("T")


class ReadSkips:
    """How many records list routes have skipped since start."""

    def __init__(self) -> None:
        self.count = 0


READ_SKIPS = web.AppKey("read_skips", ReadSkips)


def encode_each(
    request: web.Request, records: Iterable[T], render: Callable[[T], Any], name: Callable[[T], str]
) -> bytes:
    """A JSON array of the rendered records, without the ones that cannot be rendered or encoded."""
    parts: list[bytes] = []
    for record in records:
        try:
            parts.append(orjson.dumps(render(record)))
        except Exception:
            request.app[READ_SKIPS].count += 1
            log.exception("skipping a record that cannot be rendered path=%s record=%.120s", request.path, name(record))
    return b"[" + b",".join(parts) + b"]"


def json_body(body: bytes, status: int = 200) -> web.Response:
    return web.Response(body=body, status=status, content_type="application/json")
