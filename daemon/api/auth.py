"""Authentication at the door: Bearer JWTs for /api/v1, integration tokens for /integrators."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from daemon.domain.errors import Forbidden, Unauthorized, ValidationFailed
from daemon.security.integration_tokens import IntegrationTokenCache, TokenRecord
from daemon.security.jwt_tokens import Principal, TokenVerifier
from daemon.security.policy import authorize

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
WEBSOCKET_PATH = "/api/v1/ws"
INFORMATION_PREFIX = "/integrators/kds-information"  # Fresh's information routes (daemon.api.kds_information)
PRINCIPAL = web.RequestKey("principal", Principal)
INTEGRATION = web.RequestKey("integration", TokenRecord)
INTEGRATION_TOKENS = web.AppKey("integration_tokens", IntegrationTokenCache)


def make_auth_middleware(
    *, verifier: TokenVerifier, integration_tokens: IntegrationTokenCache, location_id: str
) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    @web.middleware
    async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        if path.startswith("/api/v1/"):
            request[PRINCIPAL] = verifier.verify(_bearer(request))
        elif path.startswith("/integrators/"):
            await _check_integration(request, integration_tokens, location_id)
        return await handler(request)

    return auth_middleware


def _bearer(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    if request.path == WEBSOCKET_PATH and request.query.get("access_token"):
        return request.query["access_token"]  # browsers cannot set headers on a WebSocket
    raise Unauthorized("an Authorization: Bearer <JWT> header is required", code="TOKEN_MISSING")


async def integration_tokens_ctx(app: web.Application) -> AsyncIterator[None]:
    """Read the token table before serving, then keep re-reading it (after the store: it makes the table)."""
    tokens = app[INTEGRATION_TOKENS]
    await tokens.refresh()
    refresher = asyncio.create_task(tokens.run())
    yield
    refresher.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await refresher


async def _check_integration(request: web.Request, tokens: IntegrationTokenCache, location_id: str) -> None:
    token = request.headers.get("x-integration-token", "")
    record = await tokens.verify(token) if token else None
    if record is None:
        raise Unauthorized("x-integration-token is missing, unknown or revoked", code="INVALID_INTEGRATION_TOKEN")
    if request.path.startswith(INFORMATION_PREFIX):  # Fresh's information routes take the token alone
        request[INTEGRATION] = record
        return
    location = request.headers.get("x-location-id")
    if not location:
        raise ValidationFailed("x-location-id header is required", code="MISSING_HEADER", field="x-location-id")
    if location != location_id:
        raise Forbidden(f"this device serves location {location_id}, not {location}", code="LOCATION_MISMATCH")
    request[INTEGRATION] = record


def require(request: web.Request, permission: str) -> Principal:
    principal = request.get(PRINCIPAL)
    if principal is None:
        raise Unauthorized("authentication is required", code="TOKEN_MISSING")
    authorize(principal, permission)
    return principal
