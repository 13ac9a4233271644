"""The reports: read from the report tables that ingest keeps (nothing is folded per request)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from daemon.domain.turnover import Turn, turnover
from sync.hq.db import alerts, courses, orders, origins, tickets, turns

GROUPINGS = ("station", "hour", "channel")


def iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def locations(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        origin_rows = conn.execute(sa.select(origins).order_by(origins.c.location_id, origins.c.origin)).mappings()
        by_location: dict[str, dict[str, Any]] = {}
        for row in origin_rows:
            entry = by_location.setdefault(
                str(row["location_id"]),
                {"location_id": row["location_id"], "orders": 0, "events": 0, "last_event_ms": 0, "origins": {}},
            )
            entry["events"] += int(row["events"])
            entry["last_event_ms"] = max(entry["last_event_ms"], int(row["last_event_ms"]))
            entry["origins"][str(row["origin"])] = {"events": int(row["events"]), "max_seq": int(row["max_seq"])}
        counts = conn.execute(
            sa.select(orders.c.location_id, sa.func.count())
            .where(orders.c.created_ms.is_not(None))
            .group_by(orders.c.location_id)
        )
        for location_id, count in counts:
            if str(location_id) in by_location:
                by_location[str(location_id)]["orders"] = int(count)
    result = []
    for entry in by_location.values():
        last = entry.pop("last_event_ms")
        result.append({**entry, "last_event_at": iso(last) if last else None})
    return {"locations": result}


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile: a value that occurred (no interpolation between two tickets)."""
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def _hour_key(ms: int) -> str:
    return f"{datetime.fromtimestamp(ms / 1000, UTC).hour:02d}"


def speed(engine: Engine, location_id: str, from_ms: int, to_ms: int, by: str) -> dict[str, Any]:
    """Ticket time from created to bumped, in seconds, for tickets created in [from, to) and bumped."""
    column = {"station": tickets.c.station_id, "channel": tickets.c.channel, "hour": tickets.c.created_ms}[by]
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(column, tickets.c.created_ms, tickets.c.bumped_ms).where(
                tickets.c.location_id == location_id,
                tickets.c.created_ms >= from_ms,
                tickets.c.created_ms < to_ms,
                tickets.c.bumped_ms.is_not(None),
            )
        ).all()
    groups: dict[str, list[float]] = {}
    for key, created, bumped in rows:
        name = _hour_key(int(key)) if by == "hour" else str(key)
        groups.setdefault(name, []).append(max(0, int(bumped) - int(created)) / 1000)
    out = []
    for name in sorted(groups):
        values = sorted(groups[name])
        out.append(
            {
                "key": name,
                "count": len(values),
                "p50_s": percentile(values, 50),
                "p90_s": percentile(values, 90),
                "max_s": values[-1],
            }
        )
    return {"by": by, "groups": out}


def summary(engine: Engine, location_id: str, from_ms: int, to_ms: int) -> dict[str, Any]:
    """Orders created in [from, to), the tickets created in it by what became of them, the pacing of
    those orders' courses, the timing alerts raised and the table turns ended in it."""
    with engine.connect() as conn:
        order_row = conn.execute(
            sa.select(
                sa.func.count(),
                sa.func.coalesce(sa.func.sum(sa.case((orders.c.canceled, 1), else_=0)), 0),
            ).where(orders.c.location_id == location_id, orders.c.created_ms >= from_ms, orders.c.created_ms < to_ms)
        ).one()
        ticket_row = conn.execute(
            sa.select(
                sa.func.count(),
                sa.func.coalesce(sa.func.sum(sa.case((tickets.c.status == "bumped", 1), else_=0)), 0),
                sa.func.coalesce(sa.func.sum(sa.case((tickets.c.recalled, 1), else_=0)), 0),
                sa.func.coalesce(sa.func.sum(sa.case((tickets.c.status == "voided", 1), else_=0)), 0),
            ).where(tickets.c.location_id == location_id, tickets.c.created_ms >= from_ms, tickets.c.created_ms < to_ms)
        ).one()
        course_row = conn.execute(
            sa.select(
                sa.func.count(),
                sa.func.coalesce(sa.func.sum(sa.case((courses.c.late_minutes.is_(None), 1), else_=0)), 0),
            ).where(
                courses.c.location_id == location_id,
                courses.c.order_created_ms >= from_ms,
                courses.c.order_created_ms < to_ms,
                courses.c.status == "complete",
            )
        ).one()
        alert_counts = {
            str(level): int(n)
            for level, n in conn.execute(
                sa.select(alerts.c.level, sa.func.count())
                .where(alerts.c.location_id == location_id, alerts.c.created_ms >= from_ms, alerts.c.created_ms < to_ms)
                .group_by(alerts.c.level)
            )
        }
        turn_rows = conn.execute(
            sa.select(
                turns.c.seated_ms, turns.c.cleared_ms, turns.c.party_size, turns.c.section, turns.c.subtotal
            ).where(turns.c.location_id == location_id, turns.c.cleared_ms >= from_ms, turns.c.cleared_ms < to_ms)
        ).all()
    ready, on_time = int(course_row[0]), int(course_row[1])
    # The devices' own turnover figures; no floor plan at headquarters, so no occupancy.
    metrics = turnover(
        [Turn(int(a), int(b), p, s, float(t) if t is not None else None) for a, b, p, s, t in turn_rows],
        (),
        0,
        from_ms,
        to_ms - 1,
        to_ms,
    )["metrics"]
    return {
        "orders": int(order_row[0]),
        "tickets": int(ticket_row[0]),
        "bumped": int(ticket_row[1]),
        "recalled": int(ticket_row[2]),
        "voided": int(ticket_row[3]),
        "canceled": int(order_row[1]),
        "course_pacing": {
            "courses_ready": ready,
            "on_time": on_time,
            "adherence_percent": round(100 * on_time / ready, 1) if ready else None,
        },
        "timing_alerts": {level: alert_counts.get(level, 0) for level in ("warning", "critical", "blocked")},
        "table_turns": {
            "turns": metrics["total_turns"],
            "avg_turn_time_minutes": metrics["avg_turn_time_minutes"],
            "avg_party_size": metrics["avg_party_size"],
            "revenue_per_seat_hour": metrics["revenue_per_seat_hour"],
        },
    }
