"""Key maps: key specs as configuration writes them, the default layouts, and what is refused."""

from __future__ import annotations

import pytest

from drivers.bumpbars.keyboard import key_spec
from drivers.bumpbars.keymap import LAYOUTS, Action, Key, KeyMap, KeyMapError, default_keymap, parse_action


def test_every_action_has_a_key_on_the_20_key_layout() -> None:
    assert set(default_keymap("20-key").keys.values()) == set(Action)


def test_the_10_key_layout_has_the_everyday_actions() -> None:
    actions = set(default_keymap("10-key").keys.values())

    assert {Action.BUMP, Action.RECALL, Action.NEXT, Action.PREVIOUS, Action.ITEM_BUMP} <= actions
    assert len(LAYOUTS["10-key"]) == 10


def test_key_specs_read_as_qt_writes_them() -> None:
    assert Key.parse("Ctrl+R") == Key.char("r", {"ctrl"})
    assert Key.parse("control+shift+F1") == Key("f1", frozenset({"ctrl", "shift"}))
    assert Key.parse("scan:0x1e") == Key.parse("scan:30") == Key.scan(30)
    assert Key.parse("PgUp") == Key.parse("pageup")
    assert Key.parse("ctrl++") == Key.char("+", {"ctrl"})
    assert Key.parse("space") == Key.char(" ")


def test_actions_read_in_any_spelling() -> None:
    assert parse_action("Page Next") is parse_action("page-next") is Action.PAGE_NEXT
    assert parse_action("all-day") is parse_action("summary") is Action.SUMMARY


@pytest.mark.parametrize("spec", ["", "hyper+x", "scan:x"])
def test_bad_key_specs_are_refused_by_name(spec: str) -> None:
    with pytest.raises(KeyMapError):
        Key.parse(spec)


def test_unknown_action_names_the_known_ones() -> None:
    with pytest.raises(KeyMapError, match="known: bump, recall"):
        parse_action("explode")


def test_configured_keys_override_the_layout() -> None:
    keymap = KeyMap.from_specs({"1": "recall", "ctrl+b": "bump"}, default_keymap("10-key"))

    assert keymap.action(Key.char("1")) is Action.RECALL
    assert keymap.action(Key.char("b", {"ctrl"})) is Action.BUMP
    assert keymap.action(Key.char("b")) is None
    assert keymap.action(Key.char("2")) is Action.RECALL


def test_a_wedge_key_event_becomes_a_key_spec() -> None:
    assert key_spec("1") == "1"
    assert key_spec("", "F1") == "F1"
    assert key_spec("r", modifiers=["Ctrl", "NumLock"]) == "ctrl+r"
    assert default_keymap("10-key").action(Key.parse(key_spec("1"))) is Action.BUMP
