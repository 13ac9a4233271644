"""heardctl against a real data directory: tokens the daemon accepts, integration tokens, status."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from daemon.config import load_config
from daemon.security.integration_tokens import IntegrationTokens
from daemon.security.jwt_tokens import JwtSettings, TokenVerifier, load_or_create_secret
from daemon.store.schema import prepare


def heardctl(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    code = "from daemon.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_token_is_accepted_by_the_daemons_verifier(tmp_path: Path) -> None:
    result = heardctl(tmp_path, "token", "--role", "chef", "--role", "expo", "--sub", "ana")

    config = load_config(data_dir=tmp_path, environ={})
    verifier = TokenVerifier(JwtSettings(load_or_create_secret(config.secret_path), config.location.location_id))
    principal = verifier.verify(result.stdout.strip())
    assert (principal.sub, principal.roles) == ("ana", frozenset({"chef", "expo"}))


def test_integration_token_create_list_revoke(tmp_path: Path) -> None:
    created = heardctl(tmp_path, "integration-token", "create", "--name", "pos-1")
    token = created.stdout.strip().splitlines()[-1]
    config = load_config(data_dir=tmp_path, environ={})
    prepare(config.database_path)
    tokens = IntegrationTokens(lambda: sqlite3.connect(config.database_path))
    assert [r.name for r in tokens.active().values()] == ["pos-1"]

    listed = json.loads(heardctl(tmp_path, "integration-token", "list").stdout)
    revoked = heardctl(tmp_path, "integration-token", "revoke", "pos-1")

    assert [t["name"] for t in listed] == ["pos-1"]
    assert token not in json.dumps(listed)  # the secret is never shown again
    assert revoked.returncode == 0
    assert tokens.active() == {}


def test_status_prints_identity_and_stations(tmp_path: Path) -> None:
    status = json.loads(heardctl(tmp_path, "status").stdout)

    assert {"tenant_id", "location_id", "device_id", "url", "stations"} <= set(status)
    assert "grill" in [s["id"] for s in status["stations"]]
    assert status["device_id"] == json.loads((tmp_path / "device.json").read_text())["device_id"]


def test_manager_pin_is_stored_hashed_and_checked(tmp_path: Path) -> None:
    from daemon.cli import main
    from daemon.security.manager_pin import PIN_FILE, check_pin

    data = tmp_path / "data"
    main(["--data-dir", str(data), "manager-pin", "set", "--pin", "482913"])
    stored = (data / PIN_FILE).read_text()
    assert "482913" not in stored and (data / PIN_FILE).stat().st_mode & 0o077 == 0
    assert check_pin(data, "482913") and not check_pin(data, "482914")
    with pytest.raises(SystemExit):
        main(["--data-dir", str(data), "manager-pin", "set", "--pin", "12"])  # too short: refused, PIN kept
    assert check_pin(data, "482913")
    main(["--data-dir", str(data), "manager-pin", "clear"])
    assert not check_pin(data, "482913")
