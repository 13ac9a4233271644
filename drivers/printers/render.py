"""Styled lines → ESC/POS bytes for one printer profile, through python-escpos (its Dummy printer keeps
the bytes instead of sending them: rendering never touches a device, so it can run anywhere)."""

from __future__ import annotations

from collections.abc import Sequence

from drivers.printers.escpos_lib import Dummy
from drivers.printers.lines import Line

ESC = b"\x1b"
RED = ESC + b"r\x01"  # ESC r 1: second colour (red ribbon) on two-colour impact printers
BLACK = ESC + b"r\x00"
TEAR_LINE = "- - - - - - - - tear here - - - - - - - -"


class Profile:
    """What layout and rendering need from a python-escpos profile: columns, cutter, second colour."""

    def __init__(self, name: str = "default") -> None:
        self.name = name
        self._probe = Dummy(profile=name)
        data = self._probe.profile.profile_data
        fonts = data.get("fonts") or {}
        self.columns = int((fonts.get("0") or {}).get("columns") or 42)
        self.cuts = bool(self._probe.profile.supports("paperFullCut") or self._probe.profile.supports("paperPartCut"))
        self.two_colour = len(data.get("colors") or {}) > 1


def render(lines: Sequence[Line], profile: Profile) -> bytes:
    """One chit, from printer initialisation to its end: a cut where the profile has a cutter, else a tear
    line and enough feed to tear it off below the last line (so one chit is still one piece of paper)."""
    p = Dummy(profile=profile.name)
    p.hw("INIT")
    for line in lines:
        p.set(
            align=line.align,
            bold=line.bold,
            underline=1 if line.underline else 0,
            invert=line.invert,
            normal_textsize=not (line.big or line.tall),
            double_width=line.big,
            double_height=line.big or line.tall,
        )
        if profile.two_colour:
            p._raw(RED if line.red else BLACK)
        _textln(p, line.text)
    p.set_with_default()
    if profile.two_colour:
        p._raw(BLACK)
    if profile.cuts:
        p.cut()
    else:
        p.ln(1)
        p.textln(TEAR_LINE[: profile.columns])
        p.print_and_feed(6)
    return bytes(p.output)


def _textln(p: Dummy, text: str) -> None:
    """ASCII (nearly all of a kitchen's text) is the same in every code page: sent as it is, whatever code
    page is selected. python-escpos's encoder, character by character, took 0.3 s for a large order's
    chit; it is kept for the text that needs a code page."""
    if text.isascii():
        p._raw(text.encode("ascii") + b"\n")
    else:
        p.textln(text)
