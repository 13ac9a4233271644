"""The checks of the KDS order, compiled once from its definition (kds_order): one function per field and
object, each taking a value and returning it as it is stored, or raising `Refused` with the reason."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from daemon.domain import kds_order as k
from daemon.domain.kds_order import parse_duration_seconds, parse_instant

# A checker takes a value and the request's budget of unknown values, and returns the value as stored.
Checker = Callable[[Any, list[int]], Any]
ObjectChecker = Callable[[Any, list[int]], dict[str, Any]]
SHOWN = 40  # characters of a bad value quoted in a message: enough to recognise it, never unbounded


class Refused(Exception):
    """A value is wrong; `where` is its path below the value being checked, filled in on the way out."""

    def __init__(self, reason: str, where: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.where = where


def shown(value: Any) -> str:
    """A bad value as a message may quote it: strings cut at SHOWN characters, containers by kind only."""
    if isinstance(value, str):
        return repr(value[:SHOWN]) + ("…" if len(value) > SHOWN else "")
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    return "an object" if isinstance(value, Mapping) else "an array" if isinstance(value, list) else "a value"


def _key_path(key: str) -> str:
    """An object key in a field path; an unknown key is the client's text, so it is cut like a quoted value."""
    return "." + (key if len(key) <= SHOWN else key[:SHOWN] + "…")


def _text(spec: k.Text) -> Checker:
    max_length, non_blank, number_max = spec.max_length, spec.non_blank, spec.number_max
    kinds: tuple[type, ...] = (str, int, float) if spec.numbers else (str,)
    if spec.format_pattern is not None:
        pattern = re.compile(spec.format_pattern)
        wanted = spec.description or f"text matching {spec.format_pattern}"
    else:
        pattern = re.compile(f"[{spec.forbidden}]")  # searched for: any one is refused
        wanted = ""

    def check(value: Any, budget: list[int]) -> str:
        cls = value.__class__
        if cls is str:
            text: str = value
        elif cls in kinds:
            text = str(value)
        else:
            raise Refused("must be a string")
        if len(text) > max_length:
            raise Refused(f"must be at most {max_length} characters; got {len(text)}")
        if wanted:
            if pattern.fullmatch(text) is None:
                raise Refused(f"must be {wanted}; got {shown(text)}")
            return text
        # Printable text holds no control character, so the search runs only for the rest.
        if not text.isprintable() and pattern.search(text) is not None:
            raise Refused("must not hold control characters (such as NUL)")
        if non_blank and not text.strip():
            raise Refused("must not be empty")
        if number_max is not None:
            number = k.label_number(text)
            if number is not None and number > number_max:
                raise Refused(f"must hold a number of at most {number_max}; got {shown(text)}")
        return text

    return check


def _whole(spec: k.Whole) -> Checker:
    low, high = spec.minimum, spec.maximum

    def check(value: Any, budget: list[int]) -> int:
        if value.__class__ is not int or not low <= value <= high:
            raise Refused(f"must be a whole number from {low} to {high}; got {shown(value)}")
        return int(value)

    return check


def _flag(spec: k.Flag) -> Checker:
    def check(value: Any, budget: list[int]) -> bool:
        if value.__class__ is not bool:
            raise Refused("must be true or false")
        return bool(value)

    return check


def _loose(text: str) -> str:
    return text.lower().replace(" ", "").replace("-", "").replace("_", "")


def _choice(spec: k.Choice) -> Checker:
    canonical = {(_loose(v) if spec.loose else v): v for v in spec.values}
    loose, max_length = spec.loose, spec.max_length
    allowed = ", ".join(spec.values)

    def check(value: Any, budget: list[int]) -> str:
        if value.__class__ is str and len(value) <= max_length:
            found = canonical.get(_loose(value) if loose else value)
            if found is not None:
                return found
        raise Refused(f"must be one of {allowed}; got {shown(value)}")

    return check


