"""Emulated printers for tests: started per test, stopped after it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from drivers.printers.emulator import EmulatedPrinter, PtyPrinter, TcpPrinter


@pytest.fixture
def tcp_printer() -> Iterator[TcpPrinter]:
    server = TcpPrinter(EmulatedPrinter("tcp")).start()
    yield server
    server.stop()


@pytest.fixture
def pty_printer() -> Iterator[PtyPrinter]:
    line = PtyPrinter(EmulatedPrinter("pty")).start()
    yield line
    line.stop()
