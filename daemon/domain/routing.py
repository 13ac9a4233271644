"""Station routing (ARCHITECTURE §4 rule 1): which stations see an item."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Routing:
    """The stations of a location and its rules, as a command needs them."""

    stations: Mapping[str, Station]
    rules: tuple[RoutingRule, ...]

    def route(self, *, name: str, menu_item_id: str | None, category: str | None) -> tuple[str, ...]:
        """Prep stations by the most specific matching rules (menu item, category, name, default),
        then every expo station. An item no rule claims goes to the first prep station: a ticket
        routed nowhere is a ticket missed."""
        prep = self._prep_stations(name, menu_item_id, category)
        expo = [s.id for s in self.stations.values() if s.kind is StationKind.EXPO]
        return tuple(dict.fromkeys([*prep, *expo]))

    def _prep_stations(self, name: str, menu_item_id: str | None, category: str | None) -> list[str]:
        known = [r for r in self.rules if r.station_id in self.stations]
        levels: Iterable[list[RoutingRule]] = (
            [r for r in known if r.menu_item_id is not None and r.menu_item_id == menu_item_id],
            [r for r in known if r.category is not None and category and r.category.lower() == category.lower()],
            [r for r in known if r.name_pattern is not None and _pattern(r.name_pattern).search(name)],
            [r for r in known if r.default],
        )
        for matched in levels:
            if matched:
                return list(dict.fromkeys(r.station_id for r in matched))
        first_prep = next((s.id for s in self.stations.values() if s.kind is StationKind.PREP), None)
        return [first_prep] if first_prep else []
