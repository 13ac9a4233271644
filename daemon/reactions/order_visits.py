"""Which orders a once-a-second pass must look at: the ones written since its last pass, and the ones
whose wake-up time has come. A busy service holds thousands of open orders, and nothing about an order
nobody wrote to changes but the time, so the kitchen clock and the printers' safety net visit only these
instead of every open order every second.

Every write reaches the store's listeners, local and merged ones alike, so no change is missed. A pass
asks for a wake-up each time it looks at an order that something may become due on later; an order can
hold several, of which the stale ones only make it looked at once more (a pass finds what a full pass
would, so an extra look is never wrong, only a little work).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from typing import Any

from daemon.domain.events import ORDER
from daemon.store.store import Store


class OrderVisits:
    def __init__(self, store: Store) -> None:
        self._written: set[str] = set()  # ids of orders written since the last `take`
        self._wakeups: list[tuple[int, str]] = []  # heap of (when to look again, order id)
        store.subscribe(self._on_write)

    def _on_write(self, events: object, states: Mapping[tuple[str, Any], object]) -> None:
        for kind, agg_id in states:
            if kind == ORDER:
                self._written.add(agg_id)

    def take(self, now_ms: int) -> set[str]:
        """The orders to look at now: written since the last call, or woken by now."""
        due, self._written = self._written, set()
        wakeups = self._wakeups
        while wakeups and wakeups[0][0] <= now_ms:
            due.add(heapq.heappop(wakeups)[1])
        return due

    def wake_at(self, when_ms: int, order_id: str) -> None:
        heapq.heappush(self._wakeups, (when_ms, order_id))

    def again(self, order_ids: Iterable[str]) -> None:
        """Look at these at the next call too (a pass that could not finish with them)."""
        self._written.update(order_ids)

    def forget_wakeups(self) -> None:
        """Drop every wake-up (the pass is about to look at every order and ask for them anew)."""
        self._wakeups.clear()
