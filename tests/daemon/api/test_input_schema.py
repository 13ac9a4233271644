"""The OpenAPI schemas of the integrator payload and the validator cannot drift.

Both come from daemon.domain.kds_order. These tests read only the published document: every property it
describes is one the validator knows, and every bound it states (type, length, pattern, range, enum, items,
time window, duration, number in a label, unknown-property limits) is probed on both sides of the edge against
the validator. A keyword the tests do not know fails them, so a new bound cannot go unprobed.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from daemon.api.openapi import document
from daemon.domain import kds_order
from daemon.domain.errors import ValidationFailed
from daemon.domain.intake import check_order, check_partial, order_id
from tests.conftest import SEED_ORDER

SCHEMAS: dict[str, Any] = document()["components"]["schemas"]
PAYLOAD = (
    "KdsOrder",
    "PartialKdsOrder",
    "CancelKdsOrder",
    "KdsItem",
    "Modifier",
    "Costs",
    "AdditionalFee",
    "PromoCode",
    "DeliveryService",
)
PROBED = {
    "type", "maxLength", "minLength", "pattern", "minimum", "maximum", "enum", "items", "maxItems", "x-unique-by",
    "formatMinimum", "formatExclusiveMaximum", "x-maximum-seconds", "x-number-maximum",
}  # fmt: skip
DESCRIPTIVE = {"description", "format", "default"}
OBJECT_KEYWORDS = {"properties", "required", "additionalProperties", "x-unknown-properties"}  # probed apart

Put = Callable[[Any], Callable[[], Any]]


def seed() -> dict[str, Any]:
    return copy.deepcopy(SEED_ORDER)


def object_schema(name: str) -> dict[str, Any]:
    schema = SCHEMAS[name]
    return next(s for s in schema["oneOf"] if s["type"] == "object") if "oneOf" in schema else schema


def placed(component: str, prop: str) -> tuple[Put, str]:
    """Where a value of `component.prop` goes in a request, the check that reads it, and its field path."""

    def put(value: Any) -> Callable[[], Any]:
        body = seed()
        if component == "KdsOrder":
            body[prop] = value
        elif component == "PartialKdsOrder":
            return lambda: check_partial({"id": "123", prop: value})
        elif component == "CancelKdsOrder":
            return lambda: order_id({prop: value})
        elif component == "KdsItem":
            body["items"][1]["lineId"] = "line-two"  # so that no probe of items[0].lineId duplicates it
            body["items"][0][prop] = value
        elif component == "Modifier":
            body["items"][0]["mods"] = [{"name": "Cajun", prop: value}]
        elif component == "Costs":
            body["costs"] = {prop: value}
        elif component == "AdditionalFee":
            body["costs"] = {"additionalFees": [{"name": "Bag", "amount": "$1", prop: value}]}
        elif component == "PromoCode":
            body["costs"] = {"promoCodes": [{"amount": "$1", prop: value}]}
        else:
            body["deliveryService"] = {"name": "Dash", "orderId": "9", prop: value}
        return lambda: check_order(body)

    prefix = {
        "KdsItem": "items[0].",
        "Modifier": "items[0].mods[0].",
        "Costs": "costs.",
        "AdditionalFee": "costs.additionalFees[0].",
        "PromoCode": "costs.promoCodes[0].",
        "DeliveryService": "deliveryService.",
    }.get(component, "")
    return put, prefix + prop


def refused_at(run: Callable[[], Any]) -> str | None:
    """None when the validator accepts; else the field it names."""
    try:
        run()
    except ValidationFailed as exc:
        return exc.field or "<body>"
    return None


def alternatives(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The single-type schemas a property may match, through $ref, anyOf (nullable) and oneOf (mods)."""
    if "$ref" in schema:
        return alternatives(SCHEMAS[schema["$ref"].split("/")[-1]])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return [alt for option in schema[key] for alt in alternatives(option)]
    return [schema]


def kinds(schema: dict[str, Any]) -> list[str]:
    return schema["type"] if isinstance(schema["type"], list) else [schema["type"]]


def types_of(schema: dict[str, Any]) -> set[str]:
    found = {kind for alt in alternatives(schema) for kind in kinds(alt)}
    return found | ({"integer"} if "number" in found else set())


def text_of_length(schema: dict[str, Any], n: int) -> str | None:
    """A string of exactly n characters that the schema's pattern and format allow; None if there is none."""
    if schema.get("format") == "date-time":
        return None
    if schema.get("format") == "duration":
        return "PT" + "0" * (n - 4) + "1S" if n >= 4 else None
    if schema.get("format") == "uri":
        return "http://" + "a" * (n - 7) if n >= 8 else None
    if schema["pattern"].startswith(r"^\+"):  # E.164
        return "+1" + "5" * (n - 2) if 3 <= n <= 16 else None
    return "a" * n


