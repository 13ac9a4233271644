"""The systemd units as systemd itself reads them (systemd-analyze verify prints nothing), and the settings
the packaging issue names; the udev rules and tmpfiles the package installs."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SYSTEMD = ROOT / "systemd"
DAEMON_UNIT = SYSTEMD / "heard-daemon.service"
UI_UNIT = SYSTEMD / "heard-ui.service"
RULES = ROOT / "packaging" / "udev" / "60-heard.rules"
NEEDS_ANALYZE = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze (package systemd) is not installed"
)
PAIR = r'[A-Z_]+(\{[^}]+\})?(==|!=|=|\+=|:=)"[^"]*"'


def settings(unit: Path, section: str) -> list[tuple[str, str]]:
    """A section's settings in order, as (name, value)."""
    current, found = "", []
    for line in unit.read_text().splitlines():
        line = line.strip()
        if line.startswith("["):
            current = line
        elif current == f"[{section}]" and "=" in line and not line.startswith("#"):
            name, _, value = line.partition("=")
            found.append((name, value))
    return found


def values(unit: Path, section: str, name: str) -> list[str]:
    return [v for n, v in settings(unit, section) if n == name]


@NEEDS_ANALYZE
def test_both_units_verify_cleanly(tmp_path: Path) -> None:
    # verify checks that each ExecStart program exists. The daemon's: this checkout's installed script (the
    # package's is tested in tests/packaging); cage: the real one where it is installed, else a stand-in,
    # since the kiosk compositor is the device's, not the CI machine's.
    daemon = Path(sys.executable).with_name("heard-daemon")
    ui = Path(sys.executable).with_name("heard-ui")
    cage = shutil.which("cage") or shutil.which("true")
    assert cage is not None
    for unit in (DAEMON_UNIT, UI_UNIT):
        text = unit.read_text().replace("/opt/heard/bin/heard-daemon", str(daemon))
        text = text.replace("/opt/heard/bin/heard-ui", str(ui)).replace("/usr/bin/cage", cage)
        (tmp_path / unit.name).write_text(text)

    result = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / u.name) for u in (DAEMON_UNIT, UI_UNIT))],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )

    # It exits 0 on typos such as WatchDogSec=, so any output at all is a failure.
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_the_daemon_is_notify_with_a_watchdog_and_always_restarted() -> None:
    service = dict(settings(DAEMON_UNIT, "Service"))

    assert service["Type"] == "notify"
    assert int(service["WatchdogSec"]) > 0
    assert service["Restart"] == "always"
    assert (service["User"], service["StateDirectory"]) == ("heard", "heard")


def test_the_daemon_runs_the_device_configuration_on_the_data_folder() -> None:
    (exec_start,) = values(DAEMON_UNIT, "Service", "ExecStart")

    assert exec_start.split()[0] == "/opt/heard/bin/heard-daemon"
    assert "--config /etc/heard/heard.toml" in exec_start
    assert "--data-dir /var/lib/heard" in exec_start


def test_a_configuration_error_is_not_restarted_in_a_loop() -> None:
    # heard-daemon exits 2 on a configuration error (tests/daemon/test_config.py).
    assert values(DAEMON_UNIT, "Service", "RestartPreventExitStatus") == ["2"]


def test_the_daemon_unit_sets_the_descriptor_limit() -> None:
    # The daemon raises its soft limit to the hard one (tests/daemon/test_main.py); this is that hard one.
    assert values(DAEMON_UNIT, "Service", "LimitNOFILE") == ["8192"]


def test_the_daemon_is_hardened_yet_reaches_printers_and_bump_bars() -> None:
    service = dict(settings(DAEMON_UNIT, "Service"))

    for name in ("NoNewPrivileges", "ProtectHome", "PrivateTmp"):
        assert service[name] == "yes", name
    assert service["ProtectSystem"] == "strict"
    assert set(service["RestrictAddressFamilies"].split()) == {"AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK"}
    assert set(service["SupplementaryGroups"].split()) == {"lp", "dialout", "input"}
    allowed = {v.split()[0] for v in values(DAEMON_UNIT, "Service", "DeviceAllow")}
    # usblp printers (major "usb"), libusb, USB serial adapters, built-in serial ports, evdev bump bars.
    assert allowed == {"char-usb", "char-usb_device", "char-ttyUSB", "char-ttyACM", "char-ttyS", "char-input"}
    assert "PrivateDevices" not in service  # it would hide the very devices DeviceAllow lets through


