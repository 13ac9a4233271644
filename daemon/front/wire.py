"""What the front and the core say to each other: length-prefixed msgpack frames on a local stream socket.

A request (front → core) carries what the core's routes read: method, path with query, headers, the body,
the client's address, and what the front found while reading the body (too large, too slow). A reply
(core → front) carries the response: status, headers and body. Each has an id: the front sends many
requests before the first answer comes back, and the core answers them in the order they finish.
"""

from __future__ import annotations

import asyncio
import struct
from typing import Any

import msgspec

_LENGTH = struct.Struct(">I")
MAX_FRAME = 64 * 1024 * 1024  # a frame longer than this is a broken peer, not a request

BODY_COMPLETE, BODY_TOO_LARGE, BODY_TIMED_OUT = 0, 1, 2
MAX_FIRST_READ = 64 * 1024  # the bytes handed over with a connection travel in one message
READY = b"ready"  # the body of the front's first reply (id 0): it serves handed-over connections from now on


class Request(msgspec.Struct, array_like=True, gc=False):
    id: int
    method: str
    path: str  # with its query string, as the client sent it
    headers: list[tuple[str, str]]
    body: bytes
    peer: str | None = None
    body_state: int = BODY_COMPLETE  # BODY_TOO_LARGE: `body` is empty and the client's was over the limit
    # An order write's body as intake.check_order returned it ([fields, items]), when the front checked it
    # and found nothing wrong; then `body` is empty. Anything the check refused comes as the body itself,
    # for the core to refuse in its own words, after its own authentication.
    checked: Any = None


class Reply(msgspec.Struct, array_like=True, gc=False):
    id: int
    status: int
    headers: list[tuple[str, str]]
    body: bytes


_encoder = msgspec.msgpack.Encoder()
_requests = msgspec.msgpack.Decoder(Request)
_replies = msgspec.msgpack.Decoder(Reply)


def frame(message: Request | Reply) -> bytes:
    payload = _encoder.encode(message)
    return _LENGTH.pack(len(payload)) + payload


async def _read_frame(reader: asyncio.StreamReader) -> bytes:
    (length,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
    if length > MAX_FRAME:
        raise ValueError(f"a frame of {length} bytes")
    return await reader.readexactly(length)


async def read_request(reader: asyncio.StreamReader) -> Request:
    """The next request; asyncio.IncompleteReadError when the front has gone."""
    return _requests.decode(await _read_frame(reader))


async def read_reply(reader: asyncio.StreamReader) -> Reply:
    """The next reply; asyncio.IncompleteReadError when the core has gone."""
    return _replies.decode(await _read_frame(reader))
