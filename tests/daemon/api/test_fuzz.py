"""Fuzzing every documented route with schemathesis: no input, however wrong, makes the daemon answer 5xx."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.daemon.process import DaemonProcess

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@pytest.mark.skipif(not SCHEMATHESIS.exists() and not shutil.which("schemathesis"), reason="schemathesis missing")
def test_no_generated_request_gets_a_server_error(tmp_path: Path) -> None:
    daemon = DaemonProcess(tmp_path / "data").start()
    try:
        jwt = daemon.heardctl("token", "--role", "manager").strip()
        headers = {
            "Authorization": f"Bearer {jwt}",
            "x-integration-token": daemon.integration_token(),
            "x-location-id": "demo-location",
            "x-device-ids": "all",
        }
        args = [
            str(SCHEMATHESIS),
            "run",
            f"{daemon.url}/openapi.json",
            "--max-examples",
            "15",
            "--checks",
            "not_a_server_error",
            "--seed",
            "20261124",
            "--no-color",
        ]
        for key, value in headers.items():
            args += ["-H", f"{key}: {value}"]
        # schemathesis keeps its caches in the working folder: give it ours.
        result = subprocess.run(
            args,
            capture_output=True,
            text=True,
            timeout=240,
            cwd=tmp_path,
        )
    finally:
        daemon.stop()
    assert result.returncode == 0, result.stdout[-4000:]
    assert "unhandled error" not in daemon.log()
