"""Configuration: the embedded default, the file, environment and flags, and one clear line per mistake."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from daemon.config import ConfigError, load_config

EXAMPLE = Path(__file__).resolve().parents[2] / "packaging" / "heard.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "heard.toml"
    path.write_text(text)
    return path


def test_without_a_file_the_demo_location_is_used(tmp_path: Path) -> None:
    config = load_config(data_dir=tmp_path, environ={})

    assert config.location.location_id == "demo-location"
    assert {s.id for s in config.stations} >= {"grill", "expo"}
    assert config.printers[0].kind == "file"


def test_heard_config_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[location]\nlocation_id = "acme"\n')

    config = load_config(environ={"HEARD_CONFIG": str(path)})

    assert config.location.location_id == "acme"


def test_config_flag_wins_over_heard_config(tmp_path: Path) -> None:
    flag = write(tmp_path, '[location]\nlocation_id = "from-flag"\n')

    config = load_config(flag, environ={"HEARD_CONFIG": str(tmp_path / "absent.toml")})

    assert config.location.location_id == "from-flag"


def test_empty_heard_config_means_the_demo(tmp_path: Path) -> None:
    config = load_config(data_dir=tmp_path, environ={"HEARD_CONFIG": ""})

    assert config.location.location_id == "demo-location"


def test_missing_file_named_by_heard_config_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(environ={"HEARD_CONFIG": str(tmp_path / "heard.toml")})

    assert str(caught.value) == f"HEARD_CONFIG: {tmp_path / 'heard.toml'} does not exist"


def test_example_device_configuration_is_accepted(tmp_path: Path) -> None:
    config = load_config(EXAMPLE, data_dir=tmp_path, environ={})

    assert config.location.location_id == "my-restaurant"
    assert "prep" in {s.kind for s in config.stations}
    assert config.routing[-1].default


def test_file_environment_and_flags_in_that_order(tmp_path: Path) -> None:
    path = write(tmp_path, '[server]\nport = 9000\nhost = "127.0.0.1"\n[location]\nlocation_id = "acme"\n')

    config = load_config(
        path, environ={"HEARD_PORT": "9100", "HEARD_HOST": "10.0.0.1"}, overrides={"server.host": "127.0.0.2"}
    )

    assert (config.server.port, config.server.host, config.location.location_id) == (9100, "127.0.0.2", "acme")


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("[server]\nport = 70000\n", "server.port"),
        ('[server]\nport = "eighty"\n', "server.port"),
        ("[server]\nprot = 1\n", "server.prot"),
        ('[[stations]]\nid = "a"\nname = "A"\nkind = "grill"\n', "stations[0].kind"),
        ('[[stations]]\nid = "a"\nname = "A"\n[[routing]]\nstation = "b"\ndefault = true\n', "routing[0].station"),
        ('[[stations]]\nid = "a"\nname = "A"\n[[routing]]\nstation = "a"\n', "routing[0]"),
        (
            '[[stations]]\nid = "a"\nname = "A"\n[[routing]]\nstation = "a"\nname_pattern = "(("\n',
            "routing[0].name_pattern",
        ),
        ('[location]\nlocation_id = ""\n', "location.location_id"),
        ('log_level = "LOUD"\n', "log_level"),
    ],
)
def test_invalid_configuration_names_the_key(tmp_path: Path, toml: str, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, toml), environ={})

    assert caught.value.key == key


def test_daemon_refuses_to_start_with_one_clear_line(tmp_path: Path) -> None:
    path = write(tmp_path, "[server]\nport = 70000\n")

    result = subprocess.run(
        [sys.executable, "-m", "daemon", "--config", str(path), "--data-dir", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "heard-daemon: configuration error: server.port: must be between 0 and 65535, not 70000"
    ]


def test_daemon_with_a_missing_heard_config_file_says_so_in_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "etc" / "heard.toml"

    result = subprocess.run(
        [sys.executable, "-m", "daemon", "--data-dir", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "HEARD_CONFIG": str(missing)},
    )

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"heard-daemon: configuration error: HEARD_CONFIG: {missing} does not exist"
    ]
