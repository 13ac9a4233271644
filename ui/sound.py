"""What the screen plays when a new ticket arrives: ui/sounds/chime.wav (synthesised, CC0:
ui/sounds/make_chime.py), through the first player the device has — pw-play (PipeWire), paplay
(PulseAudio) or aplay (ALSA) — else the platform's bell. A player is a process of its own, so playing never
blocks the screen; a chime still sounding when the next ticket comes is not started again (a rush is one
ringing, not a pile of them). QtMultimedia would need PySide6-Addons (~160 MB) and libpulse for one sound.

Every request is counted (tests read it: there is no audio device on our machines)."""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)

CHIME = Path(__file__).with_name("sounds") / "chime.wav"
PLAYERS = (("pw-play",), ("paplay",), ("aplay", "-q"))


def find_player() -> list[str] | None:
    for command in PLAYERS:
        path = shutil.which(command[0])
        if path is not None:
            return [path, *command[1:]]
    return None


class Chime:
    def __init__(self, sound: str, player: list[str] | None = None, muted: bool | None = None) -> None:
        # Muted when configured off and on the offscreen platform (tests, screenshots): nobody is there to hear.
        offscreen = QGuiApplication.platformName() in ("offscreen", "minimal")
        self.muted = (sound == "off" or offscreen) if muted is None else muted
        self.player = player if player is not None else (find_player() if not self.muted else None)
        self.requests = 0
        self.played = 0
        self._playing: subprocess.Popen[bytes] | None = None

    def new_ticket(self) -> None:
        self.requests += 1
        if self.muted:
            return
        if self.player is None or not CHIME.exists():
            QApplication.beep()
            return
        if self._playing is not None and self._playing.poll() is None:
            return  # still ringing
        try:
            self._playing = subprocess.Popen(
                [*self.player, str(CHIME)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            self.played += 1
        except OSError as exc:  # the player went away: the bell, and say so once
            log.warning("chime player failed player=%s error=%s; using the bell", self.player[0], exc)
            self.player = None
            QApplication.beep()
