"""A bar read by a thread of its own, picked up again after it is unplugged and plugged in again.

The device is opened, read until it goes away (unplugged: the read fails or the path vanishes), closed,
and then looked for again every `retry_seconds` — no restart of anything. Reads wait with select on
the device and on a stop pipe, so stopping is immediate and a quiet bar costs nothing.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
from collections.abc import Callable, Iterable

from drivers.bumpbars.keymap import Action, Key, KeyMap

log = logging.getLogger(__name__)

OnAction = Callable[[str, Action], None]  # (bar id, action): called on the reader's thread


class BarReader:
    """The life of one bar; subclasses say how to open it and turn its bytes into keys."""

    def __init__(self, bar_id: str, path: str, keymap: KeyMap, on_action: OnAction, retry_seconds: float = 1.0):
        self.bar_id = bar_id
        self.path = path
        self.keymap = keymap
        self.on_action = on_action
        self.retry_seconds = retry_seconds
        self.connected = False
        self.last_error = ""
        self.plugged_in = 0  # how many times it was opened: 2 after one unplug and replug
        self._stop_r, self._stop_w = os.pipe()
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"bumpbar-{bar_id}")

    # ---- what subclasses provide ----------------------------------------------------------------
    def open(self) -> int:
        """Open the device; return a file descriptor to wait on."""
        raise NotImplementedError

    def read_keys(self) -> Iterable[tuple[Key, ...]]:
        """Read what is there; yield each pressed key as candidates, most specific first."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # ---- the loop ------------------------------------------------------------------------------
    def start(self) -> BarReader:
        self._thread.start()
        return self

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self._stop_w, b"x")
        self._thread.join(timeout=5)
        for fd in (self._stop_r, self._stop_w):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _run(self) -> None:
        while True:
            try:
                fd = self.open()
            except OSError as exc:
                self._note_error(f"cannot open {self.path}: {exc.strerror or exc}")
                if self._wait(None, self.retry_seconds):
                    return
                continue
            self.connected = True
            self.plugged_in += 1
            self.last_error = ""
            log.info("bump bar connected bar=%s path=%s", self.bar_id, self.path)
            try:
                if self._read_until_gone(fd):
                    return
            finally:
                self.connected = False
                with contextlib.suppress(Exception):
                    self.close()
            if self._wait(None, self.retry_seconds):  # a bar half out of its socket must not spin a core
                return

    def _read_until_gone(self, fd: int) -> bool:
        """True when asked to stop; False when the device went away."""
        while True:
            if self._wait(fd, None):
                return True
            try:
                pressed = list(self.read_keys())
            except (OSError, EOFError) as exc:
                self._note_error(f"{self.path} went away: {exc}")
                return False
            for candidates in pressed:
                self._deliver(candidates)

    def _deliver(self, candidates: tuple[Key, ...]) -> None:
        action = self.keymap.action(*candidates)
        if action is None:
            log.debug("bump bar key not mapped bar=%s key=%s", self.bar_id, candidates[0])
            return
        try:
            self.on_action(self.bar_id, action)
        except Exception:
            log.exception("bump bar action failed bar=%s action=%s", self.bar_id, action)

    def _wait(self, fd: int | None, timeout: float | None) -> bool:
        """Wait for the device (or the timeout); True when stop was asked."""
        watched = [self._stop_r] if fd is None else [self._stop_r, fd]
        ready, _, _ = select.select(watched, [], [], timeout)
        return self._stop_r in ready

    def _note_error(self, message: str) -> None:
        if message != self.last_error:
            log.warning("bump bar unavailable bar=%s %s", self.bar_id, message)
        self.last_error = message
