"""Which aggregates may exist in the database, in half a megabyte: a Bloom filter of their keys.

The store keeps only live and recent aggregates in memory. A create must still be refused when its id
was used months ago, but remembering every id ever seen grows without bound (a year of orders is
hundreds of thousands of strings). A Bloom filter answers "certainly not stored" for almost every new
id in a few microseconds and "maybe" for the rest, which the store then checks in the database off
the event loop. It has no false negatives, so an existing aggregate is never taken for a new one.
"""

from __future__ import annotations

import math

_FALSE_POSITIVE_RATE = 0.01
_MIN_CAPACITY = 1 << 18


class _Layer:
    def __init__(self, capacity: int) -> None:
        bits = math.ceil(-capacity * math.log(_FALSE_POSITIVE_RATE) / (math.log(2) ** 2))
        self.size = 1 << max(10, (bits - 1).bit_length())  # a power of two: indexes are masks
        self.mask = self.size - 1
        self.hashes = math.ceil(-math.log2(_FALSE_POSITIVE_RATE))
        self.capacity = capacity
        self.count = 0
        self.bits = bytearray(self.size // 8)

    def add(self, h: int) -> None:
        # Double hashing (Kirsch-Mitzenmacher): k indexes from two halves of one 64-bit hash.
        bits, mask, h1, h2 = self.bits, self.mask, h & 0xFFFFFFFF, (h >> 32) | 1
        for i in range(h1, h1 + self.hashes * h2, h2):  # h1, h1 + h2, ...: `hashes` of them (h2 >= 1)
            i &= mask
            bits[i >> 3] |= 1 << (i & 7)
        self.count += 1

    def __contains__(self, h: int) -> bool:
        bits, mask, h1, h2 = self.bits, self.mask, h & 0xFFFFFFFF, (h >> 32) | 1
        for i in range(h1, h1 + self.hashes * h2, h2):
            i &= mask
            if not bits[i >> 3] & (1 << (i & 7)):
                return False
        return True


class KnownIds:
    """A scalable Bloom filter: when a layer is full, a layer twice its size is added, so the false
    positive rate stays bounded however many ids the device sees. Built afresh at every start (Python's
    string hash is salted per process), from the database's primary-key index."""

    def __init__(self, expected: int = 0) -> None:
        self._layers = [_Layer(max(_MIN_CAPACITY, 2 * expected))]

    def add(self, kind: str, agg_id: str) -> None:
        layer = self._layers[-1]
        if layer.count >= layer.capacity:
            layer = _Layer(layer.capacity * 2)
            self._layers.append(layer)
        layer.add(hash((kind, agg_id)) & 0xFFFFFFFFFFFFFFFF)

    def may_contain(self, kind: str, agg_id: str) -> bool:
        h = hash((kind, agg_id)) & 0xFFFFFFFFFFFFFFFF
        for layer in self._layers:
            if h in layer:
                return True
        return False

    @property
    def bytes_used(self) -> int:
        return sum(len(layer.bits) for layer in self._layers)
