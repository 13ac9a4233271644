"""A Qt key event as the key spec the daemon's bump-bar key maps read (`1`, `ctrl+r`, `f1`, `return`)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent, QKeySequence

from drivers.bumpbars.keyboard import key_spec

_MODIFIER_KEYS = frozenset(
    {Qt.Key.Key_Shift, Qt.Key.Key_Control, Qt.Key.Key_Alt, Qt.Key.Key_Meta, Qt.Key.Key_AltGr, Qt.Key.Key_CapsLock}
)
_MODIFIERS = (
    (Qt.KeyboardModifier.ControlModifier, "ctrl"),
    (Qt.KeyboardModifier.AltModifier, "alt"),
    (Qt.KeyboardModifier.ShiftModifier, "shift"),
    (Qt.KeyboardModifier.MetaModifier, "meta"),
)


def spec_of(event: QKeyEvent) -> str | None:
    """None for a key that is only a modifier, or one with neither text nor a name."""
    key = event.key()
    if key in _MODIFIER_KEYS or key == Qt.Key.Key_unknown:
        return None
    name = QKeySequence(key).toString() or None
    modifiers = [word for flag, word in _MODIFIERS if event.modifiers() & flag]
    text = event.text()
    if text and text.isalpha() and text.isupper() and "shift" in modifiers:
        text = text.lower()  # `shift+r`, as key maps write it: the capital is the shift already named
    try:
        return key_spec(text, name, modifiers)
    except ValueError:
        return None
