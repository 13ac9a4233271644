"""The core's side of a request the front received: through the core's own routes and middlewares.

The request is rebuilt as `ForwardedRequest`, which offers what the daemon's handlers and middlewares read of an
aiohttp request (the route's match, headers, query, body, the application, a place for the authenticated
caller), and runs through the router and the middleware chain as aiohttp would run it. So authentication,
validation, every error's status and shape, and the answer are the core's own: the front adds nothing and
decides nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from functools import partial
from typing import Any

import orjson
from aiohttp import hdrs, web
from aiohttp.web_urldispatcher import MatchInfoError
from multidict import CIMultiDict, CIMultiDictProxy, MultiDictProxy
from yarl import URL

from daemon.api.errors import error_body
from daemon.api.integrator import CHECKED_ORDER
from daemon.api.responses import json_response
from daemon.front import wire

log = logging.getLogger(__name__)

Handler = Callable[[Any], Awaitable[web.StreamResponse]]
# Hop-by-hop, or the front's to compute for the body it sends.
_NOT_FORWARDED = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})


class _Body:
    """`request.content`, as far as the handlers look at it: whether the whole body is here."""

    __slots__ = ("_complete",)

    def __init__(self, complete: bool) -> None:
        self._complete = complete

    def is_eof(self) -> bool:
        return self._complete


class ForwardedRequest(MutableMapping[Any, Any]):
    """A request the front received, as the core's handlers read a `web.Request`."""

    def __init__(self, app: web.Application, message: wire.Request, max_body: int) -> None:
        self.app = app
        self.method = message.method
        self.rel_url = URL(message.path, encoded=True)
        self.headers = CIMultiDictProxy(CIMultiDict(message.headers))
        self.remote = message.peer
        self.secure = False
        self.protocol = None
        self.transport = None
        self.cookies: dict[str, str] = {}
        self._body = message.body
        self._body_state = message.body_state
        self._max_body = max_body
        self.content = _Body(message.body_state == wire.BODY_COMPLETE)
        self._match_info: web.UrlMappingMatchInfo | None = None
        self._state: dict[Any, Any] = {}
        if message.checked is not None:
            fields, items = message.checked
            self._state[CHECKED_ORDER] = (fields, items)

    @property
    def path(self) -> str:
        return self.rel_url.path

    @property
    def query(self) -> MultiDictProxy[str]:
        return self.rel_url.query

    @property
    def match_info(self) -> web.UrlMappingMatchInfo:
        assert self._match_info is not None
        return self._match_info

    @property
    def body_exists(self) -> bool:
        return bool(self._body) or self._body_state != wire.BODY_COMPLETE

    @property
    def can_read_body(self) -> bool:
        return self.body_exists

    async def read(self) -> bytes:
        if self._body_state == wire.BODY_TOO_LARGE:
            raise web.HTTPRequestEntityTooLarge(max_size=self._max_body, actual_size=self._max_body + 1)
        if self._body_state == wire.BODY_TIMED_OUT:
            raise TimeoutError  # as a body that stopped arriving times out in read_json's deadline
        return self._body

    def __getitem__(self, key: Any) -> Any:
        return self._state[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._state[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._state[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._state)

    def __len__(self) -> int:
        return len(self._state)


class Dispatcher:
    """Runs forwarded requests through the application: its router, then its middlewares outermost first."""

    def __init__(self, app: web.Application, max_body: int) -> None:
        self._app = app
        self._max_body = max_body
        self._chains: dict[Handler, Handler] = {}  # a route's handler → it wrapped in the middlewares

    async def answer(self, message: wire.Request) -> wire.Reply:
        request = ForwardedRequest(self._app, message, self._max_body)
        try:
            response = await self._handle(request)
        except web.HTTPException as exc:  # a redirect, which the error middleware lets through
            return _reply(message.id, exc)
        except Exception:  # the error middleware renders everything; this is a bug in the forwarding itself
            log.exception("forwarded request failed path=%s method=%s", request.path, request.method)
            response = json_response(error_body("INTERNAL_ERROR", "internal error; the request was not applied"), 500)
        return _reply(message.id, response)

    async def _handle(self, request: ForwardedRequest) -> web.StreamResponse:
        match_info = await self._app.router.resolve(request)  # type: ignore[arg-type]
        match_info.add_app(self._app)
        match_info.freeze()
        request._match_info = match_info  # noqa: SLF001 - where aiohttp's own Application._handle puts it
        handler: Handler = match_info.handler
        chain = self._chains.get(handler)
        if chain is None:
            chain = handler
            for middleware in reversed(self._app.middlewares):
                chain = partial(middleware, handler=chain)
            if not isinstance(match_info, MatchInfoError):  # a 404's handler is made per request
                self._chains[handler] = chain
        return await chain(request)


def _reply(request_id: int, response: web.StreamResponse | web.HTTPException) -> wire.Reply:
    """A response (or an HTTP exception raised as one) as a reply: status, headers and the whole body."""
    body = getattr(response, "body", _STREAMED)  # web.Response and web.HTTPException have one; a stream does not
    if body is _STREAMED:
        # A WebSocket cannot travel back as one message; the front refuses upgrades before they get here,
        # so this is a route that started streaming to a plain request.
        error = error_body("USE_NEW_CONNECTION", "this request needs a connection of its own; open a new one")
        return wire.Reply(request_id, 421, [(hdrs.CONTENT_TYPE, "application/json")], orjson.dumps(error))
    headers = [(str(k), v) for k, v in response.headers.items() if k.lower() not in _NOT_FORWARDED]
    return wire.Reply(request_id, response.status, headers, body if isinstance(body, bytes) else b"")


_STREAMED = object()
