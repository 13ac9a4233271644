"""Printer connections against the emulator: bytes arrive, DLE EOT answers, faults show as they would."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from drivers.printers.connection import (
    FileConnection,
    NetworkConnection,
    PrinterStatus,
    PrinterUnavailable,
    SerialConnection,
    open_connection,
)
from drivers.printers.emulator import PtyPrinter, TcpPrinter
from drivers.printers.layout import layout
from drivers.printers.render import Profile, render

CHIT = render(layout({"order_name": "Table 4", "items": [{"qty": 1, "name": "Soup"}]}), Profile("TM-T88V"))


def test_network_printer_prints_and_answers_online(tcp_printer: TcpPrinter) -> None:
    conn = NetworkConnection("127.0.0.1", tcp_printer.port, timeout=1)

    conn.send(CHIT)

    assert conn.status() == PrinterStatus(online=True, paper="ok")
    assert [c.has("1 x Soup") for c in tcp_printer.printer.chits] == [True]
    conn.close()


def test_offline_and_paper_states_are_read_with_dle_eot(tcp_printer: TcpPrinter) -> None:
    conn = NetworkConnection("127.0.0.1", tcp_printer.port, timeout=1)
    emulated = tcp_printer.printer

    emulated.set_paper("near_end")
    assert conn.status() == PrinterStatus(online=True, paper="near_end")
    emulated.set_paper("out")
    assert conn.status() == PrinterStatus(online=False, paper="out")
    emulated.set_paper("ok")
    emulated.go_offline()
    assert conn.status() == PrinterStatus(online=False, paper="ok")
    conn.close()


def test_what_an_offline_printer_receives_is_lost(tcp_printer: TcpPrinter) -> None:
    conn = NetworkConnection("127.0.0.1", tcp_printer.port, timeout=1)
    tcp_printer.printer.go_offline()

    conn.send(CHIT)

    assert not conn.status().online
    assert tcp_printer.printer.chits == []
    conn.close()


def test_a_stalled_printer_times_out_quickly(tcp_printer: TcpPrinter) -> None:
    conn = NetworkConnection("127.0.0.1", tcp_printer.port, timeout=0.3)
    tcp_printer.printer.stall()
    started = time.monotonic()

    with pytest.raises(PrinterUnavailable, match="no answer"):
        conn.status()

    assert time.monotonic() - started < 3
    tcp_printer.printer.stall(False)
    assert conn.status().online  # a fresh connection: no late answer is taken for the new question


def test_a_switched_off_printer_is_unavailable_then_back(tcp_printer: TcpPrinter) -> None:
    conn = NetworkConnection("127.0.0.1", tcp_printer.port, timeout=0.5)
    assert conn.status().online
    tcp_printer.power_off()

    with pytest.raises(PrinterUnavailable):
        conn.status()
    with pytest.raises(PrinterUnavailable, match="cannot connect"):
        conn.status()

    tcp_printer.power_on()
    assert conn.status().online


def test_serial_printer_through_a_pty(pty_printer: PtyPrinter) -> None:
    conn = SerialConnection(pty_printer.path, 9600, timeout=1)

    conn.send(CHIT)

    assert conn.status().online
    assert [c.has("1 x Soup") for c in pty_printer.printer.chits] == [True]
    pty_printer.printer.go_offline()
    assert not conn.status().online
    conn.close()


def test_a_missing_serial_port_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(PrinterUnavailable, match="does not exist"):
        SerialConnection(str(tmp_path / "ttyUSB9")).status()


def test_file_printer_appends(tmp_path: Path) -> None:
    conn = open_connection("file", path=str(tmp_path / "chits.bin"))

    conn.send(b"one")
    conn.send(b"two")

    assert conn.status().online
    assert (tmp_path / "chits.bin").read_bytes() == b"onetwo"
    assert isinstance(conn, FileConnection)