def _instant(spec: k.Instant, zone: tzinfo) -> Checker:
    earliest, latest, max_length = spec.earliest, spec.latest, spec.max_length
    fromisoformat = datetime.fromisoformat
    # Offsets are under a day: a date-time whose own year is strictly inside these is inside the window.
    safe_from, safe_to = (earliest + timedelta(days=1)).year + 1, (latest - timedelta(days=1)).year - 1
    first_ms, end_ms = k.epoch_ms_of(earliest), k.epoch_ms_of(latest)
    window = f"from {earliest:%Y-%m-%dT%H:%M:%SZ} to before {latest:%Y-%m-%dT%H:%M:%SZ}"
    wanted = (
        "must be an ISO 8601 date-time (such as 2023-04-03T13:48:38.769Z; without a zone it is read in the "
        "location's time zone) or epoch milliseconds; got "
    )

    def epoch_ms(ms: int, value: Any) -> str:
        if not first_ms <= ms < end_ms:
            raise Refused(f"must be {window} (epoch milliseconds {first_ms} to {end_ms - 1}); got {shown(value)}")
        return k.iso_of_epoch_ms(ms)

    def check(value: Any, budget: list[int]) -> str:
        cls = value.__class__
        if cls is int:
            return epoch_ms(value, value)
        if cls is not str or len(value) > max_length:
            raise Refused(wanted + shown(value))
        try:
            instant = fromisoformat(value)  # the common case, without parse_instant's second try
        except ValueError:
            parsed = parse_instant(value)
            if parsed is None:
                if k.EPOCH_MS_TEXT.fullmatch(value):
                    return epoch_ms(int(value), value)
                raise Refused(wanted + shown(value)) from None
            instant = parsed
        stored: str = value
        if instant.tzinfo is None:
            instant, stored = k.iso_in_zone(instant, zone)
        # Aware date-times compare as instants, whatever their offsets: 0001-01-01T00:00:00+14:00, before
        # the first instant UTC can name, compares as earlier than the window without converting.
        if not safe_from <= instant.year <= safe_to and not earliest <= instant < latest:
            raise Refused(f"must be {window} once in UTC; got {shown(value)}")
        return stored

    return check


def _duration(spec: k.Duration) -> Checker:
    max_seconds, max_length = spec.max_seconds, spec.max_length

    def check(value: Any, budget: list[int]) -> str:
        seconds = parse_duration_seconds(value) if value.__class__ is str and len(value) <= max_length else None
        if seconds is None:
            raise Refused(f"must be an ISO 8601 duration such as PT30M; got {shown(value)}")
        if seconds > max_seconds:
            raise Refused(f"must be at most {max_seconds} seconds (P1D); got {shown(value)}")
        return str(value)

    return check


def _list(spec: k.ListOf, zone: tzinfo) -> Checker:
    element, max_items, unique = checker(spec.element, zone), spec.max_items, spec.unique
    kind = "of strings"
    if isinstance(spec.element, k.Nested):
        kind = "of strings or objects" if spec.element.shape.shorthand else "of objects"

    def check(value: Any, budget: list[int]) -> list[Any]:
        if value.__class__ is not list:
            raise Refused(f"must be an array {kind}")
        if len(value) > max_items:
            raise Refused(f"must hold at most {max_items} entries; got {len(value)}")
        left = budget[0]
        out: list[Any] = []
        append = out.append
        try:
            for entry in value:
                append(element(entry, budget))
        except Refused:
            budget[0] = left
            _name_the_entry(element, value, budget)
            raise
        if unique is not None:
            _refuse_duplicates(out, unique)
        return out

    return check


def _name_the_entry(element: Checker, entries: list[Any], budget: list[int]) -> None:
    """Check again, counting, to say which entry is wrong (the loop above is faster for not counting)."""
    for i, entry in enumerate(entries):
        try:
            element(entry, budget)
        except Refused as refused:
            refused.where = f"[{i}]{refused.where}"
            raise


def _refuse_duplicates(entries: list[dict[str, Any]], key: str) -> None:
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        value = entry.get(key)
        if value is None:
            continue
        if value in seen:
            raise Refused(f"duplicates {key} {shown(value)}; {key} must be unique within the order", f"[{i}].{key}")
        seen.add(value)


def _unknown(value: Any, budget: list[int], levels_left: int = k.UNKNOWN_DEPTH_MAX) -> None:
    """Unknown fields are kept as sent, up to a depth the JSON encoder and every read can take and a size."""
    budget[0] -= 1
    if budget[0] < 0:
        raise Refused(f"unknown fields hold more than {k.UNKNOWN_VALUES_MAX} values in all; they are not kept")
    cls = value.__class__
    if cls is dict or cls is list:
        if levels_left == 0:
            raise Refused(f"nests deeper than {k.UNKNOWN_DEPTH_MAX} levels; unknown fields are kept up to that")
        for child in value.values() if cls is dict else value:
            _unknown(child, budget, levels_left - 1)


