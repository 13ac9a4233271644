"""Serial bump bars (RS-232 or USB-serial): each key sends a byte (most bars: the character on the key).

A key is looked up as its byte value (`scan:N`) first, then as the character it is in ASCII.
"""

from __future__ import annotations

from collections.abc import Iterable

import serial

from drivers.bumpbars.keymap import Key, KeyMap
from drivers.bumpbars.reader import BarReader, OnAction


class SerialBar(BarReader):
    def __init__(self, bar_id: str, path: str, keymap: KeyMap, on_action: OnAction, baudrate: int = 9600, **kw: float):
        super().__init__(bar_id, path, keymap, on_action, **kw)
        self.baudrate = baudrate
        self._port: serial.Serial | None = None

    def open(self) -> int:
        try:
            self._port = serial.Serial(self.path, self.baudrate, timeout=0, exclusive=True)
        except serial.SerialException as exc:
            raise OSError(str(exc)) from exc
        return int(self._port.fileno())

    def read_keys(self) -> Iterable[tuple[Key, ...]]:
        assert self._port is not None
        try:
            data = self._port.read(self._port.in_waiting or 1)
        except serial.SerialException as exc:
            raise OSError(str(exc)) from exc
        if not data:
            # select said readable and there is nothing: the other end hung up (unplugged).
            raise EOFError("end of the line")
        for byte in data:
            candidates = [Key.scan(byte)]
            if 0x20 <= byte < 0x7F:
                candidates.append(Key.char(chr(byte)))
            yield tuple(candidates)

    def close(self) -> None:
        if self._port is not None:
            self._port.close()
            self._port = None
