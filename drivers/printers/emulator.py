"""A kitchen printer in software: takes ESC/POS bytes over TCP (port 9100 style) or a pty (a serial
printer), answers DLE EOT status queries as an Epson TM printer does, can be switched off, go offline,
stall or run out of paper on command, and decodes what it printed into chits of styled lines.

Tests assert on what it printed; `python -m drivers.printers.emulator --port 9100` gives a developer a
printer for `make run` that prints to the terminal.

Faults, as a kitchen meets them:
- offline (cover open) and paper out: status answers say so (DLE EOT 1 bit 0x08; DLE EOT 4 0x72) and
  print data received meanwhile is lost, as a printer that clears its buffer;
- near end: prints, and says so (DLE EOT 4 0x1E);
- stall (a jam, a hung firmware): bytes are taken and lost, and status queries get no answer at all;
- power off: the port refuses connections (TCP) or the line goes silent (pty).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import select
import socket
import threading
import tty
from dataclasses import dataclass, field, replace
from typing import Protocol

log = logging.getLogger(__name__)

ESC, GS, DLE, EOT, LF = 0x1B, 0x1D, 0x10, 0x04, 0x0A
# Argument bytes of the ESC and GS commands we know (ESC c, ESC p take more than one).
_ESC_ARGS = {
    ord("!"): 1,
    ord("E"): 1,
    ord("-"): 1,
    ord("a"): 1,
    ord("r"): 1,
    ord("t"): 1,
    ord("{"): 1,
    ord("M"): 1,
    ord("G"): 1,
    ord("V"): 1,
    ord("3"): 1,
    ord("d"): 1,
    ord("J"): 1,
    ord("="): 1,
    ord("2"): 0,
    ord("@"): 0,
    ord("p"): 3,
    ord("c"): 2,
    ord("B"): 2,
    ord("U"): 1,
    ord("R"): 1,
    ord("e"): 1,
}
_GS_ARGS = {ord("!"): 1, ord("B"): 1, ord("b"): 1, ord("L"): 2, ord("W"): 2, ord("h"): 1, ord("w"): 1, ord("H"): 1}


@dataclass(frozen=True)
class Style:
    bold: bool = False
    width: int = 1
    height: int = 1
    red: bool = False
    invert: bool = False
    underline: bool = False
    align: str = "left"


@dataclass(frozen=True)
class PrintedLine:
    """A line as it came out of the printer: its text and the style it was printed in."""

    text: str
    style: Style = field(default_factory=Style)

    @property
    def big(self) -> bool:
        return self.style.width >= 2 and self.style.height >= 2


@dataclass(frozen=True)
class Chit:
    """What came out between two cuts (the last one may be open: not cut yet)."""

    lines: tuple[PrintedLine, ...]
    cut: bool

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def has(self, words: str) -> bool:
        """Whether the chit says this, on one line or wrapped over several."""
        return words in " ".join(line.text.strip() for line in self.lines)


class Mechanism(Protocol):
    def printing(self) -> bool: ...

    def answer(self, n: int) -> int | None: ...

    def cut(self, lines: list[PrintedLine]) -> None: ...


class EscPosDecoder:
    """Bytes in, printed lines and status answers out; keeps an incomplete command for the next bytes."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self.style = Style()
        self._text = bytearray()
        self._line_style: Style | None = None
        self.lines: list[PrintedLine] = []
        self.unknown: list[bytes] = []

    def feed(self, data: bytes, device: Mechanism) -> list[bytes]:
        """Decode `data` against the printer's mechanism, asked at each command as a printer would be: is
        it printing (not offline), what does it answer to DLE EOT n (None: nothing, stalled), and a cut.
        Returns the status answers."""
        self._buf += data
        answers: list[bytes] = []
        i, buf = 0, self._buf
        while i < len(buf):
            b = buf[i]
            if b == DLE:
                if i + 2 >= len(buf):
                    break
                if buf[i + 1] == EOT:
                    answer = device.answer(buf[i + 2])
                    if answer is not None:
                        answers.append(bytes([answer]))
                    i += 3
                    continue
                i += 1
                continue
            if b in (ESC, GS):
                table = _ESC_ARGS if b == ESC else _GS_ARGS
                if i + 1 >= len(buf):
                    break
                cmd = buf[i + 1]
                if b == GS and cmd == ord("V"):
                    if i + 2 >= len(buf):
                        break
                    n = 2 if buf[i + 2] in (65, 66) else 1
                    if i + 2 + n > len(buf):
                        break
                    if device.printing():
                        self._end_line(force=False)
                        lines, self.lines = self.lines, []
                        device.cut(lines)
                    i += 2 + n
                    continue
                nargs = table.get(cmd)
                if nargs is None:
                    nargs = 1
                    self.unknown.append(bytes(buf[i : i + 3]))
                if i + 2 + nargs > len(buf):
                    break
                args = bytes(buf[i + 2 : i + 2 + nargs])
                self._command(b, cmd, args)
                i += 2 + nargs
                continue
            if b == LF:
                if device.printing():
                    self._end_line(force=True)
                i += 1
                continue
            if b >= 0x20 and device.printing():
                if not self._text:
                    self._line_style = self.style
                self._text.append(b)
            i += 1
        del self._buf[:i]
        return answers

    def _command(self, prefix: int, cmd: int, args: bytes) -> None:
        s = self.style
        a = args[0] if args else 0
        if prefix == ESC:
            if cmd == ord("@"):
                s = Style()
            elif cmd == ord("!"):
                s = replace(
                    s,
                    bold=bool(a & 0x08),
                    height=2 if a & 0x10 else 1,
                    width=2 if a & 0x20 else 1,
                    underline=bool(a & 0x80),
                )
            elif cmd == ord("E"):
                s = replace(s, bold=bool(a & 1))
            elif cmd == ord("-"):
                s = replace(s, underline=a in (1, 2, 49, 50))
            elif cmd == ord("a"):
                s = replace(
                    s, align={0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}.get(a, "left")
                )
            elif cmd == ord("r"):
                s = replace(s, red=a in (1, 49))
        elif prefix == GS:
            if cmd == ord("!"):
                s = replace(s, width=(a >> 4) + 1, height=(a & 0x0F) + 1)
            elif cmd == ord("B"):
                s = replace(s, invert=bool(a & 1))
        self.style = s

    def _end_line(self, force: bool) -> None:
        if self._text or force:
            style = self._line_style if self._text and self._line_style is not None else self.style
            self.lines.append(PrintedLine(self._text.decode("cp437"), style))
            self._text.clear()
            self._line_style = None