def valid_value(alt: dict[str, Any], kind: str) -> Any:
    """A value of JSON type `kind` that a single-type schema accepts."""
    if kind == "string":
        if "enum" in alt:
            return alt["enum"][0]
        if alt.get("format") == "date-time":
            return "2023-04-03T13:48:38.769Z"
        return text_of_length(alt, min(8, alt["maxLength"]))
    if kind in ("number", "integer"):
        return alt.get("minimum", 2)
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "object":
        return {p: sample(alt["properties"][p]) for p in alt.get("required", [])}
    return None


def sample(schema: dict[str, Any]) -> Any:
    """A value the property schema accepts, of its first kind in this order."""
    for kind in ("string", "integer", "number", "boolean", "array", "object"):
        for alt in alternatives(schema):
            if kind in kinds(alt):
                return valid_value(alt, kind)
    raise AssertionError(f"nothing accepted by {schema}")


def element(schema: dict[str, Any], i: int) -> Any:
    """The i-th of a run of valid entries of an array schema, distinct where the array says they must be."""
    entry = sample(schema["items"])
    if "x-unique-by" in schema:
        entry[schema["x-unique-by"]] = str(i)
    return entry


def payload_properties() -> list[tuple[str, str]]:
    return [(c, p) for c in PAYLOAD for p in object_schema(c)["properties"]]


def test_every_payload_object_is_published_with_the_fields_the_validator_checks() -> None:
    assert {shape.name for shape in kds_order.SHAPES} == set(PAYLOAD)
    for shape in kds_order.SHAPES:
        schema = object_schema(shape.name)
        assert set(schema["properties"]) == set(shape.fields), shape.name
        assert schema.get("required", []) == list(shape.required), shape.name
        assert schema["additionalProperties"] is True, shape.name


