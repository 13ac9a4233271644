"""Keyboard-wedge bump bars: the bar is a keyboard, its keys arrive as key events of the focused window
(the screen). The screen turns a key event into a key spec with `key_spec` and hands it to the daemon,
which owns the key maps and the selection (docs/bumpbars.md says why)."""

from __future__ import annotations

from collections.abc import Iterable

from drivers.bumpbars.keymap import MODIFIERS, Key


def key_spec(text: str, name: str | None = None, modifiers: Iterable[str] = ()) -> str:
    """A key event (its text, or its name when it has no text: F1, Enter; and the modifiers held) as a
    key spec the key maps read: `1`, `ctrl+r`, `f1`."""
    mods = sorted(m.lower() for m in modifiers if m.lower() in MODIFIERS)
    key = text if text and text.isprintable() and len(text) == 1 else (name or text)
    if not key:
        raise ValueError("a key event with neither text nor a name")
    return "+".join([*mods, key])


def key_of(spec: str) -> Key:
    return Key.parse(spec)
