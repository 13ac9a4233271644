"""The Debian package as built by `make package` (packaging/build.py): its control fields, files, conffiles,
its venv at /opt/heard, and what dpkg does with it in a throwaway root — install, upgrade, purge.

The build is shared by the session (conftest.py); the figures it prints are in the shared folder's
heard-package/build.log.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest

from daemon.config import DEMO, load_config
from daemon.domain import compiled
from tests.daemon.process import free_port
from tests.packaging.conftest import ROOT, Package

pytestmark = pytest.mark.timeout(900)  # the shared build runs inside the first test that needs it

COMMANDS = ("heard-daemon", "heardctl", "heard-ui", "heard-hq")
UNITS = ("heard-daemon.service", "heard-ui.service")


def deb_field(package: Package, name: str) -> str:
    return subprocess.run(
        ["dpkg-deb", "-f", str(package.deb), name], capture_output=True, text=True, check=True
    ).stdout.strip()


def depends(package: Package) -> list[str]:
    return [d.strip().split(" ")[0] for d in deb_field(package, "Depends").split(",")]


def test_the_deb_is_named_and_described_for_this_version_and_machine(package: Package) -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True).stdout.strip()

    assert package.deb.name == f"heard_{version}_{arch}.deb"
    assert deb_field(package, "Package") == "heard"
    assert deb_field(package, "Version") == version
    assert deb_field(package, "Architecture") == arch


def test_depends_name_the_interpreter_the_kiosk_and_a_font(package: Package) -> None:
    names = depends(package)

    assert f"python3.{sys.version_info.minor}" in names  # the venv's bin/python is Debian's
    assert {"cage", "fonts-dejavu-core", "passwd"} <= set(names)
    # STACK.md: what Qt needs under cage (Wayland) and X11.
    assert {"libwayland-cursor0", "libwayland-egl1", "libxcb-icccm4", "libxcb-keysyms1"} <= set(names)


def test_every_depends_is_a_package_of_this_debian_release(package: Package) -> None:
    if subprocess.run(["apt-cache", "show", "dpkg"], capture_output=True).returncode != 0:
        pytest.skip("apt-cache has no package lists here (apt-get update): cannot check the names")
    names = depends(package)
    shown = subprocess.run(["apt-cache", "show", "--no-all-versions", *names], capture_output=True, text=True)
    known = set(re.findall(r"^Package: (\S+)$", shown.stdout, re.M))
    unknown = [name for name in names if name not in known]

    assert unknown == []


# Sonames the Qt parts heard-ui loads may need that a build machine without a desktop lacks: the package
# each comes from (Debian 12 and 13 alike), so the check below still covers them.
ABSENT_HERE = {
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
}
# Qt's imageformats/libqpdf needs QtPdf, which is not in PySide6-Essentials: Qt skips that plugin.
NOT_NEEDED = {"libQt6Pdf.so.6"}


def test_depends_cover_every_system_library_qt_loads(unpacked: Path) -> None:
    if shutil.which("objdump") is None:
        pytest.skip("objdump (binutils) is not installed: cannot read the libraries' NEEDED entries")
    # The package's PySide6, or where the suite's build left it out, this checkout's: the same wheels.
    packaged = list((unpacked / "opt/heard/lib").glob("python3*/site-packages/PySide6"))
    pyside = packaged[0] if packaged else Path(importlib.util.find_spec("PySide6").origin).parent  # type: ignore[union-attr,arg-type]
    qt = pyside / "Qt"
    loaded = [
        *pyside.glob("Qt{Core,Gui,Widgets}*.so"),
        *(qt / "lib" / f"libQt6{m}.so.6" for m in ("Core", "Gui", "Widgets", "DBus", "Network", "OpenGL")),
        *(qt / "lib" / f"libQt6{m}.so.6" for m in ("WaylandClient", "XcbQpa", "Svg")),
        *(qt / "plugins/platforms" / f"libq{p}.so" for p in ("xcb", "wayland", "offscreen")),
        *(qt / "plugins").glob("xcbglintegrations/*.so"),
        *(qt / "plugins").glob("wayland-*-client/*.so"),
        *(qt / "plugins").glob("wayland-shell-integration/*.so"),
        *(qt / "plugins").glob("imageformats/*.so"),
        *(qt / "plugins").glob("iconengines/*.so"),
        *(qt / "plugins").glob("tls/*.so"),
    ]
    inside = {p.name for p in pyside.parent.rglob("*.so*")}
    dump = subprocess.run(["objdump", "-p", *map(str, loaded)], capture_output=True, text=True, check=True).stdout
    needed = set(re.findall(r"^\s+NEEDED\s+(\S+)$", dump, re.M)) - inside - NOT_NEEDED
    found = subprocess.run(["dpkg", "-S", *(f"*/{soname}" for soname in needed)], capture_output=True, text=True)
    owners: dict[str, set[str]] = {}
    for line in found.stdout.splitlines():
        packages, _, path = line.partition(": ")
        for package_name in packages.split(", "):
            owners.setdefault(Path(path).name, set()).add(package_name.split(":")[0])
    declared = set(depends_from_control(unpacked))

    uncovered = {
        soname: sorted(owners.get(soname, {ABSENT_HERE.get(soname, "?")}))
        for soname in needed
        if not owners.get(soname, {ABSENT_HERE.get(soname, "?")}) & declared
    }
    assert uncovered == {}


def depends_from_control(unpacked: Path) -> list[str]:
    control = (unpacked / "DEBIAN" / "control").read_text()
    line = re.search(r"^Depends: (.*)$", control, re.M)
    assert line is not None
    return [d.strip().split(" ")[0] for d in line[1].split(",")]


def test_the_files_are_where_a_device_expects_them(package: Package) -> None:
    listing = subprocess.run(["dpkg-deb", "-c", str(package.deb)], capture_output=True, text=True, check=True).stdout
    files = {line.split()[5].removeprefix(".") for line in listing.splitlines()}

    for command in COMMANDS:
        assert f"/opt/heard/bin/{command}" in files
    assert "/usr/bin/heardctl" in files
    for unit in UNITS:
        assert f"/usr/lib/systemd/system/{unit}" in files
    assert {"/usr/lib/udev/rules.d/60-heard.rules", "/usr/lib/tmpfiles.d/heard.conf"} <= files
    assert {"/etc/heard/heard.toml", "/etc/pam.d/heard-ui", "/usr/share/doc/heard/copyright"} <= files
    # The data folder is made by postinst and filled by the daemon: no file of the package is in it, so an
    # upgrade or a removal never touches a kitchen's database or secret.
    assert not [f for f in files if f.startswith("/var/")]


def test_every_file_the_code_reads_besides_python_is_shipped(package: Package) -> None:
    listing = subprocess.run(["dpkg-deb", "-c", str(package.deb)], capture_output=True, text=True, check=True).stdout
    site = re.compile(r"^\./opt/heard/lib/python3\.\d+/site-packages/")
    shipped = {site.sub("", line.split()[5]) for line in listing.splitlines() if site.match(line.split()[5])}
    data = [
        str(path.relative_to(ROOT))
        for top in ("daemon", "ui", "drivers", "sync")
        for path in (ROOT / top).rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc", ".so") and "__pycache__" not in path.parts
    ]

    assert data, "no data file found: the check would prove nothing"
    assert [f for f in data if f not in shipped] == []


def test_the_domain_is_shipped_compiled_and_stripped(package: Package, unpacked: Path) -> None:
    """Where this machine compiles the domain (setup.py; make did it for the checkout), the package's build
    does too, for the device's Python, and strips what it compiled (Debian ships no debug sections)."""
    if not compiled.compiled_files():
        pytest.skip(f"the checkout's domain is not compiled here: {compiled.describe()}")
    if shutil.which("objdump") is None:
        pytest.skip("objdump (binutils) is not installed: cannot read the sections of the compiled modules")
    site = next((unpacked / "opt" / "heard" / "lib").glob("python3.*/site-packages"))
    ours = [*site.glob("heard_*__mypyc*.so"), *(site / "daemon").rglob("*.so")]
    shipped = {p.name.split(".")[0] for p in ours}

    assert {"heard_domain__mypyc", "fold", "settle", "intake", "commands"} <= shipped
    for path in ours:
        sections = subprocess.run(["objdump", "-h", str(path)], capture_output=True, text=True, check=True).stdout
        assert ".debug_info" not in sections, path


