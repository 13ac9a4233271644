"""The kitchen's setup — stations, routing rules, course templates — as an aggregate folded from events,
so a manager's change on one device reaches every device the same way an order does."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from daemon.domain.commands import Kitchen
from daemon.domain.courses import DEFAULT_TEMPLATES
from daemon.domain.errors import Conflict, InvalidEvent, NotFound, StationNotFound
from daemon.domain.events import Change, Event
from daemon.domain.model import ACTIVE_TICKET_STATUSES, CourseTemplate, Order, RoutingRule, Station, StationKind
from daemon.domain.routing import Routing
from daemon.domain.values import evolve

SETUP = "setup"


class SetupEvents:
    STATION_SAVED = "station.saved"
    STATION_REMOVED = "station.removed"
    RULE_SAVED = "routing_rule.saved"
    RULE_REMOVED = "routing_rule.removed"


@dataclass(frozen=True)
class Setup:
    stations: Mapping[str, Station] = field(default_factory=dict)
    rules: Mapping[str, RoutingRule] = field(default_factory=dict)
    templates: tuple[CourseTemplate, ...] = DEFAULT_TEMPLATES

    @cached_property
    def kitchen(self) -> Kitchen:
        """Built once per setup value (routing indexes its rules): every order create asks for it."""
        return Kitchen(Routing(dict(self.stations), tuple(self.rules.values())), self.templates)


def station_to_json(s: Station) -> dict[str, Any]:
    return {"id": s.id, "name": s.name, "kind": s.kind.value, "printers": list(s.printers), "devices": list(s.devices)}


def station_from_json(d: Mapping[str, Any]) -> Station:
    return Station(
        id=str(d["id"]),
        name=str(d["name"]),
        kind=StationKind(d.get("kind") or "prep"),
        printers=tuple(d.get("printers") or ()),
        devices=tuple(d.get("devices") or ()),
    )


def rule_to_json(r: RoutingRule) -> dict[str, Any]:
    return {
        "id": r.id,
        "station_id": r.station_id,
        "menu_item_id": r.menu_item_id,
        "category": r.category,
        "name_pattern": r.name_pattern,
        "default": r.default,
    }


def rule_from_json(d: Mapping[str, Any]) -> RoutingRule:
    return RoutingRule(
        id=str(d["id"]),
        station_id=str(d["station_id"]),
        menu_item_id=d.get("menu_item_id"),
        category=d.get("category"),
        name_pattern=d.get("name_pattern"),
        default=bool(d.get("default")),
    )


def setup_to_json(s: Setup) -> dict[str, Any]:
    return {
        "stations": [station_to_json(x) for x in s.stations.values()],
        "rules": [rule_to_json(r) for r in s.rules.values()],
    }


def setup_from_json(d: Mapping[str, Any]) -> Setup:
    stations = [station_from_json(x) for x in d.get("stations", ())]
    rules = [rule_from_json(x) for x in d.get("rules", ())]
    return Setup({s.id: s for s in stations}, {r.id: r for r in rules})


def apply_setup(state: Setup | None, event: Event) -> Setup:
    setup = state or Setup()
    p = event.payload
    if event.type == SetupEvents.STATION_SAVED:
        station = station_from_json(p["station"])
        return evolve(setup, stations={**setup.stations, station.id: station})
    if event.type == SetupEvents.STATION_REMOVED:
        sid = str(p["station_id"])
        if sid not in setup.stations:
            raise StationNotFound(f"station {sid} not found")
        stations = {k: v for k, v in setup.stations.items() if k != sid}
        rules = {k: r for k, r in setup.rules.items() if r.station_id != sid}
        return evolve(setup, stations=stations, rules=rules)
    if event.type == SetupEvents.RULE_SAVED:
        rule = rule_from_json(p["rule"])
        if rule.station_id not in setup.stations:
            raise StationNotFound(f"station {rule.station_id} not found")
        return evolve(setup, rules={**setup.rules, rule.id: rule})
    if event.type == SetupEvents.RULE_REMOVED:
        rid = str(p["rule_id"])
        if rid not in setup.rules:
            raise NotFound(f"routing rule {rid} not found", code="ROUTING_RULE_NOT_FOUND")
        return evolve(setup, rules={k: v for k, v in setup.rules.items() if k != rid})
    raise InvalidEvent(f"unknown event type {event.type!r}", code="UNKNOWN_EVENT")


def save_station(location_id: str, station: Station) -> Change:
    return Change(SetupEvents.STATION_SAVED, SETUP, location_id, {"station": station_to_json(station)})


def remove_station(location_id: str, station_id: str) -> Change:
    return Change(SetupEvents.STATION_REMOVED, SETUP, location_id, {"station_id": station_id})


def check_station_removal(setup: Setup, station_id: str, orders: Iterable[Order]) -> None:
    """A station may go only when nothing would be stranded: no order has an active ticket at it
    (the tickets API serves only stations that exist, so such a ticket could never be bumped), and
    another prep station remains to route to. Refusing is the whole rule: moving tickets to another
    station would put food in front of cooks who do not make it."""
    station = setup.stations.get(station_id)
    if station is None:
        raise StationNotFound(f"station {station_id} not found")
    if station.kind is StationKind.PREP:
        _refuse_last_prep(setup, station_id)
    for order in orders:
        for ticket in order.tickets.values():
            if ticket.station_id == station_id and ticket.status in ACTIVE_TICKET_STATUSES:
                raise Conflict(
                    f"station {station_id} still has active tickets (order {order.id}); bump or void them first",
                    code="STATION_IN_USE",
                )


def check_station_edit(setup: Setup, station: Station) -> None:
    """Turning the last prep station into an expo is removing it as far as routing goes."""
    old = setup.stations.get(station.id)
    if old is not None and old.kind is StationKind.PREP and station.kind is not StationKind.PREP:
        _refuse_last_prep(setup, station.id)


def _refuse_last_prep(setup: Setup, station_id: str) -> None:
    if not any(s.kind is StationKind.PREP and s.id != station_id for s in setup.stations.values()):
        raise Conflict(
            f"station {station_id} is the last prep station; a kitchen without one cannot route orders",
            code="LAST_PREP_STATION",
        )


def save_rule(location_id: str, rule: RoutingRule) -> Change:
    return Change(SetupEvents.RULE_SAVED, SETUP, location_id, {"rule": rule_to_json(rule)})


def remove_rule(location_id: str, rule_id: str) -> Change:
    return Change(SetupEvents.RULE_REMOVED, SETUP, location_id, {"rule_id": rule_id})
