"""Printer and bump bar configuration: every key read, every mistake one line naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.config import ConfigError, load_config

STATIONS = '[[stations]]\nid = "grill"\nname = "Grill"\n'


def _load(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "heard.toml"
    path.write_text(STATIONS + text)
    return load_config(path, environ={})


def test_printer_and_bar_keys_are_read(tmp_path: Path) -> None:
    config = _load(
        tmp_path,
        """
[printing]
unseen_after_seconds = 90
unseen_printer = "main"

[[printers]]
id = "main"
kind = "network"
host = "127.0.0.1"
profile = "TM-U220"
failover_after_seconds = 5

[[printers]]
id = "spare"
kind = "serial"
path = "/dev/ttyUSB0"
baudrate = 38400
backup_for = "main"

[[bumpbars]]
id = "bar"
station = "grill"
kind = "evdev"
path = "/dev/input/event3"
layout = "20-key"

[bumpbars.keys]
"ctrl+r" = "recall"
""",
    )

    main, spare = config.printers
    assert (main.profile, main.failover_after_seconds, spare.backup_for, spare.baudrate) == (
        "TM-U220",
        5,
        "main",
        38400,
    )
    assert (config.printing.unseen_after_seconds, config.printing.unseen_printer) == (90, "main")
    assert config.bumpbars[0].keys == {"ctrl+r": "recall"} and config.bumpbars[0].layout == "20-key"


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[[printers]]\nid = "p"\nkind = "network"\n', "printers[0].host"),
        ('[[printers]]\nid = "p"\nkind = "usb"\n', "printers[0].path"),
        ('[[printers]]\nid = "p"\npath = "x"\nprofile = "TM-NOPE"\n', "printers[0].profile"),
        ('[[printers]]\nid = "p"\npath = "x"\nbackup_for = "p"\n', "printers[0].backup_for"),
        ('[[printers]]\nid = "p"\npath = "x"\nfailover_after_seconds = 0\n', "printers[0].failover_after_seconds"),
        ('[printing]\nunseen_printer = "ghost"\n', "printing.unseen_printer"),
        ('[[bumpbars]]\nid = "b"\nstation = "fry"\nkind = "keyboard"\n', "bumpbars[0].station"),
        ('[[bumpbars]]\nid = "b"\nstation = "grill"\n', "bumpbars[0].path"),
        ('[[bumpbars]]\nid = "b"\nstation = "grill"\nkind = "usb"\npath = "x"\n', "bumpbars[0].kind"),
        ('[[bumpbars]]\nid = "b"\nstation = "grill"\nkind = "keyboard"\nlayout = "7-key"\n', "bumpbars[0].layout"),
        (
            '[[bumpbars]]\nid = "b"\nstation = "grill"\nkind = "keyboard"\n[bumpbars.keys]\n"1" = "fly"\n',
            "bumpbars[0].keys",
        ),
        (
            '[[bumpbars]]\nid = "b"\nstation = "grill"\nkind = "keyboard"\n[bumpbars.keys]\n"hyper+1" = "bump"\n',
            "bumpbars[0].keys",
        ),
    ],
)
def test_hardware_mistakes_name_the_key(tmp_path: Path, toml: str, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, toml)

    assert caught.value.key == key
