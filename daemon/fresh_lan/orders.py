"""The Fresh KDS LAN order listener: one JSON command per TCP connection, answered, then closed.

A client connects and sends `{"command": ..., "order": {...}}` (a document without `command` is a
create-order, and the oldest clients send the bare order). The answer goes out as soon as one whole JSON
document is held (daemon.fresh_lan.document), whether or not the client half-closes: the order id on
success, as Fresh answers, or a short JSON error naming the field or the reason. The commands run through
daemon.api.integrator_commands, exactly as the integrator API's do.

Every connection has a deadline for its whole document and a size bound, so split documents, garbage,
documents that never complete and clients that say nothing cost a bounded time and memory each, and never
block the next client. The protocol carries no credentials: the peer's address must be in the allow-list,
and every refusal is logged with its source.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from daemon.api import integrator_commands
from daemon.api.context import Kitchen
from daemon.domain.errors import HeardError
from daemon.domain.events import Actor
from daemon.fresh_lan.document import DocumentEnd, NotADocument
from daemon.fresh_lan.interfaces import Network, allowed
from daemon.store.store import Store

log = logging.getLogger(__name__)

READ_CHUNK = 65_536
# After answering, what the client still sends is read and dropped for a moment before closing: closing a
# socket with unread bytes resets the connection, and the reset can destroy the answer before the client
# reads it (a client that sent garbage or an oversized document is answered before it finished sending).
LINGER_SECONDS = 2.0
LINGER_BYTES = 16 * 1024 * 1024
DEFAULT_COMMAND = "create-order"


class Refusal(Exception):
    """A request answered with an error and no command run: `code`, a message, and the field if one."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


def error_answer(code: str, message: str, field: str | None = None) -> bytes:
    error: dict[str, Any] = {"code": code, "message": message}
    if field:
        error["field"] = field
    return orjson.dumps({"error": error})


@dataclass
class ListenerLimits:
    max_bytes: int  # one document, at most (server.max_body_bytes)
    timeout_seconds: float  # for the whole document from the connection's start, and for the answer to drain
    max_clients: int = 128  # connections being read at once; the next one is answered BUSY, not left waiting


def command_of(document: Any) -> tuple[str, Any]:
    """The command and its order from a received document: `{"command", "order"}`, the command-less form
    (create-order), or the bare order of the oldest clients."""
    if not isinstance(document, dict):
        raise Refusal("VALIDATION_ERROR", "the document must be a JSON object")
    if "command" not in document:
        order = document.get("order")
        return DEFAULT_COMMAND, order if isinstance(order, dict) else document
    name = document["command"]
    if not isinstance(name, str) or name not in integrator_commands.BY_NAME:
        known = ", ".join(integrator_commands.BY_NAME)
        raise Refusal("VALIDATION_ERROR", f"command: must be one of {known}", "command")
    order = document.get("order")
    if order is None:
        raise Refusal("VALIDATION_ERROR", "order: is required", "order")
    return name, order


