"""One printer behind a small interface — send bytes, ask its status — over network, USB, serial or a file.

Everything here blocks (python-escpos does): it runs only on the printer's own worker thread, never on
the event loop. Every wait is bounded by a short timeout, and after any failure the connection is closed
and made anew at the next call (python-escpos objects are dead after a failed open, and a late status
answer left in a socket would be read as the answer to the next question).
"""

from __future__ import annotations

import contextlib
import os
import select
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from drivers.printers.escpos_lib import Network, Serial

DLE_EOT_PRINTER = b"\x10\x04\x01"  # printer status: bit 0x08 set = offline
DLE_EOT_PAPER = b"\x10\x04\x04"  # paper roll sensor: 0x0C near end, 0x60 out
DEFAULT_TIMEOUT = 2.0


class PrinterUnavailable(Exception):
    """The printer could not be reached, or did not answer in time; the message says which."""


@dataclass(frozen=True)
class PrinterStatus:
    online: bool
    paper: str = "ok"  # ok | near_end | out | unknown

    @classmethod
    def from_bytes(cls, printer: int, paper: int | None) -> PrinterStatus:
        if paper is None:
            word = "unknown"
        elif paper & 0x60 == 0x60:
            word = "out"
        elif paper & 0x0C == 0x0C:
            word = "near_end"
        else:
            word = "ok"
        return cls(online=not printer & 0x08 and word != "out", paper=word)


class PrinterConnection(Protocol):
    """What a worker needs of a printer, whatever the wire."""

    def send(self, data: bytes) -> None: ...

    def status(self) -> PrinterStatus: ...

    def close(self) -> None: ...


class _Answering:
    """Shared by the wires that can answer DLE EOT: one status question, one byte back, or an error."""

    def _write(self, data: bytes) -> None:
        raise NotImplementedError

    def _read_byte(self) -> bytes:
        raise NotImplementedError

    def _drop(self) -> None:
        raise NotImplementedError

    def _ask(self, question: bytes) -> int:
        self._write(question)
        answer = self._read_byte()
        if not answer:
            raise PrinterUnavailable(f"no answer to DLE EOT {question[-1]} (printer stalled or switched off)")
        return answer[-1]

    def send(self, data: bytes) -> None:
        try:
            self._write(data)
        except PrinterUnavailable:
            self._drop()
            raise
        except Exception as exc:
            self._drop()
            raise PrinterUnavailable(f"send failed: {type(exc).__name__}: {exc}") from exc

    def status(self) -> PrinterStatus:
        try:
            printer = self._ask(DLE_EOT_PRINTER)
            try:
                paper: int | None = self._ask(DLE_EOT_PAPER)
            except PrinterUnavailable:
                paper = None
            return PrinterStatus.from_bytes(printer, paper)
        except PrinterUnavailable:
            self._drop()
            raise
        except Exception as exc:
            self._drop()
            raise PrinterUnavailable(f"status failed: {type(exc).__name__}: {exc}") from exc


