"""The status bar's parts read from the daemon: peers (`GET /api/v1/devices`), printers
(`GET /api/v1/printers`) and headquarters (`GET /api/v1/upstream`), each summed up in a few words.

Pure functions from the API's JSON to a `Part`: what the bar says and whether it is a warning. A warning
is marked with ⚠ in the text as well as by colour (colour never carries meaning alone). The shapes are the
daemon's, documented in docs/api.md and docs/replication.md; unknown fields are ignored, missing ones read
as "unknown" rather than as good news.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ui.texts import tr

LAG_WARN_SECONDS = 60.0  # headquarters this far behind is worth a cook's glance (uploads are not urgent)
CLOCK_WARN_MS = 2000  # ARCHITECTURE §5: past 2 s a screen's timers are wrong (docs/replication.md)


@dataclass(frozen=True)
class Part:
    text: str
    warn: bool = False

    @property
    def shown(self) -> str:
        return f"⚠ {self.text}" if self.warn else self.text


def seconds_text(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def devices_part(answer: Mapping[str, Any]) -> Part:
    """Peers: how many of the location's other devices are linked, the worst lag, a peer's clock off."""
    devices = [d for d in answer.get("devices") or () if isinstance(d, Mapping)]
    peers = [d for d in devices if not d.get("self")]
    if not peers:
        return Part(tr("status.peers.none"))
    up = [d for d in peers if d.get("connected")]
    down = [str(d.get("name") or d.get("deviceId") or "?") for d in peers if not d.get("connected")]
    lag = max((int(d.get("replicationLag") or 0) for d in up), default=0)
    clock = [d for d in peers if d.get("clockWarning")]
    text = tr("status.peers.linked", up=len(up), n=len(peers))
    if down:
        text += " · " + tr("status.peers.down", names=", ".join(sorted(down)))
    if lag:
        text += " · " + tr("status.peers.lag", n=lag)
    if clock:
        worst = max(clock, key=lambda d: abs(int(d.get("clockOffsetMs") or 0)))
        text += " · " + tr(
            "status.peers.clock", name=worst.get("name") or "?", s=f"{int(worst.get('clockOffsetMs') or 0) / 1000:+.1f}"
        )
    return Part(text, bool(down or clock))


def printers_part(answer: Sequence[Any]) -> Part:
    """Printers: all well in two words, else each printer that is not, and why."""
    printers = [p for p in answer if isinstance(p, Mapping)]
    if not printers:
        return Part(tr("status.printers.none"))
    problems: list[str] = []
    waiting = 0
    for printer in printers:
        name = str(printer.get("id") or "?")
        waiting += int(printer.get("jobs_waiting") or 0)
        if printer.get("online") is False:
            problems.append(tr("status.printer.offline", id=name))
        elif printer.get("paper") == "out":
            problems.append(tr("status.printer.paper_out", id=name))
        elif printer.get("paper") == "near_end":
            problems.append(tr("status.printer.paper_low", id=name))
    if problems:
        text = ", ".join(problems)
        if waiting:
            text += " · " + tr("status.printers.waiting", n=waiting)
        return Part(text, True)
    unknown = sum(1 for p in printers if p.get("online") is None)
    text = tr("status.printers.ok", n=len(printers) - unknown)
    if unknown:
        text += " · " + tr("status.printers.unknown", n=unknown)
    if waiting:
        text += " · " + tr("status.printers.waiting", n=waiting)
    return Part(text)


def upstream_part(answer: Mapping[str, Any]) -> Part:
    """Headquarters: off, in sync, or how far behind (the oldest event not yet uploaded) and why."""
    state = str(answer.get("state") or "unknown")
    pending = int(answer.get("pending") or 0)
    age = answer.get("oldest_pending_age_s")
    lag = seconds_text(float(age)) if isinstance(age, (int, float)) else None
    if state == "off":
        return Part(tr("status.hq.off"))
    if state == "ok":
        if not pending:
            return Part(tr("status.hq.in_sync"))
        late = isinstance(age, (int, float)) and age > LAG_WARN_SECONDS
        return Part(tr("status.hq.behind", lag=lag or "?", n=pending), late)
    if state in ("retrying", "paused"):
        text = tr(f"status.hq.{state}", lag=lag or "—", n=pending)
        if answer.get("last_error"):
            text += f" ({str(answer['last_error'])[:60]})"
        return Part(text, True)
    return Part(tr("status.hq.unknown", state=state), True)


def unavailable(status: int, code: str) -> Part:
    """A part the daemon would not give: not served (an older daemon), or not for this screen's token."""
    if status in (401, 403):
        return Part(tr("status.not_permitted"))
    if status in (404, 405):
        return Part(tr("status.not_served"))
    return Part(tr("status.unreadable", code=code), True)
