"""A real heard-daemon uploading to a real heard-hq (SQLite and PostgreSQL): every event arrives once."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.daemon.process import DaemonProcess, free_port, until
from tests.hq.hqprocess import HqProcess

LOCATION = "loc-up"
CONFIG = """
[location]
tenant_id = "t1"
location_id = "{location}"

[[stations]]
id = "grill"
name = "Grill"

[[stations]]
id = "fry"
name = "Fry"

[[routing]]
station = "fry"
name_pattern = "fries"

[[routing]]
station = "grill"
default = true

[upstream]
url = "{url}"
token = "{token}"
"""


def order(oid: str) -> dict[str, Any]:
    return {
        "id": oid,
        "name": f"Guest {oid}",
        "time": "2026-11-24T12:00:00Z",
        "mode": "ToGo",
        "items": [
            {"lineId": "1", "name": "Hamburger", "qty": 1, "mods": [], "course": "1"},
            {"lineId": "2", "name": "Fries", "qty": 2, "mods": [], "course": "1"},
        ],
    }


@dataclass
class Kitchen:
    hq: HqProcess
    daemon: DaemonProcess
    reader: str
    headers: dict[str, str]
    _cache: dict[str, str] = field(default_factory=dict)

    def api(self, path: str, token: str) -> Any:
        request = urllib.request.Request(self.daemon.url + path, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=10) as resp:
            return json.loads(resp.read())

    def upstream(self) -> dict[str, Any]:
        return self.api("/api/v1/upstream", self.manager)

    @property
    def manager(self) -> str:
        if "manager" not in self._cache:
            self._cache["manager"] = self.daemon.heardctl("token", "--role", "manager").strip()
        return self._cache["manager"]

    def hq_get(self, path: str) -> Any:
        request = urllib.request.Request(self.hq.url + path, headers={"Authorization": f"Bearer {self.reader}"})
        with urllib.request.urlopen(request, timeout=10) as resp:
            return json.loads(resp.read())

    def origin_at_hq(self) -> dict[str, int]:
        try:
            locations = self.hq_get("/api/v1/locations")["locations"]
        except OSError:
            return {"events": -1, "max_seq": -1}
        for location in locations:
            if location["location_id"] == LOCATION:
                return dict(location["origins"].get(self.device_id, {"events": 0, "max_seq": 0}))
        return {"events": 0, "max_seq": 0}

    @property
    def device_id(self) -> str:
        if "device" not in self._cache:
            self._cache["device"] = str(json.loads(self.daemon.heardctl("status"))["device_id"])
        return self._cache["device"]

    def last_seq(self) -> int:
        conn = sqlite3.connect(self.daemon.data_dir / "heard.db")
        try:
            return int(conn.execute("SELECT MAX(seq) FROM events WHERE origin = ?", (self.device_id,)).fetchone()[0])
        finally:
            conn.close()

    async def send_orders(self, prefix: str, count: int, clients: int = 8) -> None:
        """`count` orders from a few POS clients at once; each must be acknowledged."""
        async with aiohttp.ClientSession(headers=self.headers) as session:

            async def client(first: int) -> None:
                for n in range(first, count, clients):
                    url = self.daemon.url + "/integrators/kds-orders"
                    async with session.post(url, json=order(f"{prefix}-{n}")) as r:
                        assert r.status in (200, 201), await r.text()

            await asyncio.gather(*(client(i) for i in range(clients)))

    async def all_arrived(self, timeout: float = 60.0) -> None:
        """Every event of the device at headquarters, each once and none missing: count == max_seq == last."""
        last = self.last_seq()
        await until(lambda: self.origin_at_hq() == {"events": last, "max_seq": last}, timeout, f"{last} events at hq")


def make_kitchen(tmp_path: Path, database: str, *, token: str | None = None, hq_up: bool = True) -> Kitchen:
    hq = HqProcess(database, tmp_path / "hq", port=free_port())
    device_token = token or hq.token("--location", LOCATION)
    reader = hq.token("--reader")
    if hq_up:
        hq.start()
    config = tmp_path / "heard.toml"
    config.write_text(CONFIG.format(location=LOCATION, url=hq.url, token=device_token))
    daemon = DaemonProcess(tmp_path / "data", env={"HEARD_CONFIG": str(config)}).start()
    headers = {
        "x-integration-token": daemon.integration_token(),
        "x-location-id": LOCATION,
        "x-device-ids": "all",
    }
    return Kitchen(hq, daemon, reader, headers)


@pytest.fixture
def kitchen(database: str, tmp_path: Path) -> Iterator[Kitchen]:
    k = make_kitchen(tmp_path, database)
    yield k
    k.daemon.stop()
    k.hq.stop()


async def test_events_arrive_once_and_the_reports_follow_the_kitchen(kitchen: Kitchen) -> None:
    await kitchen.send_orders("a", 5)
    chef = kitchen.daemon.heardctl("token", "--role", "chef").strip()
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {chef}"}) as s:
        for oid in ("a-0", "a-1"):
            async with s.post(f"{kitchen.daemon.url}/api/v1/kds/stations/grill/orders/{oid}/ticket/bump") as r:
                assert r.status == 200, await r.text()
        async with s.post(f"{kitchen.daemon.url}/api/v1/kds/stations/grill/orders/a-0/ticket/recall") as r:
            assert r.status == 200, await r.text()
    await kitchen.all_arrived()
    await until(lambda: kitchen.upstream()["pending"] == 0, 10, "the device to record the acks")
    status = kitchen.upstream()
    last = kitchen.last_seq()
    assert status == {
        "state": "ok",
        "pending": 0,
        "oldest_pending_age_s": None,
        "last_seq": last,
        "acked_seq": last,
        "dead_letter": 0,
        "last_error": None,
    }
    assert json.loads(kitchen.daemon.heardctl("upstream")) == status

    (location,) = kitchen.hq_get("/api/v1/locations")["locations"]
    assert location["orders"] == 5
    assert location["events"] == last
    summary = kitchen.hq_get(f"/api/v1/locations/{LOCATION}/summary")
    rest = dict(summary)
    tickets = {k: rest.pop(k) for k in ("orders", "tickets", "bumped", "recalled", "voided", "canceled")}
    assert tickets == {"orders": 5, "tickets": 10, "bumped": 1, "recalled": 1, "voided": 0, "canceled": 0}
    assert rest == {  # one of two stations bumped: no course is ready yet; no table was seated
        "course_pacing": {"courses_ready": 0, "on_time": 0, "adherence_percent": None},
        "timing_alerts": {"warning": 0, "critical": 0, "blocked": 0},
        "table_turns": {
            "turns": 0,
            "avg_turn_time_minutes": None,
            "avg_party_size": None,
            "revenue_per_seat_hour": None,
        },
    }
    speed = kitchen.hq_get(f"/api/v1/locations/{LOCATION}/speed?by=station")
    assert speed["by"] == "station"
    (grill,) = speed["groups"]
    assert grill["key"] == "grill" and grill["count"] == 1
    assert 0 <= grill["p50_s"] <= grill["p90_s"] <= grill["max_s"] < 60
    by_channel = kitchen.hq_get(f"/api/v1/locations/{LOCATION}/speed?by=channel")
    assert [g["key"] for g in by_channel["groups"]] == ["takeout"]
    old = kitchen.hq_get(f"/api/v1/locations/{LOCATION}/summary?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z")
    assert old["orders"] == 0
    await check_report_page(kitchen, summary)


async def check_report_page(kitchen: Kitchen, summary: dict[str, Any]) -> None:
    """The HTML page: 401 page without a credential, ?token= once sets an HttpOnly cookie and redirects to
    the address without it, the cookie then opens the page, whose figures are the JSON API's."""
    page = f"{kitchen.hq.url}/reports/{LOCATION}"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:  # unsafe: an IP address
        async with s.get(page) as r:
            assert r.status == 401 and "heard-hq token --reader" in await r.text()
        device = kitchen.hq.token("--location", LOCATION)
        async with s.get(page, headers={"Authorization": f"Bearer {device}"}) as r:
            assert r.status == 403
        async with s.get(page + f"?token={kitchen.reader}", allow_redirects=False) as r:
            assert r.status == 303
            assert r.headers["Location"] == f"/reports/{LOCATION}"
            cookie = r.headers["Set-Cookie"]
            assert "HttpOnly" in cookie and "heard_hq_reader=" in cookie
        async with s.get(page) as r:  # the session kept the cookie
            assert r.status == 200
            text = await r.text()
    for name, value in summary.items():
        if isinstance(value, int):
            assert f'data-figure="{name}">{value}<' in text
    assert '<svg id="by-station"' in text and 'data-key="grill"' in text
    assert '<svg id="by-hour"' in text and "<script" not in text and "http://" not in text.split("<svg")[0]


