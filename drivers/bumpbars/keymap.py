"""Key maps: which key of a bar does what. A key is a character, a named key or a scan code, with
modifiers; an action is one of the kitchen's bump bar verbs.

Key spec syntax (case-insensitive, as Qt's key sequences write them): modifiers joined with `+`
before the key — `b`, `1`, `ctrl+r`, `shift+f1`, `enter`, `scan:30`, `scan:0x1e`. A scan code is a
Linux input key code for evdev bars and the byte value for serial bars.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Action(StrEnum):
    BUMP = "bump"
    RECALL = "recall"
    NEXT = "next"
    PREVIOUS = "previous"
    PAGE_NEXT = "page_next"
    PAGE_PREVIOUS = "page_previous"
    START = "start"
    ITEM_UP = "item_up"
    ITEM_DOWN = "item_down"
    ITEM_BUMP = "item_bump"
    SUMMARY = "summary"
    PRIORITY = "priority"
    HOME = "home"


_ACTION_ALIASES = {"all_day": Action.SUMMARY, "allday": Action.SUMMARY, "prev": Action.PREVIOUS}
MODIFIERS = ("ctrl", "alt", "shift", "meta")
_MOD_ALIASES = {"control": "ctrl", "super": "meta", "win": "meta", "option": "alt"}


class KeyMapError(ValueError):
    """A key spec or action that cannot be read; the message names it."""


def parse_action(text: str) -> Action:
    """`page next`, `page-next`, `page_next`, `Page Next` are one action; `all-day` is the summary."""
    word = text.strip().lower().replace("-", "_").replace(" ", "_").replace("/", "_")
    if word in _ACTION_ALIASES:
        return _ACTION_ALIASES[word]
    if word in ("summary_all_day", "summary___all_day"):
        return Action.SUMMARY
    try:
        return Action(word)
    except ValueError:
        known = ", ".join(a.value for a in Action)
        raise KeyMapError(f"unknown action {text!r}; known: {known}") from None


@dataclass(frozen=True)
class Key:
    """A pressed key: `code` is `char:x`, `scan:n` or a key name (`f1`, `enter`); mods a set of modifiers."""

    code: str
    mods: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def parse(cls, spec: str) -> Key:
        text = spec.strip()
        if not text:
            raise KeyMapError("an empty key")
        parts = text.split("+")
        # "+" itself, or "ctrl++": a trailing empty part means the key is the plus sign.
        if parts[-1] == "" and len(parts) >= 2:
            parts = [*parts[:-2], "+"]
        *mods, key = parts
        seen = set()
        for mod in mods:
            name = _MOD_ALIASES.get(mod.strip().lower(), mod.strip().lower())
            if name not in MODIFIERS:
                raise KeyMapError(f"{spec!r}: unknown modifier {mod!r}; known: {', '.join(MODIFIERS)}")
            seen.add(name)
        return cls(_code(key, spec), frozenset(seen))

    @classmethod
    def char(cls, ch: str, mods: Iterable[str] = ()) -> Key:
        return cls(f"char:{ch.lower()}", frozenset(mods))

    @classmethod
    def scan(cls, code: int, mods: Iterable[str] = ()) -> Key:
        return cls(f"scan:{code}", frozenset(mods))

    def __str__(self) -> str:
        code = self.code.removeprefix("char:")
        return "+".join([*sorted(self.mods), code])


def _code(key: str, spec: str) -> str:
    low = key.strip().lower() if len(key.strip()) > 1 else key.lower()
    if low.startswith("scan:"):
        try:
            return f"scan:{int(low[5:], 0)}"
        except ValueError:
            raise KeyMapError(f"{spec!r}: a scan code is a number (scan:30 or scan:0x1e)") from None
    if len(key) == 1:
        return f"char:{low}"
    if low == "space":
        return "char: "
    return _NAME_ALIASES.get(low, low)


# Qt's and X11's names for the same keys: a key map written with either reads the same.
_NAME_ALIASES = {
    "return": "enter",
    "escape": "esc",
    "pgup": "pageup",
    "pgdown": "pagedown",
    "page_up": "pageup",
    "page_down": "pagedown",
    "del": "delete",
    "prior": "pageup",
    "next": "pagedown",
}


@dataclass(frozen=True)
class KeyMap:
    """Keys → actions. Lookup tries the exact key with its modifiers; a shifted letter is not its lower case."""

    keys: Mapping[Key, Action]

    @classmethod
    def from_specs(cls, specs: Mapping[str, str], base: KeyMap | None = None) -> KeyMap:
        """A map from config (`{"ctrl+r": "recall"}`), on top of a default layout when one is given."""
        keys = dict(base.keys) if base else {}
        for spec, action in specs.items():
            keys[Key.parse(spec)] = parse_action(str(action))
        return cls(keys)

    def action(self, *candidates: Key) -> Action | None:
        """The action of the first candidate the map knows (evdev offers the scan code, then the character)."""
        for key in candidates:
            if key in self.keys:
                return self.keys[key]
        return None


# The two layouts most bars ship with. Keys send the characters printed on them in keyboard-wedge mode
# (most bars are programmable; program yours to these, or change the map). docs/bumpbars.md draws them.
TEN_KEY: dict[str, Action] = {
    "1": Action.BUMP,
    "2": Action.RECALL,
    "3": Action.PREVIOUS,
    "4": Action.NEXT,
    "5": Action.START,
    "6": Action.ITEM_UP,
    "7": Action.ITEM_DOWN,
    "8": Action.ITEM_BUMP,
    "9": Action.SUMMARY,
    "0": Action.HOME,
}
TWENTY_KEY: dict[str, Action] = {
    **TEN_KEY,
    "q": Action.PAGE_PREVIOUS,
    "w": Action.PAGE_NEXT,
    "e": Action.PRIORITY,
    # r t y u i o p: left free for the kitchen's own (bumpbars.keys).
}
LAYOUTS: dict[str, dict[str, Action]] = {"10-key": TEN_KEY, "20-key": TWENTY_KEY}


def default_keymap(layout: str) -> KeyMap:
    if layout not in LAYOUTS:
        raise KeyMapError(f"unknown layout {layout!r}; known: {', '.join(LAYOUTS)}")
    return KeyMap.from_specs(LAYOUTS[layout])