class EmulatedPrinter:
    """The printer itself, whatever the wire: thread-safe, driven by its transports and by the test."""

    def __init__(self, name: str = "emulated") -> None:
        self.name = name
        self._lock = threading.Lock()
        self._decoder = EscPosDecoder()
        self._chits: list[Chit] = []
        self.online = True
        self.paper = "ok"  # ok | near_end | out
        self.stalled = False
        self.status_queries = 0
        self.lost_bytes = 0
        self.received_bytes = 0
        self._jam_next: str | None = None
        self.jammed_chits: list[Chit] = []

    # ---- what the wire calls -----------------------------------------------------------------
    def receive(self, data: bytes) -> bytes:
        with self._lock:
            self.received_bytes += len(data)
            if not self.printing():
                self.lost_bytes += len(data)
            answers = self._decoder.feed(data, self)
            self.status_queries += len(answers)
            return b"".join(answers)

    def printing(self) -> bool:
        return self.online and self.paper != "out" and not self.stalled

    def answer(self, n: int) -> int | None:
        if self.stalled:
            return None
        return self._status().get(n, 0x12)

    def cut(self, lines: list[PrintedLine]) -> None:
        jam, self._jam_next = self._jam_next, None
        if jam is not None:
            self.stalled = True  # jammed at the cut: no more answers until cleared
            self.jammed_chits.append(Chit(tuple(lines), True))
            if jam == "lose":
                return
        self._chits.append(Chit(tuple(lines), True))

    def _status(self) -> dict[int, int]:
        offline = not self.online or self.paper == "out"
        paper = {"ok": 0x12, "near_end": 0x1E, "out": 0x72}[self.paper]
        return {1: 0x12 | (0x08 if offline else 0), 2: 0x12 | (0x04 if not self.online else 0), 3: 0x12, 4: paper}

    # ---- what a test does to it --------------------------------------------------------------
    def go_offline(self) -> None:
        with self._lock:
            self.online = False

    def go_online(self) -> None:
        with self._lock:
            self.online = True

    def set_paper(self, paper: str) -> None:
        assert paper in ("ok", "near_end", "out")
        with self._lock:
            self.paper = paper

    def stall(self, stalled: bool = True) -> None:
        with self._lock:
            self.stalled = stalled

    def jam_at_next_cut(self, keep: bool = False) -> None:
        """The next chit jams at its cut: lost (or, with keep, printed) and then the printer answers
        nothing — a daemon waiting for its confirmation waits in vain. `stall(False)` clears the jam."""
        with self._lock:
            self._jam_next = "keep" if keep else "lose"

    # ---- what a test reads -------------------------------------------------------------------
    @property
    def chits(self) -> list[Chit]:
        """Every chit cut so far, in the order they came out."""
        with self._lock:
            return list(self._chits)

    @property
    def open_lines(self) -> list[PrintedLine]:
        """Lines printed since the last cut (on a printer without a cutter: everything)."""
        with self._lock:
            return list(self._decoder.lines)

    def chits_with(self, words: str) -> list[Chit]:
        return [c for c in self.chits if c.has(words)]


