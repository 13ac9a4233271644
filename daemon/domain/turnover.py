"""Table turnover for a period, computed from recorded turns (each clear carries its seating) only.

Definitions (docs/api.md says the same): a turn belongs to the period its clear falls in; its time is
clear − seating. Occupancy counts a table as occupied from its seating to its clear (or to now while
still seated). An hour's `occupancy_percent` is the share of table-minutes occupied in that hour; the
peak is the most tables occupied at one moment of the period over the tables of the floor. Revenue per
seat-hour uses only turns whose order had a known subtotal and party size. A figure with nothing to
compute it from is null, never a guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

HOUR_MS = 3_600_000


@dataclass(frozen=True)
class Turn:
    seated_ms: int
    cleared_ms: int
    party_size: int | None
    section: str | None
    subtotal: float | None


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _rounded(value: float | None, digits: int = 0) -> float | int | None:
    if value is None:
        return None
    return round(value) if digits == 0 else round(value, digits)


def turnover(
    turns: Iterable[Turn],
    seated_now: Iterable[int],
    tables: int,
    start_ms: int,
    end_ms: int,
    now_ms: int,
    offset_ms: int = 0,
) -> dict[str, Any]:
    """`turns` are every recorded turn that overlaps the period; `seated_now` the seating times of the
    tables occupied now; `offset_ms` the UTC offset hours are counted in (the period's own)."""
    turns = list(turns)
    counted = [t for t in turns if start_ms <= t.cleared_ms <= end_ms]
    minutes = [(t.cleared_ms - t.seated_ms) / 60_000 for t in counted]
    parties = [t.party_size for t in counted if t.party_size]
    paid = [t for t in counted if t.subtotal is not None and t.party_size]
    seat_hours = sum((t.cleared_ms - t.seated_ms) / HOUR_MS * (t.party_size or 0) for t in paid)
    revenue = sum(t.subtotal or 0.0 for t in paid)
    intervals = [(t.seated_ms, t.cleared_ms) for t in turns] + [(s, now_ms) for s in seated_now]
    intervals = [(max(a, start_ms), min(b, end_ms)) for a, b in intervals if a < end_ms and b > start_ms]

    by_section: dict[str, list[float]] = {}
    for t, m in zip(counted, minutes, strict=True):
        by_section.setdefault(t.section or "", []).append(m)

    return {
        "metrics": {
            "total_turns": len(counted),
            "avg_turn_time_minutes": _rounded(_mean(minutes)),
            "avg_party_size": _rounded(_mean([float(p) for p in parties]), 1),
            "peak_occupancy_percent": _rounded(_peak(intervals) * 100 / tables) if tables else None,
            "revenue_per_seat_hour": _rounded(revenue / seat_hours, 2) if seat_hours > 0 else None,
        },
        "by_section": [
            {"section": name or None, "turns": len(ms), "avg_turn_time_minutes": _rounded(_mean(ms))}
            for name, ms in sorted(by_section.items())
        ],
        "by_hour": _by_hour(counted, intervals, tables, start_ms, end_ms, offset_ms),
    }


def _peak(intervals: Sequence[tuple[int, int]]) -> int:
    """The most intervals open at one moment (a seating that ends as another starts counts once)."""
    moments = sorted([(a, 1) for a, _ in intervals] + [(b, -1) for _, b in intervals], key=lambda m: (m[0], m[1]))
    best = current = 0
    for _, step in moments:
        current += step
        best = max(best, current)
    return best


def _by_hour(
    counted: Sequence[Turn],
    intervals: Sequence[tuple[int, int]],
    tables: int,
    start_ms: int,
    end_ms: int,
    offset_ms: int,
) -> list[dict[str, Any]]:
    """Per hour of the day (in the period's offset): turns cleared in it, and the share of its table-minutes
    occupied, averaged over the days of the period that hour occurs in. Hours with neither are left out."""
    turns: dict[int, int] = {}
    for t in counted:
        hour = ((t.cleared_ms + offset_ms) // HOUR_MS) % 24
        turns[hour] = turns.get(hour, 0) + 1
    occupied: dict[int, float] = {}
    slots: dict[int, float] = {}
    slot = (start_ms + offset_ms) // HOUR_MS * HOUR_MS - offset_ms
    while slot < end_ms:
        lo, hi = max(slot, start_ms), min(slot + HOUR_MS, end_ms)
        hour = ((slot + offset_ms) // HOUR_MS) % 24
        slots[hour] = slots.get(hour, 0.0) + (hi - lo) * tables
        occupied[hour] = occupied.get(hour, 0.0) + sum(max(0, min(b, hi) - max(a, lo)) for a, b in intervals)
        slot += HOUR_MS
    hours = sorted({h for h, n in turns.items() if n} | {h for h, ms in occupied.items() if ms > 0})
    return [
        {
            "hour": h,
            "turns": turns.get(h, 0),
            "occupancy_percent": _rounded(occupied.get(h, 0.0) * 100 / slots[h]) if slots.get(h) else None,
        }
        for h in hours
    ]