class NetworkConnection(_Answering):
    """A printer on TCP port 9100 (python-escpos Network)."""

    def __init__(self, host: str, port: int = 9100, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._printer: Any = None

    def _device(self) -> Any:
        if self._printer is None:
            printer = Network(self.host, self.port, timeout=self.timeout)
            try:
                printer.open()
            except Exception as exc:
                raise PrinterUnavailable(f"cannot connect to {self.host}:{self.port}: {exc}") from exc
            self._printer = printer
        return self._printer

    def _write(self, data: bytes) -> None:
        self._device()._raw(data)

    def _read_byte(self) -> bytes:
        try:
            return bytes(self._device()._read())
        except TimeoutError:
            return b""

    def _drop(self) -> None:
        _close_escpos(self._printer)
        self._printer = None

    close = _drop


def _close_escpos(printer: Any) -> None:
    """Close a python-escpos printer that may be half dead; if closing fails, forget its device so that
    its __del__ does not try (and fail) again at some random later moment."""
    if printer is None:
        return
    try:
        printer.close()
    except Exception:
        printer._device = False


class SerialConnection(_Answering):
    """A printer on a serial line (python-escpos Serial over pyserial): /dev/ttyUSB0, /dev/ttyS0, a pty."""

    def __init__(self, path: str, baudrate: int = 9600, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.path, self.baudrate, self.timeout = path, baudrate, timeout
        self._printer: Any = None

    def _device(self) -> Any:
        if self._printer is None:
            if not Path(self.path).exists():
                raise PrinterUnavailable(f"{self.path} does not exist (unplugged?)")
            printer = Serial(self.path, baudrate=self.baudrate, timeout=self.timeout, dsrdtr=False)
            try:
                printer.open()
            except Exception as exc:
                raise PrinterUnavailable(f"cannot open {self.path}: {exc}") from exc
            self._printer = printer
        return self._printer

    def _write(self, data: bytes) -> None:
        device = self._device()
        device._raw(data)
        device.device.flush()

    def _read_byte(self) -> bytes:
        return bytes(self._device()._read())

    def _ask(self, question: bytes) -> int:
        self._device().device.reset_input_buffer()  # an answer that came too late is not this one's
        return super()._ask(question)

    def _drop(self) -> None:
        _close_escpos(self._printer)
        self._printer = None

    close = _drop


class DeviceFileConnection(_Answering):
    """A USB printer through the kernel's usblp driver (/dev/usb/lp0): a character device that is
    written to and, for status answers, read from."""

    def __init__(self, path: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.path, self.timeout = path, timeout
        self._fd: int | None = None

    def _device(self) -> int:
        if self._fd is None:
            try:
                self._fd = os.open(self.path, os.O_RDWR | os.O_NOCTTY)
            except OSError as exc:
                raise PrinterUnavailable(f"cannot open {self.path}: {exc.strerror}") from exc
        return self._fd

    def _write(self, data: bytes) -> None:
        fd = self._device()
        view = memoryview(data)
        while view:
            _, ready, _ = select.select([], [fd], [], self.timeout)
            if not ready:
                raise PrinterUnavailable(f"{self.path} takes no data (stalled)")
            view = view[os.write(fd, view) :]

    def _read_byte(self) -> bytes:
        fd = self._device()
        ready, _, _ = select.select([fd], [], [], self.timeout)
        return os.read(fd, 16) if ready else b""

    def _drop(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    close = _drop


class FileConnection:
    """Chits appended to a file: the embedded default's printer, and a printer for a device without one.
    A file has no status to ask: it is online while it can be written."""

    def __init__(self, path: str) -> None:
        self.path = path

    def send(self, data: bytes) -> None:
        # No fsync: a file printer is an emulation or a spool another program reads, and the journal,
        # not this file, is what survives a power cut.
        try:
            with open(self.path, "ab") as f:
                f.write(data)
        except OSError as exc:
            raise PrinterUnavailable(f"cannot write {self.path}: {exc.strerror}") from exc

    def status(self) -> PrinterStatus:
        parent = Path(self.path).parent
        if not os.access(parent, os.W_OK):
            raise PrinterUnavailable(f"cannot write in {parent}")
        return PrinterStatus(online=True, paper="ok")

    def close(self) -> None:
        pass


def open_connection(
    kind: str,
    *,
    host: str | None = None,
    port: int = 9100,
    path: str | None = None,
    baudrate: int = 9600,
    timeout: float = DEFAULT_TIMEOUT,
) -> PrinterConnection:
    """The connection for a configured printer (nothing is opened until it is first used)."""
    if kind == "network":
        if not host:
            raise ValueError("a network printer needs a host")
        return NetworkConnection(host, port, timeout)
    if not path:
        raise ValueError(f"a {kind} printer needs a path")
    if kind == "serial":
        return SerialConnection(path, baudrate, timeout)
    if kind == "usb":
        return DeviceFileConnection(path, timeout)
    if kind == "file":
        return FileConnection(path)
    raise ValueError(f"unknown printer kind {kind!r}")
