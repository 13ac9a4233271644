"""A daemon killed with SIGKILL between sending a chit and the printer's confirmation: after the restart
the chit prints (never lost), marked RESENT (a possible duplicate is never silent), and only once more."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from drivers.printers.emulator import EmulatedPrinter, TcpPrinter
from tests.daemon.process import DaemonProcess
from tests.daemon.reactions.conftest import order, wait_for


def _config(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "heard.toml"
    path.write_text(
        f"""
[[stations]]
id = "grill"
name = "Grill"
printers = ["main"]

[[routing]]
station = "grill"
default = true

[[printers]]
id = "main"
kind = "network"
host = "127.0.0.1"
port = {port}
profile = "TM-T88V"
"""
    )
    return path


def _request(daemon: DaemonProcess, method: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        daemon.url + path, data=data, method=method, headers={**headers, "Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


@pytest.mark.parametrize("jam", ["lost in the jam", "printed before the jam"])
async def test_sigkill_between_send_and_confirmation(tmp_path: Path, jam: str) -> None:
    server = TcpPrinter(EmulatedPrinter("main")).start()
    printer = server.printer
    env = {"HEARD_CONFIG": str(_config(tmp_path, server.port))}
    daemon = DaemonProcess(tmp_path / "data", env=env).start()
    try:
        pos = {
            "x-integration-token": daemon.integration_token(),
            "x-location-id": "demo-location",
            "x-device-ids": "all",
        }
        printer.jam_at_next_cut(keep=jam == "printed before the jam")
        _request(daemon, "POST", "/integrators/kds-orders", pos, order("K1", "Ribeye"))
        await wait_for(lambda: len(printer.jammed_chits) == 1, "the chit sent and the printer jammed")
        daemon.kill()  # the worker is waiting for a status answer that never comes
        printer.stall(False)

        daemon.start()
        bearer = {"Authorization": "Bearer " + daemon.heardctl("token", "--role", "manager").strip()}

        def settled() -> bool:
            [status] = _request(daemon, "GET", "/api/v1/printers", bearer)
            return bool(status["printed"] == 1 and status["jobs_waiting"] == 0)

        await wait_for(settled, "the chit printed after the restart", timeout=20)
    finally:
        daemon.stop()
        server.stop()

    printed = printer.chits_with("Guest K1")
    assert printed[-1].has("RESENT")
    if jam == "lost in the jam":
        assert len(printed) == 1  # nothing lost
    else:
        assert len(printed) == 2 and not printed[0].has("RESENT")  # the repeat says what it is
