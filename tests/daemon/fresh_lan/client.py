"""A Fresh LAN client written to the public protocol: connect, send one JSON document, read the answer."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import orjson

from tests.conftest import SEED_ORDER


def lan_order(**changes: Any) -> dict[str, Any]:
    """The seed order as Fresh's LAN clients send it: `time` in epoch milliseconds."""
    body = copy.deepcopy(SEED_ORDER)
    body["time"] = 1680529718769
    body.update(changes)
    return body


async def send(
    port: int,
    document: Any,
    *,
    half_close: bool = True,
    chunk: int | None = None,
    timeout: float = 10.0,
) -> bytes:
    """Send a document (bytes as they are, anything else as JSON) and return everything the device answered
    before closing. `chunk` splits the bytes into that many per TCP write, each drained on its own."""
    raw = document if isinstance(document, bytes) else orjson.dumps(document)
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            step = chunk or len(raw) or 1
            for i in range(0, len(raw), step):
                writer.write(raw[i : i + step])
                await writer.drain()
            if half_close:
                writer.write_eof()
            return await reader.read()
        finally:
            writer.close()


def error_of(answer: bytes) -> dict[str, Any]:
    error: dict[str, Any] = orjson.loads(answer)["error"]
    return error
