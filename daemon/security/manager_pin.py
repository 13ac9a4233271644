"""The manager PIN that a screen asks for before a void: set with `heardctl manager-pin set`, kept hashed
(scrypt, salted) in the data directory, mode 0600, checked by the screen on the same device.

A PIN is short, so the hash is deliberately slow (scrypt, ~50 ms) and the file readable only by the daemon's
user: what protects it is that nobody else can read the file, and that guessing costs time at the screen.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from pathlib import Path

PIN_FILE = "manager-pin.json"
_PIN = re.compile(r"^[0-9]{4,8}$")
_N, _R, _P = 2**14, 8, 1


class PinError(ValueError):
    """A PIN that is not 4 to 8 digits."""


def _hash(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, dklen=32)


def set_pin(data_dir: Path, pin: str) -> None:
    if not _PIN.match(pin):
        raise PinError("a manager PIN is 4 to 8 digits")
    salt = secrets.token_bytes(16)
    record = {"salt": salt.hex(), "hash": _hash(pin, salt, _N, _R, _P).hex(), "n": _N, "r": _R, "p": _P}
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / PIN_FILE
    tmp = path.with_name(f".{PIN_FILE}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(record, out)
    os.replace(tmp, path)


def clear_pin(data_dir: Path) -> bool:
    path = data_dir / PIN_FILE
    existed = path.exists()
    path.unlink(missing_ok=True)
    return existed


def pin_is_set(data_dir: Path) -> bool:
    return (data_dir / PIN_FILE).exists()


def check_pin(data_dir: Path, pin: str) -> bool:
    """True when `pin` is the manager PIN; False for a wrong one, or when none is set."""
    try:
        record = json.loads((data_dir / PIN_FILE).read_text())
        salt, expected = bytes.fromhex(record["salt"]), bytes.fromhex(record["hash"])
        got = _hash(pin, salt, int(record["n"]), int(record["r"]), int(record["p"]))
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return hmac.compare_digest(got, expected)