def test_the_configuration_is_a_conffile(unpacked: Path) -> None:
    conffiles = (unpacked / "DEBIAN" / "conffiles").read_text().split()

    assert "/etc/heard/heard.toml" in conffiles


def test_the_packaged_configuration_is_the_embedded_demo(unpacked: Path, tmp_path: Path) -> None:
    # The same kitchen as `make run` (heard-daemon --demo on the embedded configuration), written into the
    # file from daemon.config.DEMO at build time.
    packaged = load_config(unpacked / "etc/heard/heard.toml", data_dir=tmp_path, environ={})
    embedded = load_config(None, data_dir=tmp_path, environ={})

    assert packaged == embedded
    assert [s.id for s in packaged.stations] == [s["id"] for s in DEMO["stations"]]


def test_the_venv_is_made_for_opt_heard(package: Package, unpacked: Path) -> None:
    venv = unpacked / "opt/heard"
    cfg = (venv / "pyvenv.cfg").read_text()

    for command in COMMANDS:
        assert (venv / "bin" / command).read_text().splitlines()[0] == "#!/opt/heard/bin/python"
    assert re.search(r"^home = /usr/bin$", cfg, re.M)
    assert os.readlink(venv / "bin" / f"python3.{sys.version_info.minor}") == str(
        Path(f"/usr/bin/python3.{sys.version_info.minor}")
    )
    leftovers = subprocess.run(["grep", "-rlF", str(package.work), str(venv)], capture_output=True, text=True)
    assert leftovers.stdout == ""