def careful(shape: k.Shape, zone: tzinfo = UTC) -> ObjectChecker:
    """Every field through its own checker, in the order sent: the reference path, and the one that names
    what is wrong. `checker` puts a fast path in front of it that must give the same answers."""
    checks = {name: checker(spec, zone) for name, spec in shape.fields.items()}
    required = tuple((name, getattr(shape.fields[name], "missing", "is required")) for name in shape.required)
    defaults = _defaults(shape)
    shorthand, keep_nulls = shape.shorthand, not shape.partial

    def check(value: Any, budget: list[int]) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            if shorthand is None:
                raise Refused("must be an object")
            if value.__class__ is not str:
                raise Refused("must be a string or an object with a name")
            value = {shorthand: value}
        for name, missing in required:
            if value.get(name) is None:
                raise Refused(missing, "." + name)
        out: dict[str, Any] = {}
        for name, v in value.items():
            if v is None:
                if keep_nulls:
                    out[name] = None
                continue
            check_field = checks.get(name)
            try:
                if check_field is None:
                    _unknown(v, budget)
                    out[name] = v
                else:
                    out[name] = check_field(v, budget)
            except Refused as refused:
                refused.where = _key_path(str(name)) + refused.where
                raise
        for name, default in defaults:
            if out.get(name) is None:
                out[name] = default
        return out

    return check


def _defaults(shape: k.Shape) -> tuple[tuple[str, Any], ...]:
    return tuple((n, s.default) for n, s in shape.fields.items() if isinstance(s, k.Whole) and s.default is not None)


# The fast path's kinds of field (see _fast_source).
_TEXT, _NAME, _LABEL, _WHOLE, _CHOICE, _FLAG, _OWN = range(7)


def _fast_table(shape: k.Shape, zone: tzinfo) -> dict[str, tuple[Any, ...]]:
    """Each field's kind for the fast path, with what it needs: bounds, the allowed set, or its own checker."""
    table: dict[str, tuple[Any, ...]] = {}
    for name, spec in shape.fields.items():
        if isinstance(spec, k.Text) and spec.format_pattern is None:
            if spec.number_max is not None:
                # A run of more digits than the bound has may still be in range ("007"): the careful path decides.
                too_many_digits = re.compile(rf"\d{{{len(str(spec.number_max)) + 1}}}").search
                table[name] = (_LABEL, spec.max_length, too_many_digits)
            else:
                table[name] = (_NAME if spec.non_blank else _TEXT, spec.max_length)
        elif isinstance(spec, k.Whole):
            table[name] = (_WHOLE, spec.minimum, spec.maximum)
        elif isinstance(spec, k.Choice):
            table[name] = (_CHOICE, frozenset(spec.values))
        elif isinstance(spec, k.Flag):
            table[name] = (_FLAG,)
        else:  # nested objects, lists, date-times, durations, formats
            table[name] = (_OWN, checker(spec, zone))
    return table


def _shape(shape: k.Shape, zone: tzinfo) -> ObjectChecker:
    """The careful path behind a fast one that only accepts. An object whose every field has its most common
    form (a short printable string, an in-range int, a canonical choice) is copied with a few operations per
    field; anything else, right or wrong, takes the careful path, which names what is wrong. Validation is
    on the ingest hot path, and nearly every order is in the common form.

    The fast path is straight-line code written for the shape (see _fast_source) and compiled once, as
    dataclasses and attrs write their __init__: walking a table of the fields cost a lookup, an unpacking
    and a chain of comparisons per field, the larger part of checking an item."""
    careful_check = careful(shape, zone)
    if shape.partial:
        return careful_check  # partial updates are rare, and drop their nulls: no fast path to keep in step
    source, constants = _fast_source(shape, _fast_table(shape, zone))
    namespace: dict[str, Any] = {"careful": careful_check, "Refused": Refused, "_unknown": _unknown, **constants}
    exec(compile(source, f"<fast check of {shape.name}>", "exec"), namespace)  # noqa: S102 - our own source
    check: ObjectChecker = namespace["check"]
    return check


