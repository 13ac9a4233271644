"""The maintainer scripts against a temporary root ($DPKG_ROOT, as dpkg --root --force-script-chrootless runs
them): the heard user, the data folder, the conffile's group; an upgrade keeps data, secret and
configuration; remove keeps them; purge removes the configuration and only then the data.

The first tests run the scripts from packaging/scripts (no build needed); the last installs, upgrades and
purges the built .deb with dpkg itself in a throwaway root.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from tests.packaging.conftest import ROOT, Package

SCRIPTS = ROOT / "packaging" / "scripts"
VERSION = "0.1.0"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root: the scripts chown files to the heard user")


def make_root(root: Path) -> Path:
    """A root with the account files of a fresh Debian (the groups the scripts look for) and nothing else."""
    (root / "etc").mkdir(parents=True)
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (root / "etc/shadow").write_text("root:*:19000:0:99999:7:::\n")
    groups = ("root:x:0:", "lp:x:7:", "dialout:x:20:", "video:x:44:", "input:x:101:", "render:x:102:")
    (root / "etc/group").write_text("".join(f"{g}\n" for g in groups))
    (root / "etc/gshadow").write_text("".join(f"{g.split(':')[0]}:*::\n" for g in groups))
    return root


def install_conffile(root: Path) -> Path:
    """What dpkg unpacks before postinst runs: the configuration, root's and world-unreadable as packaged."""
    conf = root / "etc/heard/heard.toml"
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_text((ROOT / "packaging" / "heard.toml").read_text())
    conf.chmod(0o640)
    return conf


def run(script: str, root: Path, *args: str, trace: bool = False) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["sh", *(["-x"] if trace else []), str(SCRIPTS / script), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "DPKG_ROOT": str(root)},
    )
    assert result.returncode == 0, f"{script} {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result


def account(root: Path, file: str, name: str) -> list[str] | None:
    for line in (root / "etc" / file).read_text().splitlines():
        if line.split(":")[0] == name:
            return line.split(":")
    return None


def test_postinst_makes_the_heard_user_and_its_data_folder(tmp_path: Path) -> None:
    root = make_root(tmp_path / "root")
    conf = install_conffile(root)

    run("postinst", root, "configure", "")

    user, group = account(root, "passwd", "heard"), account(root, "group", "heard")
    assert user is not None and group is not None
    assert int(user[2]) < 1000 and user[3] == group[2]  # a system user in its own group
    assert (user[5], user[6]) == ("/var/lib/heard", "/usr/sbin/nologin")
    assert "heard" in account(root, "group", "video")[3].split(",")  # type: ignore[index]
    data = (root / "var/lib/heard").stat()
    assert (data.st_uid, data.st_gid, stat.S_IMODE(data.st_mode)) == (int(user[2]), int(group[2]), 0o750)
    assert (conf.stat().st_gid, stat.S_IMODE(conf.stat().st_mode)) == (int(group[2]), 0o640)
    # The location secret is the daemon's to make on its first start (or a join's to receive).
    assert list((root / "var/lib/heard").iterdir()) == []


def test_an_upgrade_keeps_data_secret_configuration_and_the_user(tmp_path: Path) -> None:
    root = make_root(tmp_path / "root")
    conf = install_conffile(root)
    run("postinst", root, "configure", "")
    data = root / "var/lib/heard"
    (data / "heard.db").write_bytes(b"SQLite format 3\x00 a kitchen's orders")
    (data / "location.secret").write_bytes(b"s" * 32)
    conf.write_text(conf.read_text() + "\n[fresh_lan]\nenabled = true\n")  # a local edit
    before = {p.name: p.read_bytes() for p in data.iterdir()}, conf.read_text()
    passwd = (root / "etc/passwd").read_text()

    run("prerm", root, "upgrade", VERSION)
    run("postinst", root, "configure", VERSION)

    assert ({p.name: p.read_bytes() for p in data.iterdir()}, conf.read_text()) == before
    assert (root / "etc/passwd").read_text() == passwd  # the same user, not a second one


def test_remove_keeps_everything_and_purge_removes_configuration_then_data(tmp_path: Path) -> None:
    root = make_root(tmp_path / "root")
    conf = install_conffile(root)
    run("postinst", root, "configure", "")
    (root / "var/lib/heard/location.secret").write_bytes(b"s" * 32)
    (root / "etc/heard/hq-keys.json").write_text("{}")  # not a conffile: purge removes it too

    run("prerm", root, "remove")
    run("postrm", root, "remove")
    assert conf.exists() and (root / "var/lib/heard/location.secret").exists()

    trace = run("postrm", root, "purge", trace=True).stderr

    assert not (root / "etc/heard").exists() and not (root / "var/lib/heard").exists()
    removals = [line for line in trace.splitlines() if line.startswith("+ rm ")]
    assert [line.split()[-1] for line in removals] == [str(root / "etc/heard"), str(root / "var/lib/heard")]
    assert account(root, "passwd", "heard") is not None  # files elsewhere may still carry its id


def dpkg(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["dpkg", f"--root={root}", f"--log={root}/dpkg.log", "--force-script-chrootless", "--force-unsafe-io", *args],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"dpkg {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.mark.machine
@pytest.mark.timeout(900)  # the session's package build may run in this test's setup (conftest.py)
def test_dpkg_installs_upgrades_and_purges_the_package_in_a_throwaway_root(package: Package, tmp_path: Path) -> None:
    if shutil.which("dpkg") is None:
        pytest.skip("dpkg is not installed")
    root = make_root(tmp_path / "root")
    for folder in ("var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers"):
        (root / folder).mkdir(parents=True)
    (root / "var/lib/dpkg/status").touch()

    # The throwaway root has none of the Depends installed: dpkg is told to go on without them.
    dpkg(root, "--force-depends", "--install", str(package.deb))
    conf, data = root / "etc/heard/heard.toml", root / "var/lib/heard"
    assert (root / "opt/heard/bin/heardctl").exists() and account(root, "passwd", "heard") is not None
    (data / "location.secret").write_bytes(b"s" * 32)
    conf.write_text(conf.read_text() + "\n# edited on the device\n")

    dpkg(root, "--force-depends", "--install", str(package.deb))  # an upgrade (to the same version)

    assert conf.read_text().endswith("# edited on the device\n")
    assert (data / "location.secret").read_bytes() == b"s" * 32

    dpkg(root, "--force-depends", "--purge", "heard")

    assert not (root / "opt/heard").exists() and not (root / "etc/heard").exists() and not data.exists()
