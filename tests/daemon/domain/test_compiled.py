"""The compiled domain (setup.py, daemon/domain/compiled.py): the same results as its sources, and never
run when it is older than them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import orjson
import pytest

from bench.phases import bench_order, demo_kitchen
from daemon.domain import commands, compiled, intake
from daemon.domain.codec import order_to_json
from daemon.domain.events import Event
from daemon.domain.fold import apply
from daemon.domain.hlc import Stamp

ROOT = Path(__file__).resolve().parents[3]
SUFFIX = EXTENSION_SUFFIXES[0]  # this Python's: .cpython-311-x86_64-linux-gnu.so

# Validation, the command and the fold of a few bench orders, printed as JSON: run here and in a child
# process that imports the sources (HEARD_PURE_PYTHON=1).
FOLD_SCRIPT = """
import json
from tests.daemon.domain.test_compiled import fold_bench_orders
from daemon.domain import compiled
print(json.dumps({"domain": compiled.describe(), "orders": fold_bench_orders()}))
"""


def fold_bench_orders() -> list[object]:
    kitchen = demo_kitchen()
    folded = []
    for n in range(5):
        fields, items = intake.check_order(orjson.loads(bench_order(n)))
        change = commands.create_order(None, fields, items, ["d"], kitchen)
        stamp = Stamp(1_790_000_000_000 + n, 0, "dev")
        event = Event("dev", n + 1, stamp, change.type, change.aggregate, change.aggregate_id, change.payload)
        folded.append(orjson.loads(orjson.dumps(order_to_json(apply(None, event)))))
    return folded


def test_the_sources_give_what_this_process_gives() -> None:
    env = {**os.environ, "HEARD_PURE_PYTHON": "1", "PYTHONPATH": str(ROOT)}
    child = subprocess.run(
        [sys.executable, "-c", FOLD_SCRIPT], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    pure = json.loads(child.stdout)
    assert pure["domain"] == "Python: HEARD_PURE_PYTHON=1"
    assert pure["orders"] == fold_bench_orders()


def test_make_compiles_the_domain_where_it_can() -> None:
    """`make test` builds the compiled modules first (Makefile): here they are what runs, unless this
    machine cannot compile, which setup.py says when it builds."""
    if not compiled.compiled_files():
        pytest.skip(f"the domain is not compiled on this machine: {compiled.describe()}")
    assert compiled.describe() == "compiled (mypyc)"


def _package(tmp_path: Path, *names: str) -> Path:
    package = tmp_path / "daemon" / "domain"
    package.mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text("")
    for name in names:
        (package / name).write_text("")
    return package


def test_a_source_edited_after_the_build_sends_every_module_to_its_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = _package(tmp_path, "fold.py", "settle.py", f"fold{SUFFIX}", f"settle{SUFFIX}")
    monkeypatch.setattr(compiled, "PACKAGE", package)
    monkeypatch.delenv("HEARD_PURE_PYTHON", raising=False)
    os.utime(package / f"fold{SUFFIX}", (1_000, 1_000))
    os.utime(package / f"settle{SUFFIX}", (1_000, 1_000))
    os.utime(package / "settle.py", (900, 900))
    os.utime(package / "fold.py", (900, 900))
    files = compiled.compiled_files()
    assert set(files) == {"daemon.domain.fold", "daemon.domain.settle"}
    assert compiled.reason_for_sources(files) is None

    os.utime(package / "fold.py", (2_000, 2_000))
    reason = compiled.reason_for_sources(files)
    assert reason is not None and "(fold)" in reason and "make" in reason


def test_an_installed_package_trusts_its_files_but_not_the_switch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = _package(tmp_path, "fold.py", f"fold{SUFFIX}")
    (tmp_path / "pyproject.toml").unlink()  # site-packages has no pyproject.toml
    os.utime(package / f"fold{SUFFIX}", (1_000, 1_000))
    monkeypatch.setattr(compiled, "PACKAGE", package)
    monkeypatch.delenv("HEARD_PURE_PYTHON", raising=False)
    files = compiled.compiled_files()
    assert compiled.reason_for_sources(files) is None
    monkeypatch.setenv("HEARD_PURE_PYTHON", "1")
    assert compiled.reason_for_sources(files) == "HEARD_PURE_PYTHON=1"
    assert compiled.reason_for_sources({}) is not None


def test_another_pythons_build_is_not_taken_for_this_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = _package(tmp_path, "fold.py", "fold.cpython-399-x86_64-linux-gnu.so")
    monkeypatch.setattr(compiled, "PACKAGE", package)
    assert compiled.compiled_files() == {}
