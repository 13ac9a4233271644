"""The packaged /etc/heard/heard.toml is packaging/heard.toml with the embedded demo written in
(packaging/build.py render_config): the same kitchen as `make run`, checked here without building."""

from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

from daemon.config import DEMO, load_config
from tests.packaging.conftest import ROOT


def build_module() -> ModuleType:
    # packaging/ is not a Python package (PyPI's `packaging` owns the name): load the script by its path.
    spec = importlib.util.spec_from_file_location("heard_packaging_build", ROOT / "packaging" / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rendered() -> str:
    build = build_module()
    return str(build.render_config((ROOT / "packaging" / "heard.toml").read_text()))


def test_the_rendered_configuration_is_the_embedded_demo(tmp_path: Path) -> None:
    path = tmp_path / "heard.toml"
    path.write_text(rendered())

    assert load_config(path, data_dir=tmp_path, environ={}) == load_config(None, data_dir=tmp_path, environ={})


def test_the_rendered_file_carries_every_demo_setting_written_out(tmp_path: Path) -> None:
    # Written out, not only equal by defaults: the installer edits these very lines.
    raw = tomllib.loads(rendered())

    for key, value in DEMO.items():
        assert raw[key] == value, key


def test_a_template_without_its_marks_is_refused() -> None:
    build = build_module()

    with pytest.raises(SystemExit, match="@demo-kitchen@"):
        build.render_config("# @demo-settings@\n")
