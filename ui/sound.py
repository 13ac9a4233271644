"""What the screen plays when a new ticket arrives. The request is recorded (tests read it: there is no
audio device on our machines) and, unless muted, played with the platform's bell: a sound file needs
QtMultimedia, which is in PySide6-Addons (160 MB) and needs libpulse; that can come with the packaging issue."""

from __future__ import annotations

import logging

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)


class Chime:
    def __init__(self, sound: str) -> None:
        # Muted when configured off and on the offscreen platform (tests, screenshots): nobody is there to hear.
        self.muted = sound == "off" or QGuiApplication.platformName() in ("offscreen", "minimal")
        self.requests = 0

    def new_ticket(self) -> None:
        self.requests += 1
        if not self.muted:
            QApplication.beep()
