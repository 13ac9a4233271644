"""The Bloom filter of stored ids: never forgets an id, rarely imagines one, stays small."""

from __future__ import annotations

from daemon.store.known_ids import KnownIds


def test_every_added_id_is_found() -> None:
    known = KnownIds()
    ids = [f"order-{i}" for i in range(50_000)]
    for oid in ids:
        known.add("order", oid)

    assert all(known.may_contain("order", oid) for oid in ids)


def test_unknown_ids_are_rarely_taken_for_known_ones() -> None:
    known = KnownIds()
    for i in range(50_000):
        known.add("order", f"order-{i}")

    false_positives = sum(known.may_contain("order", f"other-{i}") for i in range(50_000))

    assert false_positives < 500  # under 1 %


def test_the_kind_is_part_of_the_key() -> None:
    known = KnownIds()
    known.add("order", "x")

    assert known.may_contain("order", "x")
    assert not known.may_contain("setup", "x")


def test_a_full_filter_grows_a_layer_and_still_finds_everything() -> None:
    known = KnownIds()
    first_layer = known.bytes_used
    ids = [f"o{i}" for i in range(300_000)]  # more than one layer holds
    for oid in ids:
        known.add("order", oid)

    assert known.bytes_used > first_layer
    assert all(known.may_contain("order", oid) for oid in ids[::97])
    assert known.bytes_used < 4 * 1024 * 1024  # a year of orders in a few megabytes
