"""The wire format of events and the peer credential: round trips, and refusals that name the field."""

from __future__ import annotations

import jwt
import pytest

from daemon.domain.errors import Forbidden, Unauthorized
from daemon.domain.events import Actor, Event
from daemon.domain.hlc import Stamp
from sync.credentials import mint_peer_token, verify_peer_token
from sync.wire import WireError, event_from_wire, event_to_wire, versions_from_wire

EVENT = Event(
    "dev-a",
    7,
    Stamp(1_790_000_000_123, 4, "dev-a"),
    "ticket.bumped",
    "order",
    "o1",
    {"station": "grill"},
    Actor("chef-1", ("chef",), "user"),
)


def test_an_event_crosses_the_wire_unchanged() -> None:
    assert event_from_wire(event_to_wire(EVENT)) == EVENT


def test_unknown_fields_are_ignored_and_defaults_filled() -> None:
    data = {k: v for k, v in event_to_wire(EVENT).items() if k not in ("actor", "schema")}
    data["futureField"] = 1
    event = event_from_wire(data)
    assert event.actor.kind == "device" and event.schema == 1 and event.stamp == EVENT.stamp


@pytest.mark.parametrize(
    ("field", "value"),
    [("seq", "7"), ("seq", 0), ("origin", ""), ("hlc", [1]), ("hlc", [1, True]), ("payload", []), ("type", None)],
)
def test_a_bad_field_is_refused_by_name(field: str, value: object) -> None:
    data = {**event_to_wire(EVENT), field: value}
    with pytest.raises(WireError, match=field):
        event_from_wire(data)


def test_versions_must_be_whole_numbers() -> None:
    assert versions_from_wire({"a": 3}) == {"a": 3}
    with pytest.raises(WireError):
        versions_from_wire({"a": -1})
    with pytest.raises(WireError):
        versions_from_wire([1])


SECRET = b"s" * 32


def test_a_peer_token_names_its_device() -> None:
    token = mint_peer_token(SECRET, "loc", "dev-b")
    assert verify_peer_token(SECRET, "loc", f"Bearer {token}") == "dev-b"


def test_another_secret_or_location_or_a_user_token_is_refused() -> None:
    with pytest.raises(Unauthorized):
        verify_peer_token(SECRET, "loc", f"Bearer {mint_peer_token(b'x' * 32, 'loc', 'dev-b')}")
    with pytest.raises(Forbidden):
        verify_peer_token(SECRET, "loc", f"Bearer {mint_peer_token(SECRET, 'other', 'dev-b')}")
    user = jwt.encode({"sub": "u", "roles": ["peer"], "location_id": "loc", "iat": 1, "exp": 2**40}, SECRET)
    with pytest.raises(Unauthorized):
        verify_peer_token(SECRET, "loc", f"Bearer {user}")  # no peer audience
    with pytest.raises(Unauthorized):
        verify_peer_token(SECRET, "loc", "")
    with pytest.raises(Unauthorized):
        verify_peer_token(SECRET, "loc", f"Bearer {mint_peer_token(SECRET, 'loc', 'dev-b', now=1_000_000)}")
