"""Bump bars as Linux input devices (/dev/input/event*, better /dev/input/by-id/…): read with an
exclusive grab (EVIOCGRAB), so a bar that is a USB keyboard types into nothing else — not the screen's
focused field, not a console.

Read directly (struct input_event and one ioctl) rather than through python-evdev: it needs a C build,
and we use two of its calls. A key press (value 1) counts; auto-repeat (value 2) does not — a held
bump key must not bump a row of tickets.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import struct
from collections.abc import Iterable

from drivers.bumpbars.keymap import Key, KeyMap
from drivers.bumpbars.reader import BarReader, OnAction

EVENT = struct.Struct("llHHi")  # struct input_event: timeval, type, code, value (native sizes)
EV_KEY = 0x01
EVIOCGRAB = 0x40044590  # _IOW('E', 0x90, int)
MODIFIER_CODES = {29: "ctrl", 97: "ctrl", 42: "shift", 54: "shift", 56: "alt", 100: "alt", 125: "meta", 126: "meta"}
# Linux key codes → what the key is on a US layout, so a map can say "1" or "f1" instead of scan:2.
_CHARS = {2 + i: c for i, c in enumerate("1234567890-=")}
_CHARS |= {16 + i: c for i, c in enumerate("qwertyuiop[]")}
_CHARS |= {30 + i: c for i, c in enumerate("asdfghjkl;'`")}
_CHARS |= {43: "\\"} | {44 + i: c for i, c in enumerate("zxcvbnm,./")} | {57: " "}
_NAMES = {
    1: "esc",
    14: "backspace",
    15: "tab",
    28: "enter",
    96: "enter",
    102: "home",
    103: "up",
    104: "pageup",
    105: "left",
    106: "right",
    107: "end",
    108: "down",
    109: "pagedown",
    110: "insert",
    111: "delete",
    87: "f11",
    88: "f12",
} | {59 + i: f"f{i + 1}" for i in range(10)}


def key_candidates(code: int, mods: frozenset[str]) -> tuple[Key, ...]:
    """The scan code first (most specific), then the character or name it is."""
    candidates = [Key.scan(code, mods)]
    if code in _CHARS:
        candidates.append(Key.char(_CHARS[code], mods))
    elif code in _NAMES:
        candidates.append(Key(_NAMES[code], mods))
    return tuple(candidates)


class EvdevBar(BarReader):
    def __init__(self, bar_id: str, path: str, keymap: KeyMap, on_action: OnAction, **kw: float):
        super().__init__(bar_id, path, keymap, on_action, **kw)
        self._fd: int | None = None
        self._held: set[str] = set()
        self._pending = b""
        self.grabbed = False

    def open(self) -> int:
        fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        try:
            fcntl.ioctl(fd, EVIOCGRAB, 1)
            self.grabbed = True
        except OSError as exc:
            if exc.errno != errno.ENOTTY:  # EBUSY: another program holds it — it must not get our keys
                os.close(fd)
                raise
            # Not an input device (a pipe standing in for one): nothing to grab.
            self.grabbed = False
        self._fd, self._held, self._pending = fd, set(), b""
        return fd

    def read_keys(self) -> Iterable[tuple[Key, ...]]:
        assert self._fd is not None
        try:
            data = os.read(self._fd, EVENT.size * 64)
        except BlockingIOError:
            return
        if not data:
            raise EOFError("device closed")
        data = self._pending + data
        whole = len(data) - len(data) % EVENT.size
        self._pending = data[whole:]
        for offset in range(0, whole, EVENT.size):
            _, _, kind, code, value = EVENT.unpack_from(data, offset)
            if kind != EV_KEY:
                continue
            if code in MODIFIER_CODES:
                (self._held.add if value else self._held.discard)(MODIFIER_CODES[code])
            elif value == 1:
                yield key_candidates(code, frozenset(self._held))

    def close(self) -> None:
        if self._fd is not None:
            if self.grabbed:
                with contextlib.suppress(OSError):
                    fcntl.ioctl(self._fd, EVIOCGRAB, 0)
            os.close(self._fd)
            self._fd = None


def press_events(code: int, mods: Iterable[int] = ()) -> bytes:
    """The input_event records a keyboard sends for one key press with modifiers held (for tests and
    tools that play a bar)."""
    records = [EVENT.pack(0, 0, EV_KEY, m, 1) for m in mods]
    records += [EVENT.pack(0, 0, EV_KEY, code, 1), EVENT.pack(0, 0, EV_KEY, code, 0)]
    records += [EVENT.pack(0, 0, EV_KEY, m, 0) for m in mods]
    return b"".join(records)
