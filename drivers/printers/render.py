"""Styled lines → ESC/POS bytes for one printer profile, through python-escpos (its Dummy printer keeps
the bytes instead of sending them: rendering never touches a device, so it can run anywhere)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from drivers.printers.escpos_lib import Dummy
from drivers.printers.lines import Line

ESC = b"\x1b"
RED = ESC + b"r\x01"  # ESC r 1: second colour (red ribbon) on two-colour impact printers
BLACK = ESC + b"r\x00"
TEAR_LINE = "- - - - - - - - tear here - - - - - - - -"


class Profile:
    """What layout and rendering need from a python-escpos profile: columns, cutter, second colour; and the
    bytes that do not depend on a chit's text, made once (see `render`)."""

    def __init__(self, name: str = "default") -> None:
        self.name = name
        self._probe = Dummy(profile=name)
        data = self._probe.profile.profile_data
        fonts = data.get("fonts") or {}
        self.columns = int((fonts.get("0") or {}).get("columns") or 42)
        self.cuts = bool(self._probe.profile.supports("paperFullCut") or self._probe.profile.supports("paperPartCut"))
        self.two_colour = len(data.get("colors") or {}) > 1
        self._styles: dict[tuple[object, ...], bytes] = {}
        self.head, self.tail = self._commands(_start), self._commands(lambda p: _end(p, self))

    def style(self, line: Line) -> bytes:
        """The commands that set a line's style (python-escpos's `set` sends every setting, whatever was set
        before, so they depend on the style alone)."""
        key = (line.align, line.bold, line.underline, line.invert, line.big, line.tall, line.red)
        found = self._styles.get(key)
        if found is None:
            found = self._styles[key] = self._commands(lambda p: _set_style(p, line, self))
        return found

    def _commands(self, write: Callable[[Dummy], None]) -> bytes:
        p = Dummy(profile=self.name)
        write(p)
        return bytes(p.output)


def render(lines: Sequence[Line], profile: Profile) -> bytes:
    """One chit, from printer initialisation to its end: a cut where the profile has a cutter, else a tear
    line and enough feed to tear it off below the last line (so one chit is still one piece of paper).

    ASCII text (nearly all of a kitchen's) is the same in every code page and the style commands depend on
    the style alone, so such a chit is put together from the profile's cached commands: python-escpos's
    `set`, called per line, took half of a chit's rendering. Other text goes through python-escpos whole,
    whose encoder keeps the code page it last selected from one line to the next."""
    if all(line.text.isascii() for line in lines):
        body = b"".join(profile.style(line) + line.text.encode("ascii") + b"\n" for line in lines)
        return profile.head + body + profile.tail
    p = Dummy(profile=profile.name)
    _start(p)
    for line in lines:
        _set_style(p, line, profile)
        _textln(p, line.text)
    _end(p, profile)
    return bytes(p.output)


def _start(p: Dummy) -> None:
    p.hw("INIT")


def _set_style(p: Dummy, line: Line, profile: Profile) -> None:
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


def _end(p: Dummy, profile: Profile) -> None:
    p.set_with_default()
    if profile.two_colour:
        p._raw(BLACK)
    if profile.cuts:
        p.cut()
    else:
        p.ln(1)
        p.textln(TEAR_LINE[: profile.columns])
        p.print_and_feed(6)


def _textln(p: Dummy, text: str) -> None:
    """ASCII is sent as it is, whatever code page is selected. python-escpos's encoder, character by
    character, took 0.3 s for a large order's chit; it is kept for the text that needs a code page."""
    if text.isascii():
        p._raw(text.encode("ascii") + b"\n")
    else:
        p.textln(text)
