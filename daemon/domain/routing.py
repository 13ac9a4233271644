"""Station routing (ARCHITECTURE §4 rule 1): which stations see an item."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from daemon.domain.model import RoutingRule, Station, StationKind


@lru_cache(maxsize=512)
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text, re.IGNORECASE)


def pattern_error(text: str) -> str | None:
    """Why a name pattern is unusable, or None; checked once when the rule is defined."""
    try:
        _pattern(text)
    except re.error as exc:
        return str(exc)
    return None


_ROUTED_MAX = 4096


def _unique(ids: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(ids))


@dataclass(frozen=True)
class Routing:
    """The stations of a location and its rules, indexed once so routing an item is a few lookups."""

    stations: Mapping[str, Station]
    rules: tuple[RoutingRule, ...]
    _by_menu_item: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)
    _by_category: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)
    _patterns: tuple[tuple[re.Pattern[str], str], ...] = field(init=False, repr=False, compare=False)
    _fallback: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _expo: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _routed: dict[tuple[str, str | None, str | None], tuple[str, ...]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        known = [r for r in self.rules if r.station_id in self.stations]
        by_menu: dict[str, list[str]] = {}
        by_category: dict[str, list[str]] = {}
        for r in known:
            if r.menu_item_id is not None:
                by_menu.setdefault(r.menu_item_id, []).append(r.station_id)
            if r.category is not None:
                by_category.setdefault(r.category.lower(), []).append(r.station_id)
        defaults = [r.station_id for r in known if r.default]
        first_prep = [next((s.id for s in self.stations.values() if s.kind is StationKind.PREP), "")][:1]
        values = {
            "_by_menu_item": {k: _unique(v) for k, v in by_menu.items()},
            "_by_category": {k: _unique(v) for k, v in by_category.items()},
            "_patterns": tuple((_pattern(r.name_pattern), r.station_id) for r in known if r.name_pattern is not None),
            # An item no rule claims goes to the first prep station: a ticket routed nowhere is a ticket missed.
            "_fallback": _unique(defaults) if defaults else tuple(s for s in first_prep if s),
            "_expo": tuple(s.id for s in self.stations.values() if s.kind is StationKind.EXPO),
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def route(self, *, name: str, menu_item_id: str | None, category: str | None) -> tuple[str, ...]:
        """Prep stations by the most specific matching rules (menu item, category, name, default),
        then every expo station. A menu is a few hundred dishes sold again and again, so answers are
        remembered (per routing value: a setup change builds a new one), up to _ROUTED_MAX of them."""
        key = (name, menu_item_id, category)
        routed = self._routed.get(key)
        if routed is None:
            prep = self._prep_stations(name, menu_item_id, category)
            routed = _unique([*prep, *self._expo]) if self._expo else prep
            if len(self._routed) >= _ROUTED_MAX:
                self._routed.clear()
            self._routed[key] = routed
        return routed

    def _prep_stations(self, name: str, menu_item_id: str | None, category: str | None) -> tuple[str, ...]:
        if menu_item_id is not None and menu_item_id in self._by_menu_item:
            return self._by_menu_item[menu_item_id]
        if category and category.lower() in self._by_category:
            return self._by_category[category.lower()]
        by_name = [station for pattern, station in self._patterns if pattern.search(name)]
        if by_name:
            return _unique(by_name)
        return self._fallback