class TcpPrinter:
    """An EmulatedPrinter on 127.0.0.1:port, one thread per connection, like a JetDirect port 9100."""

    def __init__(self, printer: EmulatedPrinter | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.printer = printer or EmulatedPrinter()
        self.host = host
        self.port = port
        self._server: socket.socket | None = None
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def start(self) -> TcpPrinter:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((self.host, self.port))
        server.listen(8)
        self.port = server.getsockname()[1]
        self._server = server
        self._spawn(self._accept, server)
        return self

    def _spawn(self, target: object, *args: object) -> None:
        t = threading.Thread(target=target, args=args, daemon=True, name=f"printer-{self.printer.name}")  # type: ignore[arg-type]
        t.start()
        self._threads.append(t)

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with self._lock:
                self._conns.add(conn)
            self._spawn(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        try:
            while True:
                data = conn.recv(4096)
                if not data:
                    return
                answer = self.printer.receive(data)
                if answer:
                    conn.sendall(answer)
        except OSError:
            return
        finally:
            with self._lock:
                self._conns.discard(conn)
            with contextlib.suppress(OSError):
                conn.close()

    def power_off(self) -> None:
        """Refuse connections and drop the ones open: a printer switched off or unplugged from the LAN."""
        if self._server is not None:
            with contextlib.suppress(OSError):
                self._server.shutdown(socket.SHUT_RDWR)
            self._server.close()
            self._server = None
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def power_on(self) -> None:
        if self._server is None:
            self.start()

    def stop(self) -> None:
        self.power_off()


class PtyPrinter:
    """An EmulatedPrinter at the end of a serial line: a pty pair whose slave path the driver opens as a
    serial port (pyserial), as it would /dev/ttyUSB0."""

    def __init__(self, printer: EmulatedPrinter | None = None) -> None:
        self.printer = printer or EmulatedPrinter()
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.path = os.ttyname(self._slave)
        self._stop_r, self._stop_w = os.pipe()
        self._thread = threading.Thread(target=self._serve, daemon=True, name=f"pty-printer-{self.printer.name}")

    def start(self) -> PtyPrinter:
        self._thread.start()
        return self

    def _serve(self) -> None:
        while True:
            ready, _, _ = select.select([self._master, self._stop_r], [], [])
            if self._stop_r in ready:
                return
            try:
                data = os.read(self._master, 4096)
            except OSError:
                return
            answer = self.printer.receive(data)
            if answer:
                os.write(self._master, answer)

    def stop(self) -> None:
        os.write(self._stop_w, b"x")
        self._thread.join(timeout=5)
        for fd in (self._master, self._slave, self._stop_r, self._stop_w):
            with contextlib.suppress(OSError):
                os.close(fd)


def main() -> None:
    """A printer for development: `python -m drivers.printers.emulator --port 9100`; chits go to stdout."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    args = parser.parse_args()
    printer = EmulatedPrinter("dev")
    server = TcpPrinter(printer, args.host, args.port).start()
    print(f"emulated printer on {args.host}:{server.port}; Ctrl-C to stop", flush=True)
    shown = 0
    stop = threading.Event()
    try:
        while not stop.wait(0.2):
            chits = printer.chits
            for chit in chits[shown:]:
                print("=" * 42 + "\n" + chit.text + "\n" + "=" * 42 + " cut", flush=True)
            shown = len(chits)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
