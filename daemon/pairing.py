"""One-time pairing codes: `heardctl pairing-code` writes one, the daemon's join endpoint spends it.

A code is 8 characters from an alphabet without look-alikes (shown as XXXX-XXXX), valid for 10 minutes,
good for one join. Only its SHA-256 is kept (`pairing.json` in the data directory, under a file lock:
heardctl writes while the daemon reads). Every wrong code is counted; the fifth in a code's lifetime
voids every code still open, so guessing cannot outrun the 31^8 possibilities.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

PAIRING_FILE = "pairing.json"
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
VALID_SECONDS = 600
MAX_WRONG = 5


def normalise(code: str) -> str:
    return "".join(c for c in code.upper() if c.isalnum())


def _digest(code: str) -> str:
    return hashlib.sha256(normalise(code).encode()).hexdigest()


@contextlib.contextmanager
def _locked(data_dir: Path, now: float) -> Iterator[dict[str, Any]]:
    """The pairing file's contents, under an exclusive lock; written back (atomically) on exit."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / ".pairing.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        path = data_dir / PAIRING_FILE
        try:
            data = json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            data = {}
        data.setdefault("codes", [])
        data.setdefault("wrong", 0)
        yield data
        data["codes"] = [c for c in data["codes"] if c.get("expires", 0) > now]
        if not data["codes"]:
            data["wrong"] = 0
        tmp = path.with_name(f".{PAIRING_FILE}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(json.dumps(data))
        os.replace(tmp, path)


def new_code(data_dir: Path, now: float | None = None) -> tuple[str, float]:
    """A fresh code and when it expires (seconds since the epoch)."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    now = now if now is not None else time.time()
    expires = now + VALID_SECONDS
    with _locked(data_dir, now) as data:
        data["codes"].append({"sha256": _digest(raw), "expires": expires})
    return f"{raw[:4]}-{raw[4:]}", expires


def spend(data_dir: Path, code: str, now: float | None = None) -> bool:
    """True once for a valid, unexpired code (which is then gone); False otherwise, counted."""
    now = now if now is not None else time.time()
    wanted = _digest(code)
    with _locked(data_dir, now) as data:
        for entry in data["codes"]:
            if entry.get("expires", 0) > now and secrets.compare_digest(entry.get("sha256", ""), wanted):
                data["codes"].remove(entry)
                return True
        data["wrong"] += 1
        if data["wrong"] >= MAX_WRONG:
            data["codes"] = []  # too many guesses: every open code is void; make a new one
        return False
