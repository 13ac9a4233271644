"""Fake bars at the hardware edge that behave like the devices: a serial bar is the master side of a
pty (its keys are bytes written there); a plugged-in bar is a stable path (a symlink, as
/dev/serial/by-id/… is) that is removed when it is unplugged."""

from __future__ import annotations

import contextlib
import os
import tty
from collections.abc import Iterator
from pathlib import Path

import pytest


class PtyBar:
    def __init__(self, link: Path) -> None:
        self.link = link
        self.master: int | None = None
        self.plug()

    def plug(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)
        target = os.ttyname(slave)
        os.close(slave)  # the driver opens it by path, like a real port
        self.master = master
        with contextlib.suppress(FileNotFoundError):
            self.link.unlink()
        self.link.symlink_to(target)

    def unplug(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.link.unlink()
        if self.master is not None:
            os.close(self.master)
            self.master = None

    def press(self, keys: bytes) -> None:
        assert self.master is not None
        os.write(self.master, keys)


@pytest.fixture
def pty_bar(tmp_path: Path) -> Iterator[PtyBar]:
    bar = PtyBar(tmp_path / "ttyBUMP0")
    yield bar
    bar.unplug()
