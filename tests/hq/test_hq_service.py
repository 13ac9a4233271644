"""heard-hq alone: credentials, exactly-once ingest, refusals, several processes on one database."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.hq.hqprocess import HqProcess


def wire(origin: str, seq: int, **changes: Any) -> dict[str, Any]:
    event = {
        "origin": origin,
        "seq": seq,
        "hlc": {"wall_ms": 1_764_500_000_000 + seq, "counter": 0},
        "type": "note.added",
        "aggregate": "note",
        "aggregate_id": f"n{seq}",
        "payload": {"n": seq},
        "actor": {"sub": "t", "roles": [], "kind": "user"},
        "schema": 1,
    }
    event.update(changes)
    return event


async def post(session: aiohttp.ClientSession, hq: HqProcess, token: str, body: Any) -> tuple[int, dict[str, Any]]:
    async with session.post(hq.url + "/api/v1/events", json=body, headers={"Authorization": f"Bearer {token}"}) as resp:
        return resp.status, await resp.json()


async def get(session: aiohttp.ClientSession, hq: HqProcess, path: str, token: str | None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with session.get(hq.url + path, headers=headers) as resp:
        return resp.status, await resp.json()


@pytest.fixture
def hq(database: str, tmp_path: Path) -> Any:
    process = HqProcess(database, tmp_path / "hq").start()
    yield process
    process.stop()


async def test_a_batch_sent_twice_is_stored_once_and_acked(hq: HqProcess) -> None:
    device = hq.token("--location", "loc-1")
    reader = hq.token("--reader")
    async with aiohttp.ClientSession() as s:
        batch = {"location_id": "loc-1", "events": [wire("dev-a", n) for n in range(1, 6)]}
        assert await post(s, hq, device, batch) == (200, {"acked": {"dev-a": 5}})
        assert await post(s, hq, device, batch) == (200, {"acked": {"dev-a": 5}})
        overlap = {"location_id": "loc-1", "events": [wire("dev-a", n) for n in range(4, 9)] + [wire("dev-b", 1)]}
        assert await post(s, hq, device, overlap) == (200, {"acked": {"dev-a": 8, "dev-b": 1}})
        status, body = await get(s, hq, "/api/v1/locations", reader)
    assert status == 200
    (location,) = body["locations"]
    assert location["location_id"] == "loc-1"
    assert location["events"] == 9
    assert location["origins"] == {"dev-a": {"events": 8, "max_seq": 8}, "dev-b": {"events": 1, "max_seq": 1}}
    assert location["last_event_at"] == "2025-11-30T10:53:20.008Z"


async def test_credentials_are_kept_apart(hq: HqProcess) -> None:
    device = hq.token("--location", "loc-1")
    reader = hq.token("--reader")
    batch = {"location_id": "loc-1", "events": [wire("dev-a", 1)]}
    async with aiohttp.ClientSession() as s:
        assert (await get(s, hq, "/api/v1/locations", None))[0] == 401
        assert (await get(s, hq, "/api/v1/locations", device))[0] == 403
        assert (await get(s, hq, "/api/v1/locations/loc-1/summary", device))[0] == 403
        assert (await post(s, hq, reader, batch))[0] == 403
        assert (await post(s, hq, "hq_nope_nope", batch))[0] == 401
        other = {"location_id": "loc-2", "events": [wire("dev-a", 1)]}
        status, body = await post(s, hq, device, other)
        assert (status, body["error"]["code"]) == (403, "LOCATION_MISMATCH")
        fresh = hq.token("--location", "loc-1")
        hq.token("--revoke", fresh.split("_")[1])
        assert (await post(s, hq, fresh, batch))[0] == 401
        assert (await get(s, hq, "/api/v1/locations", reader))[1] == {"locations": []}


async def test_an_unreadable_event_refuses_the_batch_and_names_it(hq: HqProcess) -> None:
    device = hq.token("--location", "loc-1")
    reader = hq.token("--reader")
    batch = {"location_id": "loc-1", "events": [wire("dev-a", 1), wire("dev-a", 2, payload=[1]), wire("dev-a", 3)]}
    async with aiohttp.ClientSession() as s:
        status, body = await post(s, hq, device, batch)
        assert status == 422
        assert body["error"]["code"] == "INVALID_EVENTS"
        assert body["invalid"] == [
            {"index": 1, "origin": "dev-a", "seq": 2, "field": "payload", "message": "must be an object"}
        ]
        assert (await get(s, hq, "/api/v1/locations", reader))[1] == {"locations": []}
        status, body = await post(s, hq, device, {"location_id": "loc-1", "events": "x"})
        assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR")


async def test_two_processes_ingesting_the_same_events_store_each_once(database: str, tmp_path: Path) -> None:
    first = HqProcess(database, tmp_path / "one").start()
    second = HqProcess(database, tmp_path / "two").start()
    try:
        device = first.token("--location", "loc-1")
        reader = first.token("--reader")
        batches = [
            {"location_id": "loc-1", "events": [wire(origin, n) for n in range(start, start + 50)]}
            for origin in ("dev-a", "dev-b")
            for start in range(1, 200, 25)  # overlapping windows of 50
        ]
        async with aiohttp.ClientSession() as s:
            results = await asyncio.gather(*(post(s, hq, device, b) for b in batches for hq in (first, second)))
            assert {status for status, _ in results} == {200}
            status, body = await get(s, second, "/api/v1/locations", reader)
        (location,) = body["locations"]
        assert location["events"] == 2 * 225
        assert location["origins"] == {
            "dev-a": {"events": 225, "max_seq": 225},
            "dev-b": {"events": 225, "max_seq": 225},
        }
    finally:
        first.stop()
        second.stop()


async def test_healthz_and_a_bad_database_url(tmp_path: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "sync.hq.main", "--database", "mysql://x/y", "token", "--reader"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "unsupported database" in result.stderr
    hq = HqProcess("sqlite:///relative.db", tmp_path / "rel").start()  # three slashes: a relative path
    try:
        assert (tmp_path / "rel" / "relative.db").exists()
        async with aiohttp.ClientSession() as s:
            assert await get(s, hq, "/healthz", None) == (200, {"status": "ok", "database": "ok"})
    finally:
        hq.stop()
