"""GET /reports/{location_id}: the report page a manager looks at, on a phone or a desk.

Everything is drawn by the server: the charts are inline SVG made here, the page fetches nothing (no
script, no font, no stylesheet from anywhere), so it works behind any firewall and shows the same figures
as the JSON API, read from the same report tables.
"""

from __future__ import annotations

import html
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sync.hq import reports
from sync.hq.db import tickets

COOKIE = "heard_hq_reader"
BAR_WIDTH = 300  # px of the longest bar


def slowest(engine: Engine, location_id: str, from_ms: int, to_ms: int, limit: int = 10) -> list[dict[str, Any]]:
    duration = tickets.c.bumped_ms - tickets.c.created_ms
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(tickets.c.order_id, tickets.c.station_id, tickets.c.created_ms, duration.label("ms"))
            .where(
                tickets.c.location_id == location_id,
                tickets.c.created_ms >= from_ms,
                tickets.c.created_ms < to_ms,
                tickets.c.bumped_ms.is_not(None),
            )
            .order_by(duration.desc())
            .limit(limit)
        ).all()
    return [
        {"order_id": r[0], "station_id": r[1], "created": reports.iso(int(r[2])), "s": int(r[3]) / 1000} for r in rows
    ]


def chart(title: str, groups: list[dict[str, Any]], chart_id: str) -> str:
    """Horizontal bars: p90 (light) with p50 (dark) inside, one row per group, seconds at the end."""
    if not groups:
        return f'<h2>{html.escape(title)}</h2><p class="none">No bumped tickets in this period.</p>'
    top = max(g["p90_s"] for g in groups) or 1.0
    row_h, label_w = 28, 90
    height = row_h * len(groups) + 10
    width = label_w + BAR_WIDTH + 120
    parts = [
        f'<svg id="{chart_id}" class="chart" viewBox="0 0 {width} {height}" role="img"'
        f' aria-label="{html.escape(title)}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, g in enumerate(groups):
        y = 5 + i * row_h
        p90 = g["p90_s"] / top * BAR_WIDTH
        p50 = g["p50_s"] / top * BAR_WIDTH
        key = html.escape(str(g["key"]))
        parts.append(f'<text x="0" y="{y + 17}" class="label">{key}</text>')
        parts.append(
            f'<rect class="bar p90" data-key="{key}" x="{label_w}" y="{y + 3}" width="{p90:.1f}" height="20"/>'
        )
        parts.append(f'<rect class="bar p50" x="{label_w}" y="{y + 3}" width="{p50:.1f}" height="20"/>')
        parts.append(
            f'<text x="{label_w + p90 + 6:.1f}" y="{y + 17}" class="value">'
            f"{g['p50_s']:.0f}s / {g['p90_s']:.0f}s ({g['count']})</text>"
        )
    parts.append("</svg>")
    return f"<h2>{html.escape(title)}</h2>" + "".join(parts)


STYLE = """
body{font-family:system-ui,sans-serif;margin:0;padding:1rem;background:#fafafa;color:#111;max-width:60rem}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.5rem}
.figures{display:flex;flex-wrap:wrap;gap:.5rem}
.figure{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.5rem .8rem;min-width:5.5rem}
.figure b{display:block;font-size:1.5rem}
.chart{width:100%;max-width:40rem;height:auto}.label,.value{font-size:13px;fill:#111}
.p90{fill:#9ec5e8}.p50{fill:#1f5f99}.none{color:#666}
table{border-collapse:collapse;width:100%;max-width:40rem}
td,th{border-bottom:1px solid #ddd;padding:.3rem;text-align:left}
"""


def page(
    location_id: str,
    window: tuple[str, str],
    summary: dict[str, Any],
    by_hour: dict[str, Any],
    by_station: dict[str, Any],
    slow: list[dict[str, Any]],
) -> str:
    figures = "".join(
        f'<div class="figure"><b data-figure="{name}">{summary[name]}</b>{label}</div>'
        for name, label in (
            ("orders", "orders"),
            ("tickets", "tickets"),
            ("bumped", "bumped"),
            ("voided", "voided"),
            ("recalled", "recalled"),
            ("canceled", "canceled orders"),
        )
    )
    rows = "".join(
        f"<tr><td>{html.escape(t['order_id'])}</td><td>{html.escape(t['station_id'])}</td>"
        f"<td>{html.escape(t['created'] or '')}</td><td>{t['s']:.0f} s</td></tr>"
        for t in slow
    )
    slow_html = (
        f"<table id='slowest'><tr><th>order</th><th>station</th><th>created (UTC)</th><th>time</th></tr>{rows}</table>"
        if slow
        else '<p class="none">No bumped tickets in this period.</p>'
    )
    loc = html.escape(location_id)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<title>Heard report: {loc}</title><style>{STYLE}</style></head>
<body><h1>Heard report: {loc}</h1>
<p>{html.escape(window[0])} to {html.escape(window[1])} (UTC). Times are from created to bumped:
p50 (dark) and p90 (light), in seconds, with the number of tickets.</p>
<div class="figures">{figures}</div>
{chart("Speed of service by hour of day (UTC)", by_hour["groups"], "by-hour")}
{chart("Speed of service by station", by_station["groups"], "by-station")}
<h2>Slowest tickets</h2>{slow_html}
<h2>Voids and recalls</h2><p>{summary["voided"]} ticket(s) voided, {summary["recalled"]} recalled,
{summary["canceled"]} order(s) canceled.</p>
{pacing_html(summary)}
</body></html>"""


def _figure(value: Any, unit: str = "") -> str:
    return "–" if value is None else f"{value}{unit}"


def pacing_html(summary: dict[str, Any]) -> str:
    """Course pacing (courses ready on time against the kitchen's own timing), the timing alerts the
    kitchen clock raised, and table turns: each figure tagged with its JSON name for the browser test."""
    pacing, alerts, turns = summary["course_pacing"], summary["timing_alerts"], summary["table_turns"]
    tiles = [
        ("data-pacing", "adherence_percent", pacing["adherence_percent"], " %", "courses on time"),
        ("data-pacing", "on_time", pacing["on_time"], "", "on time"),
        ("data-pacing", "courses_ready", pacing["courses_ready"], "", "courses ready"),
        ("data-alerts", "warning", alerts["warning"], "", "warning alerts"),
        ("data-alerts", "critical", alerts["critical"], "", "critical alerts"),
        ("data-alerts", "blocked", alerts["blocked"], "", "blocked alerts"),
    ]
    turn_tiles = [
        ("data-turns", "turns", turns["turns"], "", "table turns"),
        ("data-turns", "avg_turn_time_minutes", turns["avg_turn_time_minutes"], " min", "average turn"),
        ("data-turns", "avg_party_size", turns["avg_party_size"], "", "average party"),
        ("data-turns", "revenue_per_seat_hour", turns["revenue_per_seat_hour"], "", "revenue per seat-hour"),
    ]

    def block(items: list[tuple[str, str, Any, str, str]]) -> str:
        return (
            '<div class="figures">'
            + "".join(
                f'<div class="figure"><b {attr}="{name}" data-value="{"null" if value is None else value}">'
                f"{html.escape(_figure(value, unit))}</b>{label}</div>"
                for attr, name, value, unit, label in items
            )
            + "</div>"
        )

    return (
        "<h2>Course pacing</h2><p>A course is on time when it was ready within a minute of when the kitchen's"
        " own timing (its course templates' prep times) said it would be.</p>"
        + block(tiles)
        + "<h2>Table turns</h2>"
        + block(turn_tiles)
    )


def unauthorized(message: str) -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><title>Heard report: credential needed</title><style>{STYLE}</style></head>
<body><h1>A reader credential is needed</h1><p>{html.escape(message)}</p>
<p>Ask your headquarters administrator for one (<code>heard-hq token --reader</code> prints it), then open
this page once as <code>?token=&lt;credential&gt;</code>: the browser keeps it in a cookie from then on.</p>
</body></html>"""
