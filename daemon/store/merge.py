"""Merging events from other devices into an aggregate's state: pure, so it can be tested on its own.

Every device folds an aggregate's events in one order, (hlc, origin, seq). Events that arrive after
everything the aggregate already holds are applied on top of its state; one that sorts before an event
already applied (a peer that was cut off, a slow link) makes the aggregate re-fold from its whole
history, so every device reaches the same state whatever order the events came in. An event invalid
at its place is skipped and reported, never raised (ARCHITECTURE §5).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from daemon.domain.errors import HeardError
from daemon.domain.events import Event, in_fold_order

SortKey = tuple[int, int, str, int]


@dataclass(frozen=True)
class Skip:
    """An event the fold passed over at its place, and why."""

    event: Event
    code: str
    reason: str


@dataclass(frozen=True)
class Merged:
    state: Any
    skipped: tuple[Skip, ...]
    refolded: bool  # the whole history was folded again (its skips replace the aggregate's earlier ones)
    last: SortKey | None  # the sort key of the last event the state holds


def merge(
    apply: Callable[[Any, Event], Any],
    state: Any,
    last: SortKey | None,
    arriving: Sequence[Event],
    history: Callable[[], Iterable[Event]],
) -> Merged:
    """The state after `arriving`, given the state and the sort key of the last event it holds.
    `history` (every event the aggregate already holds) is read only if a re-fold is needed."""
    ordered = list(arriving) if len(arriving) == 1 else in_fold_order(list(arriving))
    if not ordered:
        return Merged(state, (), False, last)
    if last is None or ordered[0].sort_key > last:
        state, skipped = _apply_all(apply, state, ordered)
        return Merged(state, skipped, False, ordered[-1].sort_key)
    everything = in_fold_order([*history(), *ordered])
    state, skipped = _apply_all(apply, None, everything)
    return Merged(state, skipped, True, everything[-1].sort_key)


def _apply_all(apply: Callable[[Any, Event], Any], state: Any, events: Iterable[Event]) -> tuple[Any, tuple[Skip, ...]]:
    skipped: list[Skip] = []
    for event in events:
        try:
            state = apply(state, event)
        except HeardError as exc:
            skipped.append(Skip(event, exc.code, exc.message))
        except Exception as exc:  # a peer's event this version cannot read: skipped alike on every device
            skipped.append(Skip(event, "MALFORMED_EVENT", f"{type(exc).__name__}: {exc}"[:500]))
    return state, tuple(skipped)
