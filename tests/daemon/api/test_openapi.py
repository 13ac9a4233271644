"""The OpenAPI document and the router must describe the same routes."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestClient


def registered_routes(app: web.Application) -> set[tuple[str, str]]:
    routes = set()
    for route in app.router.routes():
        if route.method in ("HEAD", "OPTIONS"):
            continue
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter")
        routes.add((route.method.lower(), path))
    return routes


async def test_openapi_document_matches_registered_routes(client: TestClient) -> None:
    doc = await (await client.get("/openapi.json")).json()

    documented = {(method, path) for path, ops in doc["paths"].items() for method in ops}

    assert doc["openapi"].startswith("3.1")
    assert documented == registered_routes(client.app)


async def test_every_documented_ref_resolves(client: TestClient) -> None:
    doc = await (await client.get("/openapi.json")).json()
    schemas = doc["components"]["schemas"]

    def refs(node: object) -> list[str]:
        if isinstance(node, dict):
            return [v for k, v in node.items() if k == "$ref"] + [r for v in node.values() for r in refs(v)]
        if isinstance(node, list):
            return [r for v in node for r in refs(v)]
        return []

    missing = [r for r in refs(doc) if r.split("/")[-1] not in schemas]
    assert missing == []
