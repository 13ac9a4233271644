"""The systemd unit is valid as systemd itself reads it (systemd-analyze verify prints nothing)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[2] / "systemd" / "heard-daemon.service"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here")
def test_daemon_unit_verifies_cleanly(tmp_path: Path) -> None:
    # verify checks that ExecStart exists: point it at this checkout's installed script.
    daemon = Path(sys.executable).with_name("heard-daemon")
    unit = tmp_path / UNIT.name
    unit.write_text(UNIT.read_text().replace("/usr/bin/heard-daemon", str(daemon)))

    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)

    # It exits 0 on typos such as WatchDogSec=, so any output at all is a failure.
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_daemon_unit_is_notify_with_watchdog() -> None:
    text = UNIT.read_text()

    assert "Type=notify" in text
    assert "WatchdogSec=" in text


def service_settings() -> list[tuple[str, str]]:
    """The [Service] section's settings in order, as (name, value)."""
    section, settings = "", []
    for line in UNIT.read_text().splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            name, _, value = line.partition("=")
            settings.append((name, value))
    return settings


def test_daemon_unit_runs_with_the_device_configuration() -> None:
    settings = service_settings()

    assert ("Environment", "HEARD_CONFIG=/etc/heard/heard.toml") in settings
    # /etc/default/heard comes after, so an operator can name another file there.
    names = [name for name, _ in settings]
    assert names.index("Environment") < names.index("EnvironmentFile")


def test_a_configuration_error_is_not_restarted_in_a_loop() -> None:
    # heard-daemon exits 2 on a configuration error (tests/daemon/test_config.py).
    assert ("RestartPreventExitStatus", "2") in service_settings()


def test_daemon_unit_sets_the_descriptor_limit() -> None:
    # The daemon raises its soft limit to the hard one (tests/daemon/test_main.py); this is that hard one.
    assert ("LimitNOFILE", "8192") in service_settings()
