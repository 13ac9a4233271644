"""The new-ticket chime: the committed sound is the one its script makes, and it is played through the
device's player as a process of its own (here a stand-in `aplay` that reads the file as aplay would)."""

from __future__ import annotations

import struct
import sys
import wave
from pathlib import Path
from typing import Any

from tests.daemon.process import until
from ui.sound import CHIME, Chime, find_player
from ui.sounds import make_chime


def test_the_committed_chime_is_what_its_script_makes(tmp_path: Path) -> None:
    with wave.open(str(CHIME)) as committed:
        assert (committed.getnchannels(), committed.getsampwidth(), committed.getframerate()) == (1, 2, 22050)
        assert 0.5 < committed.getnframes() / 22050 < 1.0
        frames = committed.readframes(committed.getnframes())
    fresh = make_chime.render()
    assert len(fresh) == len(frames)
    old = struct.unpack(f"<{len(frames) // 2}h", frames)
    new = struct.unpack(f"<{len(fresh) // 2}h", fresh)
    assert max(abs(a - b) for a, b in zip(old, new, strict=True)) <= 1  # libm may differ in the last bit
    assert max(abs(v) for v in old) <= 0.61 * 32767 and abs(old[-1]) < 100  # headroom; fades to silence
    assert CHIME.stat().st_size < 40_000


def _fake_aplay(folder: Path, log: Path, hold: Path) -> Path:
    """An `aplay` that checks it got a WAV file, records it, and rings while `hold` exists."""
    script = folder / "aplay"
    script.write_text(
        f"""#!{sys.executable}
import sys, time, wave, pathlib
path = sys.argv[-1]
with wave.open(path) as w:
    w.getparams()
with open({str(log)!r}, "a") as out:
    out.write(" ".join(sys.argv[1:]) + "\\n")
while pathlib.Path({str(hold)!r}).exists():
    time.sleep(0.01)
"""
    )
    script.chmod(0o755)
    return script


async def test_a_chime_plays_the_file_once_at_a_time(tmp_path: Path, monkeypatch: Any, qapp: Any) -> None:
    log, hold = tmp_path / "played.txt", tmp_path / "ringing"
    _fake_aplay(tmp_path, log, hold)
    monkeypatch.setenv("PATH", str(tmp_path))  # the device's players: only aplay here
    player = find_player()
    assert player == [str(tmp_path / "aplay"), "-q"]
    chime = Chime("chime", player=player, muted=False)
    hold.touch()
    chime.new_ticket()
    chime.new_ticket()  # a second ticket while the first still rings: counted, not started again
    await until(lambda: log.exists() and log.read_text().count("\n") == 1, 10, "the player ran")
    assert log.read_text().split() == ["-q", str(CHIME)]
    assert (chime.requests, chime.played) == (2, 1)
    hold.unlink()
    assert chime._playing is not None
    await until(lambda: chime._playing.poll() is not None, 10, "the first chime over")
    chime.new_ticket()
    await until(lambda: log.read_text().count("\n") == 2, 10, "the next chime played")
    assert (chime.requests, chime.played) == (3, 2)


def test_a_muted_chime_only_counts(qapp: Any) -> None:
    chime = Chime("off")
    chime.new_ticket()
    assert chime.muted and (chime.requests, chime.played) == (1, 0)
