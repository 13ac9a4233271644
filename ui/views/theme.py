"""Colours, type sizes and timer thresholds: dark and high-contrast themes on a colour-blind-safe palette.

The palette is Okabe–Ito (safe for the common colour blindnesses), and colour never carries meaning alone:
each timer state also has a shape (● on time, ▲ warning, ■ late) and late cards say LATE in words.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QFont

# Okabe–Ito
BLUE = "#0072B2"
ORANGE = "#E69F00"
VERMILLION = "#D55E00"
GREEN = "#009E73"
YELLOW = "#F0E442"
SKY = "#56B4E9"


@dataclass(frozen=True)
class TimerState:
    name: str  # ok | warn | late
    colour: str
    shape: str


OK = TimerState("ok", GREEN, "●")
WARN = TimerState("warn", ORANGE, "▲")
LATE = TimerState("late", VERMILLION, "■")


@dataclass(frozen=True)
class Theme:
    name: str
    background: str
    card: str
    card_text: str
    muted: str
    header_text: str
    allergen_bg: str
    allergen_text: str
    cancel: str
    selection: str
    flash: str
    bar: str
    bar_text: str
    stale: str
    font_scale: float = 1.0
    warn_minutes: int = 5
    late_minutes: int = 10

    def timer_state(self, seconds: float) -> TimerState:
        if seconds >= self.late_minutes * 60:
            return LATE
        if seconds >= self.warn_minutes * 60:
            return WARN
        return OK

    def font(self, points: float, bold: bool = False) -> QFont:
        font = QFont("DejaVu Sans")
        font.setPixelSize(max(8, round(points * self.font_scale)))
        font.setBold(bold)
        return font

    def qcolor(self, value: str) -> QColor:
        return QColor(value)


DARK = Theme(
    name="dark",
    background="#111418",
    card="#1E232A",
    card_text="#F2F2F2",
    muted="#8A939E",
    header_text="#000000",
    allergen_bg=YELLOW,
    allergen_text="#000000",
    cancel="#C0001A",
    selection=SKY,
    flash="#FFFFFF",
    bar="#0B0D10",
    bar_text="#D8DDE3",
    stale="#7A4E00",
)

HIGH_CONTRAST = Theme(
    name="high-contrast",
    background="#000000",
    card="#000000",
    card_text="#FFFFFF",
    muted="#C8C8C8",
    header_text="#000000",
    allergen_bg=YELLOW,
    allergen_text="#000000",
    cancel="#FF0000",
    selection="#FFFFFF",
    flash=YELLOW,
    bar="#000000",
    bar_text="#FFFFFF",
    stale="#FFB000",
)

THEMES = {t.name: t for t in (DARK, HIGH_CONTRAST)}


def theme_for(name: str, font_scale: float = 1.0, warn_minutes: int = 5, late_minutes: int = 10) -> Theme:
    from dataclasses import replace

    return replace(THEMES[name], font_scale=font_scale, warn_minutes=warn_minutes, late_minutes=late_minutes)
