"""A chit as styled lines: what layout produces, what the renderer sends and what the emulator decodes."""

from __future__ import annotations

import msgspec


class Line(msgspec.Struct, frozen=True):
    """One printed line. `big` is double width and height (what matters from across the pass); `tall` is
    double height only (keeps a full line's width); `red` prints in the second colour where the printer has one.
    A Struct, not a frozen dataclass: a chit is some 25 lines, and a dataclass's frozen __init__ cost ~2 µs each."""

    text: str
    bold: bool = False
    big: bool = False
    tall: bool = False
    red: bool = False
    invert: bool = False
    underline: bool = False
    align: str = "left"  # left | center | right

    @property
    def width_factor(self) -> int:
        return 2 if self.big else 1
