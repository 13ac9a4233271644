"""A location's course timing configuration (coursing seed, Timing Configuration): one aggregate per
location, folded from events; it is what the kitchen clock paces every order by (ARCHITECTURE §4 rule 9)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from daemon.domain.errors import InvalidEvent
from daemon.domain.events import Change, Event

TIMING_CONFIG = "coursing_config"


class ConfigEvents:
    UPDATED = "coursing_config.updated"


class TimingConfig(msgspec.Struct, frozen=True, gc=False):
    default_course_delay: int = 5
    auto_fire_enabled: bool = True
    table_sync_enabled: bool = True
    rush_mode_multiplier: float = 0.5
    rush_mode_active: bool = False
    updated_ms: int = 0


DEFAULT_CONFIG = TimingConfig()
EDITABLE = (
    "default_course_delay",
    "auto_fire_enabled",
    "table_sync_enabled",
    "rush_mode_multiplier",
    "rush_mode_active",
)


def config_to_json(config: TimingConfig) -> dict[str, Any]:
    return msgspec.to_builtins(config)  # type: ignore[no-any-return]


def config_from_json(data: Mapping[str, Any]) -> TimingConfig:
    return msgspec.convert(dict(data), TimingConfig)


def apply_config(state: TimingConfig | None, event: Event) -> TimingConfig:
    if event.type != ConfigEvents.UPDATED:
        raise InvalidEvent(f"unknown event type {event.type!r}", code="UNKNOWN_EVENT")
    config = state or DEFAULT_CONFIG
    changes = {k: v for k, v in event.payload["changes"].items() if k in EDITABLE}
    return msgspec.convert({**config_to_json(config), **changes, "updated_ms": event.at_ms}, TimingConfig)


def update(location_id: str, changes: Mapping[str, Any]) -> Change | None:
    if not changes:
        return None
    return Change(ConfigEvents.UPDATED, TIMING_CONFIG, location_id, {"changes": dict(changes)})
