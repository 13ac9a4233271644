"""Serial and evdev bars deliver actions, survive being unplugged, and a held key bumps once."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from drivers.bumpbars.evdev import EV_KEY, EVENT, EvdevBar, press_events
from drivers.bumpbars.keymap import Action, KeyMap, default_keymap
from drivers.bumpbars.serial import SerialBar
from tests.drivers.bumpbars.conftest import PtyBar

KEY_1, KEY_2, KEY_B, KEY_LEFTCTRL = 2, 3, 48, 29


class Collected:
    def __init__(self) -> None:
        self.actions: list[tuple[str, Action]] = []
        self._lock = threading.Lock()

    def __call__(self, bar_id: str, action: Action) -> None:
        with self._lock:
            self.actions.append((bar_id, action))

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Action]:
        _until(lambda: len(self.actions) >= count, timeout, f"{count} actions, got {self.actions}")
        return [a for _, a in self.actions]


def _until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.01)  # polling a condition with a deadline


def test_serial_bar_keys_become_actions(pty_bar: PtyBar) -> None:
    got = Collected()
    bar = SerialBar("b1", str(pty_bar.link), default_keymap("10-key"), got, retry_seconds=0.05).start()
    try:
        _until(lambda: bar.connected, 5, "the bar connected")
        pty_bar.press(b"1x4")  # x is not mapped: ignored

        assert got.wait_for(2) == [Action.BUMP, Action.NEXT]
    finally:
        bar.stop()


def test_serial_bar_is_picked_up_again_after_unplug(pty_bar: PtyBar) -> None:
    got = Collected()
    bar = SerialBar("b1", str(pty_bar.link), default_keymap("10-key"), got, retry_seconds=0.05).start()
    try:
        _until(lambda: bar.connected, 5, "the bar connected")
        pty_bar.unplug()
        _until(lambda: not bar.connected, 5, "the bar noticed it was unplugged")
        assert bar.last_error

        pty_bar.plug()
        _until(lambda: bar.connected and bar.plugged_in == 2, 5, "the bar picked up again")
        pty_bar.press(b"2")

        assert got.wait_for(1) == [Action.RECALL]
    finally:
        bar.stop()


def test_serial_bar_maps_byte_values(pty_bar: PtyBar) -> None:
    got = Collected()
    keymap = KeyMap.from_specs({"scan:0x81": "bump"})
    bar = SerialBar("b1", str(pty_bar.link), keymap, got, retry_seconds=0.05).start()
    try:
        _until(lambda: bar.connected, 5, "the bar connected")
        pty_bar.press(b"\x81")
        assert got.wait_for(1) == [Action.BUMP]
    finally:
        bar.stop()


def test_evdev_records_with_modifiers_and_no_autorepeat(tmp_path: Path) -> None:
    """The same input_event records a keyboard bar sends, through a FIFO standing in for the device node
    (there is nothing to grab on a FIFO; the grab itself is tested where /dev/input exists)."""
    fifo = tmp_path / "event-bar"
    os.mkfifo(fifo)
    got = Collected()
    keymap = KeyMap.from_specs({"ctrl+b": "recall"}, default_keymap("10-key"))
    bar = EvdevBar("e1", str(fifo), keymap, got, retry_seconds=0.05).start()
    writer = os.open(fifo, os.O_WRONLY)
    try:
        held = [EVENT.pack(0, 0, EV_KEY, KEY_1, value) for value in (1, 2, 2, 0)]  # press, auto-repeat ×2, release
        os.write(writer, b"".join(held))
        os.write(writer, press_events(KEY_B, [KEY_LEFTCTRL]))
        os.write(writer, press_events(KEY_2)[:10])  # half a record now, the rest later
        os.write(writer, press_events(KEY_2)[10:])

        assert got.wait_for(3) == [Action.BUMP, Action.RECALL, Action.RECALL]
        assert not bar.grabbed
    finally:
        os.close(writer)
        bar.stop()


@pytest.mark.skipif(not Path("/dev/input").is_dir(), reason="no /dev/input on this machine: no input device to grab")
def test_evdev_grabs_a_real_input_device() -> None:
    events = sorted(Path("/dev/input").glob("event*"))
    if not events:
        pytest.skip("/dev/input has no event devices")
    got = Collected()
    bar = EvdevBar("e1", str(events[0]), default_keymap("10-key"), got, retry_seconds=0.05).start()
    try:
        _until(lambda: bar.connected or bool(bar.last_error), 5, "the device opened or refused")
        assert bar.grabbed or "Permission" in bar.last_error or "Busy" in bar.last_error
    finally:
        bar.stop()