def _fast_source(shape: k.Shape, table: dict[str, tuple[Any, ...]]) -> tuple[str, dict[str, Any]]:
    """The fast path's source for one shape, and the constants it names. Every test that fails, a nested
    refusal and an unknown value past the budget included, hands the whole object to the careful path with
    the budget as it was, so whatever the fast path does not accept is answered exactly as careful answers."""
    constants: dict[str, Any] = {"KNOWN": frozenset(table)}
    shorthand = shape.shorthand or ""
    lines = ["def check(value, budget):", "    if value.__class__ is not dict:"]
    if shorthand:
        constants["TEMPLATE"] = dict(_defaults(shape))
        # A printable string holds no control character, and one that starts above " " is not blank.
        lines += [
            f"        if value.__class__ is str and len(value) <= {table[shorthand][1]!r} and value.isprintable()"
            ' and value[:1] > " ":',
            "            out = TEMPLATE.copy()",
            f"            out[{shorthand!r}] = value",
            "            return out",
        ]
    lines += [
        "        return careful(value, budget)",
        "    get = value.get",
        "    left = budget[0]",
        "    out = dict(value)",
    ]
    # A required field missing or null is the careful path's to name, like any other fault.
    required = frozenset(shape.required)
    refuse = ["        budget[0] = left", "        return careful(value, budget)"]
    for n, (name, spec) in enumerate(table.items()):
        kind, key = spec[0], repr(name)
        if kind == _OWN:
            constants[f"own{n}"] = spec[1]
            lines += [
                f"    v = get({key})",
                *(["    if v is None:", *refuse] if name in required else []),
                "    if v is not None:",
                "        try:",
                f"            out[{key}] = own{n}(v, budget)",
                "        except Refused:",
                "            budget[0] = left",
                "            return careful(value, budget)",
            ]
            continue
        if kind == _TEXT:
            test = f"v.__class__ is str and len(v) <= {spec[1]!r} and v.isprintable()"
        elif kind == _NAME:
            test = f'v.__class__ is str and len(v) <= {spec[1]!r} and v.isprintable() and v[:1] > " "'
        elif kind == _LABEL:
            constants[f"digits{n}"] = spec[2]
            test = f"v.__class__ is str and len(v) <= {spec[1]!r} and v.isprintable() and digits{n}(v) is None"
        elif kind == _WHOLE:
            test = f"v.__class__ is int and {spec[1]!r} <= v <= {spec[2]!r}"
        elif kind == _CHOICE:
            constants[f"choices{n}"] = spec[1]
            test = f"v.__class__ is str and v in choices{n}"
        else:  # _FLAG
            test = "v.__class__ is bool"
        fails = f"v is None or not ({test})" if name in required else f"v is not None and not ({test})"
        lines += [f"    v = get({key})", f"    if {fails}:", *refuse]
    lines += [
        "    if not KNOWN.issuperset(value):  # unknown fields: kept as sent, within the budget",
        "        for name, v in value.items():",
        "            if v is not None and name not in KNOWN:",
        "                try:",
        "                    _unknown(v, budget)",
        "                except Refused:",
        "                    budget[0] = left",
        "                    return careful(value, budget)",
    ]
    for n, (name, default) in enumerate(_defaults(shape)):
        constants[f"default{n}"] = default
        lines += [f"    if out.get({name!r}) is None:", f"        out[{name!r}] = default{n}"]
    lines.append("    return out")
    return "\n".join(lines) + "\n", constants


def checker(spec: k.Field | k.Shape, zone: tzinfo = UTC) -> Checker:
    """The compiled check of a field (or a whole object) of the payload definition. `zone` is the location's
    time zone, in which a date-time sent without one is read."""
    if isinstance(spec, k.Shape):
        return _shape(spec, zone)
    if isinstance(spec, k.Nested):
        return _shape(spec.shape, zone)
    if isinstance(spec, k.Text):
        return _text(spec)
    if isinstance(spec, k.Whole):
        return _whole(spec)
    if isinstance(spec, k.Flag):
        return _flag(spec)
    if isinstance(spec, k.Choice):
        return _choice(spec)
    if isinstance(spec, k.Instant):
        return _instant(spec, zone)
    if isinstance(spec, k.Duration):
        return _duration(spec)
    return _list(spec, zone)
