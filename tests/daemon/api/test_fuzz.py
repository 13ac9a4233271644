"""Fuzzing every documented route with schemathesis: no input, however wrong, makes the daemon answer 5xx."""

from __future__ import annotations

import subprocess
import warnings
from pathlib import Path

import pytest

from tests.daemon.api.fuzzing import available, fuzz

needs_schemathesis = pytest.mark.skipif(not available(), reason="schemathesis missing")


def schemathesis(tmp_path: Path, *options: str) -> tuple[subprocess.CompletedProcess[str], str]:
    """Run schemathesis against a real daemon with every credential it needs (inside a loopback-only
    network namespace where one can be made); the result and the daemon's log."""
    result = fuzz(tmp_path, *options)
    if not str(result["namespace"]).startswith("a network namespace"):
        warnings.warn(f"fuzzing without a network namespace: {result['namespace']}", stacklevel=2)
    done = subprocess.CompletedProcess([], int(str(result["returncode"])), str(result["stdout"]), "")
    return done, str(result["log"])


# The routes in groups, each fuzzed by a run of its own: a run over every route spent minutes in
# schemathesis's coverage phase alone (~4,000 cases), near its timeout on a loaded machine; groups of
# about 20 operations finish in a fraction of that and run side by side in the test workers.
GROUPS = {
    "integrator orders": ("--include-path-regex", "^/integrators/kds-orders"),
    "integrator information and notifications": ("--include-path-regex", "^/integrators/kds-(information|notif)"),
    "kds": ("--include-path-regex", "^/api/v1/kds/"),
    "the rest": ("--exclude-path-regex", "^/(api/v1/coursing|api/v1/kds|integrators)/"),
}
COURSING = "^/api/v1/coursing/"


@needs_schemathesis
@pytest.mark.timeout(300)  # a daemon and a schemathesis process: more than one test's usual share
@pytest.mark.parametrize("group", GROUPS)
def test_no_generated_request_gets_a_server_error(tmp_path: Path, group: str) -> None:
    result, log = schemathesis(tmp_path, "--max-examples", "15", *GROUPS[group])

    assert result.returncode == 0, result.stdout[-4000:]
    assert "unhandled error" not in log


@needs_schemathesis
@pytest.mark.timeout(300)  # a daemon and a schemathesis process: more than one test's usual share
@pytest.mark.parametrize("group", GROUPS)
def test_no_invalid_request_gets_a_server_error(tmp_path: Path, group: str) -> None:
    """Negative mode: every request breaks the schema somewhere (a wrong type, a bound crossed, a required
    property missing), and each must be a 4xx. The integrator's bodies, what POS software sends, get the
    most: the coverage phase walks every property's edges and fuzzing adds 50 random ones per route."""
    integrator = group.startswith("integrator")
    options = ("--phases", "coverage,fuzzing", "--max-examples", "50") if integrator else ("--max-examples", "10")
    result, log = schemathesis(tmp_path, "--mode", "negative", *options, *GROUPS[group])

    assert result.returncode == 0, result.stdout[-4000:]
    assert "unhandled error" not in log


@needs_schemathesis
@pytest.mark.timeout(300)  # a daemon and a schemathesis process: more than one test's usual share
def test_no_request_to_a_coursing_route_gets_a_server_error(tmp_path: Path) -> None:
    """The coursing API's 32 operations, valid and invalid requests, in a run of their own."""
    result, log = schemathesis(tmp_path, "--mode", "all", "--max-examples", "5", "--include-path-regex", COURSING)

    assert result.returncode == 0, result.stdout[-4000:]
    assert "unhandled error" not in log