async def test_headquarters_down_under_load_then_back(database: str, tmp_path: Path) -> None:
    k = make_kitchen(tmp_path, database, hq_up=False)
    try:
        sending = asyncio.create_task(k.send_orders("down", 80))
        await until(lambda: k.upstream()["state"] == "retrying", 15, "the uploader to notice headquarters is down")
        status = k.upstream()
        assert status["pending"] > 0 and status["oldest_pending_age_s"] is not None
        assert "unreachable" in status["last_error"]
        k.hq.start()
        await sending
        await k.send_orders("up", 30)
        await k.all_arrived(timeout=90)  # backoff is capped at 60 s; full jitter makes most waits shorter
        await until(lambda: k.upstream()["state"] == "ok", 15, "state ok once the uploads succeed")
    finally:
        k.daemon.stop()
        k.hq.stop()


async def test_device_killed_mid_upload_sends_no_duplicate_and_leaves_no_gap(database: str, tmp_path: Path) -> None:
    k = make_kitchen(tmp_path, database, hq_up=False)
    try:
        await k.send_orders("k", 1200)  # three batches' worth, queued while headquarters is away
        k.daemon.stop()  # restarted once headquarters is up, its first upload goes at once (no backoff)
        k.hq.start()
        k.daemon.start()
        await until(lambda: k.origin_at_hq()["events"] > 0, 90, "the first batch at headquarters")
        await asyncio.to_thread(k.daemon.kill)
        held = k.origin_at_hq()
        k.daemon.start()
        await k.send_orders("after", 20)
        await k.all_arrived(timeout=90)
        assert held["events"] == held["max_seq"]  # what arrived before the kill was gapless too
    finally:
        k.daemon.stop()
        k.hq.stop()


