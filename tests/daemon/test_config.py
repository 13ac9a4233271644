"""Configuration: the embedded default, the file, environment and flags, and one clear line per mistake."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

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
    # The template of the packaged /etc/heard/heard.toml: the build writes the demo kitchen into it
    # (tests/packaging/test_config_template.py); as it stands it is a valid configuration too.
    config = load_config(EXAMPLE, data_dir=tmp_path, environ={})

    assert config.location.location_id == "demo-location"


def test_a_file_without_stations_seeds_none(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[location]\nlocation_id = "acme"\n'), environ={})

    assert (config.stations, config.routing) == ((), ())


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
        ("[server]\nfront_start_rate = -1\n", "server.front_start_rate"),
        ("[server]\nfront_idle_seconds = 0\n", "server.front_idle_seconds"),
        ('[server]\nfront = "sometimes"\n', "server.front"),
        ('[[stations]]\nid = "a"\nname = "A"\nkind = "grill"\n', "stations[0].kind"),
        ('[[stations]]\nid = "a"\nname = "A"\n[[routing]]\nstation = "b"\ndefault = true\n', "routing[0].station"),
        ('[[stations]]\nid = "a"\nname = "A"\n[[routing]]\nstation = "a"\n', "routing[0]"),
        (
            '[[stations]]\nid = "a"\nname = "A"\n[[routing]]\nstation = "a"\nname_pattern = "(("\n',
            "routing[0].name_pattern",
        ),
        ('[[stations]]\nid = "expo"\nname = "Expo"\nkind = "expo"\n', "stations"),
        ('[location]\nlocation_id = ""\n', "location.location_id"),
        ('log_level = "LOUD"\n', "log_level"),
        ('[location]\ntimezone = "Mars/Olympus_Mons"\n', "location.timezone"),
        ('[location]\ntimezone = "../../etc/passwd"\n', "location.timezone"),
        ("[fresh_lan]\ntcp_port = 70000\n", "fresh_lan.tcp_port"),
        ('[fresh_lan]\nallow = ["10.0.0.0/33"]\n', "fresh_lan.allow[0]"),
        ('[fresh_lan]\nbroadcast_to = ["::1"]\n', "fresh_lan.broadcast_to[0]"),
        ("[fresh_lan]\nenable = true\n", "fresh_lan.enable"),
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


def public_jwk(kid: str = "hq-1") -> dict[str, Any]:
    key = Ed25519PrivateKey.generate().public_key()
    return {**json.loads(OKPAlgorithm.to_jwk(key)), "kid": kid, "alg": "EdDSA"}


def auth_config(tmp_path: Path, auth: str, jwks: str | None = None) -> Path:
    if jwks is not None:
        (tmp_path / "jwks.json").write_text(jwks)
    return write(tmp_path, f"[auth]\n{auth}\n")


@pytest.mark.parametrize(
    ("auth", "jwks", "key", "message"),
    [
        ("leeway_seconds = 301", None, "auth.leeway_seconds", "must be between 0 and 300, not 301"),
        ("leeway_seconds = -1", None, "auth.leeway_seconds", "must be between 0 and 300, not -1"),
        ("hs256 = false", None, "auth.hs256", "is false and there is no auth.jwks_file: no token could be accepted"),
        ('jwks_file = "{dir}/absent.json"', None, "auth.jwks_file", "{dir}/absent.json does not exist"),
        ('jwks_file = "{dir}"', None, "auth.jwks_file", "{dir} is a directory, not a file"),
        (
            'jwks_file = "{dir}/jwks.json"',
            "{not json",
            "auth.jwks_file",
            "{dir}/jwks.json is not JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        ),
        (
            'jwks_file = "{dir}/jwks.json"',
            '[{"kty": "OKP"}]',
            "auth.jwks_file",
            '{dir}/jwks.json is not a JWKS: it needs {"keys": [...]}',
        ),
        (
            'jwks_file = "{dir}/jwks.json"',
            '{"keys": [{"kid": "hq-1", "kty": "OKP", "crv": "Ed25519", "x": "zz"}]}',
            "auth.jwks_file",
            "{dir}/jwks.json: key 'hq-1' is not a valid EdDSA key: Invalid key parameter",
        ),
        (
            'jwks_file = "{dir}/jwks.json"\nhs256 = false',
            '{"keys": [{"kid": "old", "kty": "RSA", "n": "AQAB", "e": "AQAB"}]}',
            "auth.jwks_file",
            "{dir}/jwks.json has no EdDSA or ES256 key and auth.hs256 is false: no token could be accepted",
        ),
    ],
)
def test_auth_configuration_that_cannot_work_is_one_line(
    tmp_path: Path, auth: str, jwks: str | None, key: str, message: str
) -> None:
    path = auth_config(tmp_path, auth.replace("{dir}", str(tmp_path)), jwks)

    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})

    expected = f"{key}: " + message.replace("{dir}", str(tmp_path))
    assert (caught.value.key, str(caught.value)) == (key, expected)


def test_a_private_key_in_the_jwks_file_is_refused(tmp_path: Path) -> None:
    private = json.loads(OKPAlgorithm.to_jwk(Ed25519PrivateKey.generate()))
    jwks = json.dumps({"keys": [{**private, "kid": "hq-1"}]})

    with pytest.raises(ConfigError) as caught:
        load_config(auth_config(tmp_path, f'jwks_file = "{tmp_path}/jwks.json"', jwks), environ={})

    assert "is a private key" in str(caught.value)


def test_public_keys_alone_are_a_working_door(tmp_path: Path) -> None:
    jwks = json.dumps({"keys": [public_jwk()]})
    path = auth_config(tmp_path, f'jwks_file = "{tmp_path}/jwks.json"\nhs256 = false\nleeway_seconds = 300', jwks)

    config = load_config(path, environ={})

    assert (config.auth.hs256, config.auth.leeway_seconds) == (False, 300)


def test_daemon_with_a_missing_jwks_file_says_so_in_one_line(tmp_path: Path) -> None:
    path = auth_config(tmp_path, f'jwks_file = "{tmp_path}/hq-keys.json"')

    result = subprocess.run(
        [sys.executable, "-m", "daemon", "--config", str(path), "--data-dir", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"heard-daemon: configuration error: auth.jwks_file: {tmp_path}/hq-keys.json does not exist"
    ]
