"""The report page in a real headless Chromium against a real heard-hq: it loads with no console error, its
charts are drawn (laid out with a size), and its figures are the JSON API's."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from sync.upstream.wire import event_to_wire
from tests.hq.browser import Browser, chromium_path
from tests.hq.hqprocess import HqProcess
from tests.hq.kitchen_day import ALERTS, TURNS, kitchen_day

LOCATION = "loc-page"

READ_PAGE = """(() => {
  const bars = id => [...document.querySelectorAll(`#${id} rect.p90`)].map(r => {
    const box = r.getBBox();
    return {key: r.dataset.key, width: box.width, height: box.height, fill: getComputedStyle(r).fill};
  });
  const tagged = name => Object.fromEntries([...document.querySelectorAll(`[data-${name}]`)].map(
    e => [e.dataset[name], JSON.parse(e.dataset.value)]));
  const figures = {};
  document.querySelectorAll('[data-figure]').forEach(e => figures[e.dataset.figure] = Number(e.textContent));
  return {
    title: document.title,
    search: location.search,
    cookie: document.cookie,
    figures,
    byHour: bars('by-hour'),
    byStation: bars('by-station'),
    slowest: document.querySelectorAll('#slowest tr').length - 1,
    pacing: tagged('pacing'),
    alerts: tagged('alerts'),
    turns: tagged('turns'),
    width: document.documentElement.scrollWidth,
  };
})()"""


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = chromium_path()
    if executable is None:
        pytest.skip("Chromium is not installed: `make test` installs Debian's chromium (apt-get install chromium)")
    b = await Browser(executable).start()
    try:
        yield b
    finally:
        await b.close()


def kitchen_events() -> list[dict[str, Any]]:
    return [event_to_wire(e) for e in kitchen_day(LOCATION, int(time.time() * 1000) - 6 * 3_600_000)]


async def test_the_report_page_draws_the_apis_figures(browser: Browser, tmp_path: Path) -> None:
    hq = HqProcess(f"sqlite:///{tmp_path / 'hq.db'}", tmp_path / "hq").start()
    try:
        device, reader = hq.token("--location", LOCATION), hq.token("--reader")
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {reader}"}) as s:
            body = {"location_id": LOCATION, "events": kitchen_events()}
            async with s.post(hq.url + "/api/v1/events", json=body, headers={"Authorization": f"Bearer {device}"}) as r:
                assert r.status == 200, await r.text()
            api: dict[str, Any] = {}
            for name, path in (
                ("summary", "summary"),
                ("hour", "speed?by=hour"),
                ("station", "speed?by=station"),
            ):
                async with s.get(f"{hq.url}/api/v1/locations/{LOCATION}/{path}") as r:
                    assert r.status == 200
                    api[name] = await r.json()

        await browser.open(f"{hq.url}/reports/{LOCATION}")  # no credential: the 401 page, which says how
        assert "reader credential" in await browser.evaluate("document.body.innerText")
        browser.errors.clear()  # the 401 itself is logged as a failed load; the page after is what counts

        await browser.open(f"{hq.url}/reports/{LOCATION}?token={reader}")  # the cookie flow, redirected
        page = await browser.evaluate(READ_PAGE)
        assert browser.errors == []
        assert page["title"] == f"Heard report: {LOCATION}"
        assert page["search"] == "" and page["cookie"] == ""  # the token left the address; the cookie is HttpOnly
        summary = api["summary"]
        assert {k: page["figures"][k] for k in ("orders", "tickets", "bumped", "voided", "recalled")} == {
            k: summary[k] for k in ("orders", "tickets", "bumped", "voided", "recalled")
        }
        assert summary["orders"] == 12 and summary["voided"] >= 1 and summary["recalled"] >= 1
        for chart, grouping in (("byHour", "hour"), ("byStation", "station")):
            groups = api[grouping]["groups"]
            assert [b["key"] for b in page[chart]] == [g["key"] for g in groups]
            assert groups and all(b["width"] > 0 and b["height"] > 0 for b in page[chart]), page[chart]
            assert all(b["fill"] == "rgb(158, 197, 232)" for b in page[chart])  # the stylesheet applied
        assert page["slowest"] == min(10, summary["bumped"])
        assert page["pacing"] == summary["course_pacing"]
        assert page["alerts"] == summary["timing_alerts"] == ALERTS
        assert page["turns"] == summary["table_turns"]
        assert {k: summary["table_turns"][k] for k in TURNS} == TURNS
        pacing = summary["course_pacing"]
        assert (pacing["courses_ready"], pacing["on_time"]) == (12, 11)  # p9 took 15 min against 10 min of prep

        phone_screen = {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True}
        await browser.call("Emulation.setDeviceMetricsOverride", phone_screen)
        await browser.open(f"{hq.url}/reports/{LOCATION}")
        phone = await browser.evaluate(READ_PAGE)
        assert phone["width"] <= 390, "the page scrolls sideways on a phone"
        assert phone["figures"] == page["figures"]
        assert browser.errors == []
    finally:
        hq.stop()