class OrderListener:
    """The TCP server on fresh_lan.tcp_port."""

    def __init__(
        self,
        store: Store,
        kitchen: Kitchen,
        allow: Sequence[Network],
        limits: ListenerLimits,
        host: str = "0.0.0.0",
        port: int = 9104,
    ) -> None:
        self.store = store
        self.kitchen = kitchen
        self.allow = list(allow)
        self.limits = limits
        self.host = host
        self.port = port
        self.refused = 0  # connections refused by the allow-list
        self._reading = 0
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def reading(self) -> int:
        """Connections whose document is being read now (bounded by limits.max_clients)."""
        return self._reading

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info(
            "fresh lan order listener host=%s port=%d allow=%s", self.host, self.port, ",".join(map(str, self.allow))
        )

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            await self._serve(reader, writer)
        finally:
            self._handlers.discard(task)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        source = str(peer[0]) if peer else "unknown"
        if not allowed(source, self.allow):
            self.refused += 1
            log.warning("fresh lan connection refused source=%s reason=not in fresh_lan.allow", source)
            writer.transport.abort()
            return
        try:
            if self._reading >= self.limits.max_clients:
                log.warning("fresh lan connection refused source=%s reason=busy clients=%d", source, self._reading)
                answer = error_answer("BUSY", "too many connections at once; try again")
            else:
                answer = await self._answer(reader, source)
            writer.write(answer)
            async with asyncio.timeout(self.limits.timeout_seconds):
                await writer.drain()
            if writer.can_write_eof():
                writer.write_eof()
            await _linger(reader, min(LINGER_SECONDS, self.limits.timeout_seconds))
        except (TimeoutError, ConnectionError):
            log.info("fresh lan client did not take its answer source=%s", source)
            writer.transport.abort()
            return
        finally:
            writer.close()
        with contextlib.suppress(TimeoutError, ConnectionError):
            async with asyncio.timeout(self.limits.timeout_seconds):
                await writer.wait_closed()

    async def _answer(self, reader: asyncio.StreamReader, source: str) -> bytes:
        self._reading += 1
        try:
            try:
                async with asyncio.timeout(self.limits.timeout_seconds):
                    raw = await self._read_document(reader)
            finally:
                self._reading -= 1
            name, order = command_of(_parse(raw))
            oid = await integrator_commands.BY_NAME[name](
                self.store,
                self.kitchen,
                order,
                [self.kitchen.device.id],
                Actor(f"fresh-lan:{source}", (), "integration"),
            )
        except TimeoutError:
            seconds = self.limits.timeout_seconds
            log.info("fresh lan document timed out source=%s seconds=%s", source, seconds)
            return error_answer("REQUEST_TIMEOUT", f"no whole JSON document arrived within {seconds:g} s")
        except Refusal as refusal:
            log.info("fresh lan request refused source=%s code=%s reason=%s", source, refusal.code, refusal.message)
            return error_answer(refusal.code, refusal.message, refusal.field)
        except HeardError as exc:
            log.info("fresh lan command refused source=%s code=%s reason=%s", source, exc.code, exc.message)
            return error_answer(exc.code, exc.message, exc.field)
        except Exception:
            log.exception("fresh lan command failed source=%s", source)
            return error_answer("INTERNAL_ERROR", "internal error; the command was not applied")
        log.info("fresh lan %s order=%s source=%s", name, oid, source)
        return oid.encode()

    async def _read_document(self, reader: asyncio.StreamReader) -> bytes:
        scan = DocumentEnd()
        while True:
            chunk = await reader.read(READ_CHUNK)
            if not chunk:
                if scan.blank:
                    raise Refusal("MALFORMED_JSON", "the connection closed before any JSON document")
                raise Refusal("MALFORMED_JSON", "the connection closed before the JSON document was complete")
            try:
                end = scan.feed(chunk)
            except NotADocument as exc:
                raise Refusal("MALFORMED_JSON", str(exc)) from None
            if end is not None:
                if end > self.limits.max_bytes:
                    raise _too_large(self.limits.max_bytes)
                return bytes(scan.buffer[:end])
            if len(scan.buffer) > self.limits.max_bytes:
                raise _too_large(self.limits.max_bytes)


async def _linger(reader: asyncio.StreamReader, seconds: float) -> None:
    """Drop what the client still sends until it closes its side, for at most `seconds` and LINGER_BYTES."""
    dropped = 0
    with contextlib.suppress(TimeoutError, ConnectionError):
        async with asyncio.timeout(seconds):
            while dropped <= LINGER_BYTES:
                chunk = await reader.read(READ_CHUNK)
                if not chunk:
                    return
                dropped += len(chunk)


def _too_large(limit: int) -> Refusal:
    return Refusal("PAYLOAD_TOO_LARGE", f"the document is larger than {limit} bytes")


def _parse(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise Refusal("MALFORMED_JSON", f"not valid JSON: {exc}") from None
