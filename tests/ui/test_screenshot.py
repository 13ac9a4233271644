"""heard-ui --screenshot writes a picture of each mode once its state has loaded, and exits 0."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from tests.daemon.process import DaemonProcess
from tests.ui.conftest import Pos, order_body, order_id


@pytest.fixture(scope="module")
def daemon_with_orders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    daemon = DaemonProcess(tmp_path_factory.mktemp("shots") / "data").start()
    yield daemon
    daemon.stop()


def test_screenshot_writes_a_picture_of_each_mode(daemon_with_orders: DaemonProcess, tmp_path) -> None:  # type: ignore[no-untyped-def]
    pos = Pos(daemon_with_orders)
    asyncio.run(pos.post_order(order_body(order_id(), "Screenshot")))
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    # Every mode at once: three processes overlap their start-up (a few seconds each on our machines).
    procs = {
        mode: subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ui",
                "--data-dir",
                str(daemon_with_orders.data_dir),
                "--mode",
                mode,
                "--screenshot",
                str(tmp_path / f"{mode}.png"),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for mode in ("station", "expo", "tables")
    }
    for mode, proc in procs.items():
        out, _ = proc.communicate(timeout=90)
        assert proc.returncode == 0, out.decode(errors="replace")
        image = QImage(str(tmp_path / f"{mode}.png"))
        assert not image.isNull() and (image.width(), image.height()) == (1600, 900)
        # not a blank picture: more than one colour is drawn
        small = image.scaled(320, 180, mode=Qt.TransformationMode.SmoothTransformation)
        colours = {small.pixel(x, y) for x in range(320) for y in range(180)}
        assert len(colours) > 50, mode
