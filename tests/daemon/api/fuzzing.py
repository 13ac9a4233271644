"""One schemathesis run against a real daemon, in a network namespace of its own where root can make one.

Fuzzed bodies carry URLs (a Fresh `notificationUrl`, a webhook endpoint) that the daemon then tries to
call. The tests keep their traffic on loopback, so the daemon and schemathesis run together inside a
namespace that has only `lo` (`unshare --net`): a call to a fuzzed host fails at once, inside. Where no
namespace can be made (not root, no `unshare`), the run happens here and says so in its result.

    python -m tests.daemon.api.fuzzing FOLDER [schemathesis options…]   # inside the namespace
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.daemon.process import DaemonProcess

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
RUN_SECONDS = 240
REPOSITORY = Path(__file__).resolve().parents[3]  # where `python -m tests…` finds the tests package


def available() -> bool:
    return SCHEMATHESIS.exists() or shutil.which("schemathesis") is not None


def fuzz(folder: Path, *options: str) -> dict[str, object]:
    """Run in a loopback-only namespace when possible; the result: returncode, stdout, the daemon's log, and
    `namespace` (how the run was isolated)."""
    why_not = _why_no_namespace()
    if why_not is None:
        command = ["unshare", "--net", "--", sys.executable, "-m", "tests.daemon.api.fuzzing", str(folder), *options]
        done = subprocess.run(command, capture_output=True, text=True, timeout=RUN_SECONDS + 60, cwd=REPOSITORY)
        result_file = folder / "fuzz-result.json"
        if not result_file.exists():
            raise AssertionError(f"the fuzzing run in a namespace left no result:\n{done.stdout}\n{done.stderr}")
        result: dict[str, object] = json.loads(result_file.read_text())
        result["namespace"] = "a network namespace with only lo"
        return result
    result = _run(folder, *options)
    result["namespace"] = f"none ({why_not}): fuzzed URLs may be looked up outside"
    return result


def _why_no_namespace() -> str | None:
    if os.geteuid() != 0:
        return "not root"
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "unshare or ip is missing"
    probe = subprocess.run(["unshare", "--net", "--", "true"], capture_output=True, text=True)
    return None if probe.returncode == 0 else f"unshare --net failed: {probe.stderr.strip()}"


def _run(folder: Path, *options: str) -> dict[str, object]:
    daemon = DaemonProcess(folder / "data").start()
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
            "--checks",
            "not_a_server_error",
            "--seed",
            "20261124",
            "--no-color",
            *options,
        ]
        for key, value in headers.items():
            args += ["-H", f"{key}: {value}"]
        # schemathesis keeps its caches in the working folder: give it ours.
        done = subprocess.run(args, capture_output=True, text=True, timeout=RUN_SECONDS, cwd=folder)
    finally:
        daemon.stop()
    return {"returncode": done.returncode, "stdout": done.stdout, "log": daemon.log()}


if __name__ == "__main__":
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    target = Path(sys.argv[1])
    (target / "fuzz-result.json").write_text(json.dumps(_run(target, *sys.argv[2:])))
