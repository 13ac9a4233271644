"""Writes chime.wav, the new-ticket sound: synthesised here, so its origin and licence are clear.

The sound and this script were made for Heard and are dedicated to the public domain (CC0 1.0): anyone may
use, change and ship them. Two bell partials (E6 then A6, each with an inharmonic overtone, as a struck bar
has) decaying over 0.7 s: bright enough to cut through a kitchen's hood noise, short enough not to annoy at
one per order in a rush. 22,050 Hz, 16-bit mono (~31 KB). Deterministic: running it again writes the same
bytes (tests check it), so the file in the repository is the one this script makes.

    python -m ui.sounds.make_chime
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 22_050
SECONDS = 0.7
PEAK = 0.6  # of full scale: headroom for a device's speaker
STRIKES = ((0.0, 1318.5), (0.12, 1760.0))  # (start s, fundamental Hz): E6, then A6
OVERTONES = ((1.0, 1.0), (2.76, 0.35), (5.4, 0.12))  # (frequency ratio, amplitude): a bar's partials
DECAY = 6.0  # per second
ATTACK = 0.004  # s: no click at the start of a strike

PATH = Path(__file__).with_name("chime.wav")


def samples() -> list[float]:
    out = []
    for n in range(int(RATE * SECONDS)):
        t = n / RATE
        value = 0.0
        for start, freq in STRIKES:
            if t < start:
                continue
            age = t - start
            envelope = min(1.0, age / ATTACK) * math.exp(-DECAY * age * (1 + freq / 4000))
            value += envelope * sum(a * math.sin(2 * math.pi * freq * r * age) for r, a in OVERTONES)
        fade = min(1.0, (SECONDS - t) / 0.05)  # the last 50 ms fade to silence: no click at the end
        out.append(value * fade)
    top = max(abs(v) for v in out)
    return [v / top * PEAK for v in out]


def render() -> bytes:
    return b"".join(struct.pack("<h", round(v * 32767)) for v in samples())


def write(path: Path = PATH) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(render())
    return path


if __name__ == "__main__":
    print(write())
