"""The status bar's summaries of the daemon's answers (shapes from docs/replication.md and docs/api.md)."""

from __future__ import annotations

from ui.models.health import devices_part, printers_part, unavailable, upstream_part

SELF = {"deviceId": "a", "name": "Expo", "self": True, "connected": True, "replicationLag": 0, "clockOffsetMs": 0}


def _peer(name: str, connected: bool = True, lag: int = 0, offset: int | None = 0) -> dict[str, object]:
    warning = offset is not None and abs(offset) > 2000
    return {
        "deviceId": name.lower(),
        "name": name,
        "self": False,
        "connected": connected,
        "replicationLag": lag,
        "clockOffsetMs": offset,
        "clockWarning": warning,
    }


def test_peers_linked_lost_behind_and_a_wrong_clock() -> None:
    assert devices_part({"devices": [SELF]}).text == "none (this device alone)"
    ok = devices_part({"devices": [SELF, _peer("Grill"), _peer("Fry")]})
    assert ok.shown == "2/2 linked" and not ok.warn
    lost = devices_part({"devices": [SELF, _peer("Grill", lag=3), _peer("Fry", connected=False)]})
    assert lost.warn and lost.shown == "⚠ 1/2 linked · lost: Fry · 3 events behind"
    clock = devices_part({"devices": [SELF, _peer("Grill", offset=-4200)]})
    assert clock.warn and "Grill clock -4.2 s" in clock.text


def test_printers_well_unknown_and_in_trouble() -> None:
    assert printers_part([]).text == "none on this device"
    well = {"id": "pass", "online": True, "paper": "ok", "jobs_waiting": 0}
    assert printers_part([well]) == printers_part([well]) and printers_part([well]).text == "1 online"
    assert printers_part([{**well, "online": None}]).text == "0 online · 1 not answered yet"
    out = printers_part([well, {"id": "bar", "online": True, "paper": "out", "jobs_waiting": 2}])
    assert out.warn and out.text == "bar PAPER OUT · 2 chits waiting"
    assert printers_part([{**well, "online": False}]).text == "pass OFFLINE"


def test_headquarters_off_in_sync_behind_and_failing() -> None:
    assert upstream_part({"state": "off"}).text == "off"
    assert upstream_part({"state": "ok", "pending": 0}).text == "in sync"
    behind = upstream_part({"state": "ok", "pending": 12, "oldest_pending_age_s": 3.2})
    assert behind.text == "3 s behind (12 to send)" and not behind.warn
    assert upstream_part({"state": "ok", "pending": 12, "oldest_pending_age_s": 300}).warn
    paused = upstream_part({"state": "paused", "pending": 5, "oldest_pending_age_s": 7200, "last_error": "401 no"})
    assert paused.warn and paused.text == "PAUSED (refused), 2.0 h behind (5 to send) (401 no)"


def test_a_source_the_screen_cannot_read_says_why() -> None:
    assert unavailable(403, "INSUFFICIENT_ROLE").text == "not shown to this screen"
    assert unavailable(404, "NOT_FOUND").text == "not served by this daemon"
    assert unavailable(0, "NETWORK").warn