@NEEDS_ANALYZE
def test_the_daemon_is_well_confined_by_systemds_own_measure(tmp_path: Path) -> None:
    unit = tmp_path / DAEMON_UNIT.name
    unit.write_text(DAEMON_UNIT.read_text().replace("/opt/heard/bin/heard-daemon", sys.executable))
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", str(unit)], capture_output=True, text=True, timeout=60
    )
    exposure = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout + result.stderr)
    if exposure is None:
        pytest.skip(f"this systemd-analyze cannot score a unit offline: {result.stderr.strip()[:200]}")

    assert float(exposure[1]) <= 3.0  # systemd's "OK"; a unit with no hardening scores 9.6


def test_the_screen_runs_in_cage_on_the_first_display_after_the_daemon() -> None:
    unit = dict(settings(UI_UNIT, "Unit"))
    service = dict(settings(UI_UNIT, "Service"))
    (exec_start,) = values(UI_UNIT, "Service", "ExecStart")

    assert exec_start.startswith("/usr/bin/cage ")
    assert "/opt/heard/bin/heard-ui --data-dir /var/lib/heard --fullscreen" in exec_start
    assert "heard-daemon.service" in " ".join(values(UI_UNIT, "Unit", "After"))
    assert "heard-daemon.service" in " ".join(values(UI_UNIT, "Unit", "Wants"))
    assert (service["TTYPath"], service["User"]) == ("/dev/tty1", "heard")
    assert "getty@tty1.service" in unit["Conflicts"]
    assert service["Restart"] == "always"
    assert unit["StartLimitIntervalSec"] == "0"  # never gives up bringing the screen back
    assert (ROOT / "packaging" / "pam" / service["PAMName"]).exists()


def test_both_units_start_at_boot() -> None:
    assert values(DAEMON_UNIT, "Install", "WantedBy") == ["multi-user.target"]
    assert values(UI_UNIT, "Install", "WantedBy") == ["graphical.target"]


def rules() -> list[str]:
    return [line for line in RULES.read_text().splitlines() if line.strip() and not line.startswith("#")]


def test_udev_gives_the_heard_group_usb_printers_and_serial_ports() -> None:
    lines = rules()
    printers = [r for r in lines if 'KERNEL=="lp[0-9]*"' in r or "ID_USB_INTERFACES" in r]
    serial = [r for r in lines if 'SUBSYSTEM=="tty"' in r]

    assert printers and all('GROUP="heard"' in r for r in printers)
    assert any(":07????:" in r for r in printers)  # the USB printer class, whatever its subclass/protocol
    assert serial and all('GROUP="heard"' in r and "ttyUSB" in r for r in serial)


def test_udev_tags_bump_bars_by_vendor_and_hides_them_from_the_compositor() -> None:
    text = RULES.read_text()
    vendors = re.findall(r'ATTRS\{idVendor\}=="([0-9a-f]{4})", ENV\{HEARD_BUMPBAR\}="1"', text)

    assert "0fa8" in vendors  # Logic Controls
    assert re.search(r'ENV\{HEARD_BUMPBAR\}=="1".*GROUP="heard"', text)
    assert re.search(r'ENV\{HEARD_BUMPBAR\}=="1".*ENV\{LIBINPUT_IGNORE_DEVICE\}="1"', text)
    assert "To add a bump bar" in text


def test_every_rule_is_a_list_of_key_operator_value() -> None:
    # udevadm verify (systemd 254) is not in Debian 12's udev: check the grammar udevd reads, KEY[{attr}]op"value"
    # pairs separated by commas, so a typo fails here rather than silently on the device.
    for line in rules():
        assert re.fullmatch(rf"{PAIR}(,\s*{PAIR})*", line), line


def test_tmpfiles_makes_the_data_folder_for_the_heard_user() -> None:
    lines = [
        line.split()
        for line in (ROOT / "packaging/tmpfiles/heard.conf").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    assert ["d", "/var/lib/heard", "0750", "heard", "heard", "-"] in lines
