"""A USB printer through the kernel's usblp device is a character device written to and read from; a pty
is one too, so the emulator stands at its other end."""

from __future__ import annotations

from drivers.printers.connection import DeviceFileConnection, PrinterStatus
from drivers.printers.emulator import PtyPrinter
from drivers.printers.layout import layout
from drivers.printers.render import Profile, render


def test_usb_device_file_prints_and_answers_status(pty_printer: PtyPrinter) -> None:
    conn = DeviceFileConnection(pty_printer.path, timeout=1)

    conn.send(render(layout({"order_name": "Table 9", "items": [{"name": "Soup"}]}), Profile("TM-T20II")))

    assert conn.status() == PrinterStatus(online=True, paper="ok")
    assert [c.has("1 x Soup") for c in pty_printer.printer.chits] == [True]
    pty_printer.printer.set_paper("out")
    assert conn.status() == PrinterStatus(online=False, paper="out")
    conn.close()