def test_integrator_operations_take_the_published_payloads() -> None:
    paths = document()["paths"]

    def body_of(path: str, method: str) -> str:
        ref: str = paths[path][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        return ref.split("/")[-1]

    assert body_of("/integrators/kds-orders", "post") == "KdsOrder"
    assert body_of("/integrators/kds-orders", "put") == "KdsOrder"
    assert body_of("/integrators/kds-orders/partial", "put") == "PartialKdsOrder"
    assert body_of("/integrators/kds-orders/cancel", "put") == "CancelKdsOrder"


@pytest.mark.parametrize(("component", "prop"), payload_properties())
def test_every_published_bound_is_the_validators(component: str, prop: str) -> None:
    put, path = placed(component, prop)
    schema = object_schema(component)["properties"][prop]
    probe(schema, put, path)
    for alt in alternatives(schema):
        if "array" in kinds(alt):
            probe_array(alt, put, path)


def probe(schema: dict[str, Any], put: Put, path: str) -> None:
    """Each JSON type the schema allows is accepted, each other refused; then each alternative's own bounds."""
    allowed = types_of(schema)
    samples = {"string": "Fries", "number": 2.5, "integer": 3, "boolean": True, "array": [], "object": {}, "null": None}
    for kind, value in samples.items():
        if kind not in allowed:
            assert refused_at(put(value)) == path, (path, kind)
    for alt in alternatives(schema):
        unknown = set(alt) - PROBED - DESCRIPTIVE - OBJECT_KEYWORDS
        assert not unknown, f"{path}: teach this test to probe {unknown}"
        for kind in kinds(alt):
            if kind != "array":
                accepted(put(valid_value(alt, kind)), path)
        if "string" in kinds(alt):
            probe_text(alt, put, path)
        if "integer" in kinds(alt):
            probe_range(alt, put, path)


def accepted(run: Callable[[], Any], path: str) -> None:
    assert refused_at(run) is None, path


def probe_text(schema: dict[str, Any], put: Put, path: str) -> None:
    for value in schema.get("enum", []):
        if value is not None:
            accepted(put(value), path)
    if "enum" in schema:
        assert refused_at(put("not one of them")) == path
        return
    most = schema["maxLength"]
    at_bound = text_of_length(schema, most)
    if at_bound is not None:
        accepted(put(at_bound), path)
    assert refused_at(put("9" * (most + 1))) == path
    if schema.get("minLength"):
        assert refused_at(put("")) == path
    if "pattern" in schema:
        probe_pattern(schema, put, path)
    if "formatMinimum" in schema:
        probe_window(schema, put, path)
    if "x-maximum-seconds" in schema:
        seconds = schema["x-maximum-seconds"]
        accepted(put(f"PT{seconds}S"), path)
        assert refused_at(put(f"PT{seconds + 1}S")) == path
    if "x-number-maximum" in schema:
        number = schema["x-number-maximum"]
        accepted(put(f"Label {number}"), path)
        assert refused_at(put(f"Label {number + 1}")) == path
        assert refused_at(put("Label 99999999999999999999999")) == path


def probe_pattern(schema: dict[str, Any], put: Put, path: str) -> None:
    """The schema's pattern gives the validator's verdict. JSON Schema reads patterns as ECMA-262 does: a
    search, where "$" is the very end; for a pattern anchored at both ends that is Python's fullmatch (Python's
    own "$" would also match before a final newline)."""
    assert schema["pattern"].startswith("^") and schema["pattern"].endswith("$"), path
    pattern = re.compile(schema["pattern"])
    base = valid_value(schema, "string")
    insides = ["\x00", "\x1b", "\t", "\n", "\r", "\x7f", "\x85", "\u00a0", "é", "€", "\u2028", "\U0001f600", " "]
    probes = [base[:1] + c + base[1:] for c in insides] + [base + "\n", "", " ", "\t", "  \n", "nope"]
    for value in probes:
        expected = None if pattern.fullmatch(value) and len(value) >= schema.get("minLength", 0) else path
        assert refused_at(put(value)) == expected, (path, value)


def probe_window(schema: dict[str, Any], put: Put, path: str) -> None:
    earliest = datetime.fromisoformat(schema["formatMinimum"])
    latest = datetime.fromisoformat(schema["formatExclusiveMaximum"])
    tick = timedelta(milliseconds=1)
    for offset in (timedelta(0), timedelta(hours=14), timedelta(hours=-14)):
        zone = timezone(offset)
        accepted(put(earliest.astimezone(zone).isoformat()), path)
        accepted(put((latest - tick).astimezone(zone).isoformat()), path)
        assert refused_at(put((earliest - tick).astimezone(zone).isoformat())) == path
        assert refused_at(put(latest.astimezone(zone).isoformat())) == path
    for unrepresentable in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"):
        assert refused_at(put(unrepresentable)) == path


def probe_range(schema: dict[str, Any], put: Put, path: str) -> None:
    low, high = schema["minimum"], schema["maximum"]
    accepted(put(low), path)
    accepted(put(high), path)
    assert refused_at(put(low - 1)) == path
    assert refused_at(put(high + 1)) == path
    assert refused_at(put(2**64)) == path


def probe_array(schema: dict[str, Any], put: Put, path: str) -> None:
    most = schema["maxItems"]
    accepted(put([element(schema, i) for i in range(most)]), path)
    assert refused_at(put([element(schema, i) for i in range(most + 1)])) == path
    if "x-unique-by" in schema:
        key = schema["x-unique-by"]
        assert refused_at(put([element(schema, 0), element(schema, 0)])) == f"{path}[1].{key}"
    items = schema["items"]
    if "$ref" not in items:  # entries described in place: their bounds too, at the entry's path
        probe(items, lambda value: put([value]), f"{path}[0]")


@pytest.mark.parametrize("component", [c for c in PAYLOAD if "x-unknown-properties" in object_schema(c)])
def test_published_unknown_property_limits_are_the_validators(component: str) -> None:
    limits = object_schema(component)["x-unknown-properties"]
    depth, values = limits["maxDepth"], limits["maxValuesPerRequest"]
    put, path = placed(component, "zzUnknown")
    path = path.replace("zzUnknown", "") + "zzUnknown"

    def nested(levels: int) -> Any:
        value: Any = "deep"
        for _ in range(levels):
            value = {"a": value}
        return value

    accepted(put(nested(depth)), path)
    assert refused_at(put(nested(depth + 1))) == path
    accepted(put(list(range(values - 1))), path)  # the list and its entries: `values` in all
    assert refused_at(put(list(range(values)))) == path


def test_published_defaults_are_what_the_validator_fills_in() -> None:
    for component in PAYLOAD:
        for prop, schema in object_schema(component)["properties"].items():
            if "default" not in schema:
                continue
            assert component == "Modifier", "teach this test where the default shows"
            body = seed()
            body["items"][0]["mods"] = [{"name": "Cajun"}]
            _, items = check_order(body)
            assert items[0]["mods"][0][prop] == schema["default"]