def test_the_build_says_how_long_it_took(package: Package, tmp_path_factory: pytest.TempPathFactory) -> None:
    log = (package.work.parent / "build.log").read_text()

    assert re.search(r"packaging: heard_\S+\.deb \d+ MB in \d+ s", log), log
    print(log)


def why_no_namespace() -> str | None:
    if os.geteuid() != 0:
        return "needs root: /opt/heard is mounted in a private mount namespace"
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is not installed"
    probe = subprocess.run(["unshare", "--mount", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"cannot make a mount namespace here: {probe.stderr.strip()}"
    return None


def in_opt(unpacked: Path, script: str) -> list[str]:
    """A command that sees the package's /opt (and nothing else of it) at /opt, in a private mount namespace:
    the machine's own /opt is untouched and nobody else sees the mount."""
    return ["unshare", "--mount", "sh", "-c", f"mount --bind {unpacked}/opt /opt && {script}"]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a fresh shell: nothing from this checkout's venv may leak into the packaged one."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TZ")}
    return {**keep, "HEARD_MDNS": "false", **extra}


@pytest.mark.machine
def test_the_packaged_commands_run_from_opt_heard(package: Package, unpacked: Path, tmp_path: Path) -> None:
    if why := why_no_namespace():
        pytest.skip(why)
    qt = "" if package.left_out else "PySide6.QtWidgets, "
    script = " && ".join(
        [
            "/opt/heard/bin/heardctl --help",
            "/opt/heard/bin/heard-daemon --help",
            "/opt/heard/bin/heard-hq --help",
            "/opt/heard/bin/heard-ui --help",
            f"/opt/heard/bin/python -c 'import {qt}daemon, ui, sync.hq.main; print(daemon.__file__)'",
        ]
    )
    result = subprocess.run(
        in_opt(unpacked, script), capture_output=True, text=True, timeout=120, cwd=tmp_path, env=clean_env()
    )

    assert result.returncode == 0, result.stderr
    assert "usage: heardctl" in result.stdout and "usage: heard-ui" in result.stdout
    assert result.stdout.strip().splitlines()[-1].startswith("/opt/heard/lib/python3")


@pytest.mark.machine
def test_a_newcomer_gets_the_demo_kitchen_from_the_packaged_daemon(unpacked: Path, tmp_path: Path) -> None:
    if why := why_no_namespace():
        pytest.skip(why)
    data, port = tmp_path / "data", free_port()
    config = unpacked / "etc/heard/heard.toml"
    log = (tmp_path / "daemon.log").open("wb")
    daemon = subprocess.Popen(
        in_opt(
            unpacked,
            f"exec /opt/heard/bin/heard-daemon --config {config} --data-dir {data} --port {port} --host 127.0.0.1",
        ),
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
        env=clean_env(),
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}", daemon, tmp_path / "daemon.log")
        ctl = f"/opt/heard/bin/heardctl --config {config} --data-dir {data}"
        status = subprocess.run(
            in_opt(unpacked, f"{ctl} status"), capture_output=True, text=True, timeout=60, env=clean_env()
        )
        token = subprocess.run(
            in_opt(unpacked, f"{ctl} token --role manager"), capture_output=True, text=True, timeout=60, env=clean_env()
        )
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/locations/demo-location/floor-plan",
            headers={"Authorization": f"Bearer {token.stdout.strip()}"},
        )
        with urllib.request.urlopen(request, timeout=10) as resp:
            floor = json.load(resp)
    finally:
        daemon.terminate()
        daemon.wait(timeout=20)
        log.close()

    assert status.returncode == 0, status.stderr
    described = json.loads(status.stdout)
    assert (described["location_id"], described["running"]) == ("demo-location", True)
    assert [s["id"] for s in described["stations"]] == [s["id"] for s in DEMO["stations"]]
    assert (data / "location.secret").exists()  # made by the daemon on its first start
    assert floor.get("tables") or floor.get("sections"), floor  # the demo's dining room


def wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the packaged daemon exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)  # polling a condition with a deadline
    raise AssertionError(f"the packaged daemon was not ready within {timeout} s:\n{log.read_text()[-3000:]}")


def test_lintian_finds_nothing_that_is_not_overridden_with_a_reason(package: Package) -> None:
    # lintian reads each of the package's 6,400 files: 4 to 5 minutes on 2 cores, half the suite's budget.
    # It runs with `make package-lint`, or here with HEARD_LINTIAN=1.
    if shutil.which("lintian") is None:
        pytest.skip("lintian is not installed (make package-lint installs it and runs it)")
    if os.environ.get("HEARD_LINTIAN") != "1":
        pytest.skip("lintian takes ~4.5 min on this package: run make package-lint, or set HEARD_LINTIAN=1")
    result = subprocess.run(
        ["lintian", "--fail-on", "error,warning", "--tag-display-limit", "0", str(package.deb)],
        capture_output=True,
        text=True,
        timeout=1200,
    )

    assert result.returncode == 0, result.stdout + result.stderr
