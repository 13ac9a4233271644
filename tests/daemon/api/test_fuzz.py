"""Fuzzing every documented route with schemathesis: no input, however wrong, makes the daemon answer 5xx."""

from __future__ import annotations

import subprocess
import warnings
from pathlib import Path

import pytest

from tests.daemon.api.fuzzing import available, fuzz

COURSING = "^/api/v1/coursing/"
needs_schemathesis = pytest.mark.skipif(not available(), reason="schemathesis missing")


def schemathesis(tmp_path: Path, *options: str) -> tuple[subprocess.CompletedProcess[str], str]:
    """Run schemathesis against a real daemon with every credential it needs (inside a loopback-only
    network namespace where one can be made); the result and the daemon's log."""
    result = fuzz(tmp_path, *options)
    if not str(result["namespace"]).startswith("a network namespace"):
        warnings.warn(f"fuzzing without a network namespace: {result['namespace']}", stacklevel=2)
    done = subprocess.CompletedProcess([], int(str(result["returncode"])), str(result["stdout"]), "")
    return done, str(result["log"])


@needs_schemathesis
@pytest.mark.timeout(300)  # every route, a daemon and a schemathesis process: more than one test's usual share
def test_no_generated_request_gets_a_server_error(tmp_path: Path) -> None:
    result, log = schemathesis(tmp_path, "--max-examples", "15", "--exclude-path-regex", COURSING)

    assert result.returncode == 0, result.stdout[-4000:]
    assert "unhandled error" not in log


@needs_schemathesis
@pytest.mark.timeout(300)  # every route, a daemon and a schemathesis process: more than one test's usual share
def test_no_invalid_request_to_any_route_gets_a_server_error(tmp_path: Path) -> None:
    """Negative mode over every documented route (kitchen orders, tickets, stations, routing rules too),
    with fewer examples than the integrator's bodies get below."""
    result, log = schemathesis(tmp_path, "--mode", "negative", "--max-examples", "10", "--exclude-path-regex", COURSING)

    assert result.returncode == 0, result.stdout[-4000:]
    assert "unhandled error" not in log


@needs_schemathesis
def test_no_request_to_a_coursing_route_gets_a_server_error(tmp_path: Path) -> None:
    """The coursing API's 32 operations, valid and invalid requests, in a run of their own: with the routes
    above in one run the fuzzing outgrew its time (they have their own runs)."""
    result, log = schemathesis(tmp_path, "--mode", "all", "--max-examples", "5", "--include-path-regex", COURSING)

    assert result.returncode == 0, result.stdout[-4000:]
    assert "unhandled error" not in log


@needs_schemathesis
@pytest.mark.timeout(300)  # every route, a daemon and a schemathesis process: more than one test's usual share
def test_no_invalid_integrator_body_gets_a_server_error(tmp_path: Path) -> None:
    """Negative mode only: every body breaks the schema somewhere (a wrong type, a bound crossed, a required
    property missing), and each must be a 4xx. The coverage phase walks every property's edges; fuzzing adds
    random ones. Bounded in examples, and by the subprocess timeout in time."""
    result, log = schemathesis(
        tmp_path,
        "--mode",
        "negative",
        "--phases",
        "coverage,fuzzing",
        "--max-examples",
        "50",
        "--include-path-regex",
        "^/integrators/",
    )

    assert result.returncode == 0, result.stdout[-4000:]
    assert "unhandled error" not in log
