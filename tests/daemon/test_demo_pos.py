"""The demo POS: its orders are ones the integrator API accepts, and it never runs on a real configuration."""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from aiohttp.test_utils import TestClient

from daemon.demo_pos import demo_order


async def test_every_demo_order_is_accepted_by_the_integrator_api(client: TestClient, pos: dict[str, str]) -> None:
    rng = random.Random(1)
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    for number in range(60):  # enough draws to cover every mode, menu line, note and priority
        resp = await client.post("/integrators/kds-orders", json=demo_order(number, rng, now), headers=pos)
        assert resp.status == 201, await resp.text()


def test_demo_refuses_a_configuration_file(tmp_path: Path) -> None:
    config = tmp_path / "heard.toml"
    config.write_text('[location]\nname = "Real Kitchen"\n')
    result = subprocess.run(
        [sys.executable, "-m", "daemon", "--demo", "--config", str(config), "--data-dir", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--demo runs only on the embedded demo" in result.stderr