async def test_an_event_headquarters_refuses_is_parked_and_the_rest_flow(database: str, tmp_path: Path) -> None:
    k = make_kitchen(tmp_path, database)
    try:
        await k.send_orders("before", 3)
        await k.all_arrived()
        k.daemon.stop()
        device, seq = k.device_id, k.last_seq() + 1
        conn = sqlite3.connect(k.daemon.data_dir / "heard.db")
        with conn:  # a damaged record: its payload is not an object
            conn.execute(
                "INSERT INTO events (pos, origin, seq, wall_ms, counter, type, aggregate, aggregate_id, payload,"
                " actor, schema) VALUES ((SELECT MAX(pos) + 1 FROM events), ?, ?, 1, 0, 'note.added', 'note', 'n1',"
                " '[1]', '{}', 1)",
                (device, seq),
            )
        conn.close()
        k.daemon.start()
        await k.send_orders("after", 3)
        last = k.last_seq()
        await until(lambda: k.origin_at_hq() == {"events": last - 1, "max_seq": last}, 30, "all but the bad event")
        await until(lambda: k.upstream()["pending"] == 0, 10, "the acks recorded")
        status = k.upstream()
        assert status["dead_letter"] == 1 and status["state"] == "ok"
        conn = sqlite3.connect(k.daemon.data_dir / "heard.db")
        (error,) = conn.execute("SELECT error FROM upstream_dead_letter WHERE origin = ? AND seq = ?", (device, seq))
        conn.close()
        assert "payload" in error[0]
    finally:
        k.daemon.stop()
        k.hq.stop()


