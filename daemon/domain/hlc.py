"""Hybrid logical clock: stamps that order causally related events whatever the wall clocks say."""

from __future__ import annotations

import msgspec


class Stamp(msgspec.Struct, frozen=True, order=True, gc=False):
    """A point on the clock: physical milliseconds, then a counter, then the origin device as tie-break."""

    wall_ms: int
    counter: int
    origin: str

    def encode(self) -> str:
        """A string that sorts like the stamp (fixed-width numbers), for logs and cursors."""
        return f"{self.wall_ms:015d}.{self.counter:06d}.{self.origin}"


class HybridClock:
    """The clock of one device. Time is passed in, so the domain never reads a clock itself."""

    def __init__(self, origin: str, last: Stamp | None = None) -> None:
        self.origin = origin
        self._wall = last.wall_ms if last else 0
        self._counter = last.counter if last else 0

    def fork(self) -> HybridClock:
        """An independent copy: a command stamps its events on a fork, kept only if the write goes ahead."""
        return HybridClock(self.origin, Stamp(self._wall, self._counter, self.origin))

    def tick(self, now_ms: int) -> Stamp:
        """A stamp for a local event: never earlier than anything this clock has seen."""
        if now_ms > self._wall:
            self._wall, self._counter = now_ms, 0
        else:
            self._counter += 1
        return Stamp(self._wall, self._counter, self.origin)

    def observe(self, remote: Stamp, now_ms: int) -> None:
        """Move past a stamp received from a peer, so our next event sorts after it."""
        wall = max(self._wall, remote.wall_ms, now_ms)
        if wall == self._wall and wall == remote.wall_ms:
            counter = max(self._counter, remote.counter) + 1
        elif wall == self._wall:
            counter = self._counter + 1
        elif wall == remote.wall_ms:
            counter = remote.counter + 1
        else:
            counter = 0
        self._wall, self._counter = wall, counter