async def test_a_refused_credential_pauses_and_says_so(tmp_path: Path) -> None:
    k = make_kitchen(tmp_path, f"sqlite:///{tmp_path / 'hq.db'}", token="hq_wrong_credential")
    try:
        await k.send_orders("p", 2)
        await until(lambda: k.upstream()["state"] == "paused", 15, "paused on 401")
        status = k.upstream()
        assert "401" in status["last_error"] and status["pending"] > 0
        chef = k.daemon.heardctl("token", "--role", "chef").strip()
        with pytest.raises(urllib.error.HTTPError) as refused:
            k.api("/api/v1/upstream", chef)
        assert refused.value.code == 403
    finally:
        k.daemon.stop()
        k.hq.stop()


async def test_no_upstream_table_means_off(tmp_path: Path) -> None:
    daemon = DaemonProcess(tmp_path / "data").start()
    try:
        token = daemon.heardctl("token", "--role", "owner").strip()
        request = urllib.request.Request(daemon.url + "/api/v1/upstream", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=10) as resp:
            body = json.loads(resp.read())
        assert body["state"] == "off" and body["pending"] == 0 and body["last_error"] is None
        assert json.loads(daemon.heardctl("upstream"))["state"] == "off"
    finally:
        daemon.stop()


async def test_a_refusal_in_the_middle_of_batches_in_flight(database: str, tmp_path: Path) -> None:
    """A backlog of several batches, sent several at a time, with a damaged record in the third: the batches
    before it are recorded, the ones sent after it are abandoned and sent again, and every other event
    arrives exactly once."""
    k = make_kitchen(tmp_path, database, hq_up=False)
    try:
        await k.send_orders("seed", 1)
        k.daemon.stop()
        device, first = k.device_id, k.last_seq() + 1
        bad = first + 1100  # in the third batch of 500 after the first one's
        conn = sqlite3.connect(k.daemon.data_dir / "heard.db")
        created = conn.execute(
            "SELECT wall_ms, payload, actor FROM events WHERE origin = ? AND type = 'order.created'", (device,)
        ).fetchone()
        rows = [
            (seq, created[0] + seq, "order.created", "order", f"clone-{seq}", created[1], created[2])
            if seq != bad
            else (seq, created[0] + seq, "note.added", "note", "n1", "[1]", "{}")
            for seq in range(first, first + 1600)
        ]
        with conn:
            top = int(conn.execute("SELECT MAX(pos) FROM events").fetchone()[0])
            conn.executemany(
                "INSERT INTO events (pos, origin, seq, wall_ms, counter, type, aggregate, aggregate_id, payload,"
                " actor, schema) VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?, 1)",
                [(top + n, device, *row) for n, row in enumerate(rows, start=1)],
            )
        conn.close()
        k.hq.start()
        k.daemon.start()
        last = k.last_seq()
        await until(lambda: k.origin_at_hq() == {"events": last - 1, "max_seq": last}, 60, "all but the bad event")
        await until(lambda: k.upstream()["pending"] == 0, 10, "the acks recorded")
        status = k.upstream()
        assert (status["dead_letter"], status["acked_seq"], status["state"]) == (1, last, "ok")
        (location,) = k.hq_get("/api/v1/locations")["locations"]
        assert location["orders"] == 1 + 1599
    finally:
        k.daemon.stop()
        k.hq.stop()
