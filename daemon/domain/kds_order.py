"""The integrator's KDS order, field by field with every limit: the one definition that the validator
(daemon.domain.intake) and the OpenAPI component schemas (daemon.api.schemas) are both built from.

Each limit is the range the rest of the code can store, fold and render; docs/security.md ("Input limits")
says why each is what it is. Unknown fields are kept with the order (within UNKNOWN_DEPTH_MAX and
UNKNOWN_VALUES_MAX) and returned, as the product has always promised.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from daemon.domain.model import CourseHint, OrderMode

ID_MAX_LENGTH = 255
TEXT_MAX_LENGTH = 255
NOTE_MAX_LENGTH = 2000
MONEY_MAX_LENGTH = 64
URL_MAX_LENGTH = 2048
STAMP_MAX_LENGTH = 64  # date-times and durations: the longest real one is about 35 characters
QTY_MAX = 9999
COVERS_MAX = 9999
COURSE_MAX = 99
SEAT_MAX = 9999
ITEMS_MAX = 500
MODS_MAX = 100
ALLERGENS_MAX = 50
FEES_MAX = 50
PREP_MAX_SECONDS = 86_400
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)  # exclusive
UNKNOWN_DEPTH_MAX = 32
UNKNOWN_VALUES_MAX = 10_000

# Control characters (Unicode category Cc). Ids may hold none; other text may hold tabs and line breaks.
CONTROLS = r"\x00-\x1f\x7f-\x9f"
CONTROLS_BUT_LAYOUT = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
E164 = r"^\+[1-9][0-9]{1,14}$"
HTTP_URL = rf"^https?://[^\s{CONTROLS}]+$"
_NUMBER = r"([0-9]+(?:\.[0-9]+)?)"  # captured: intake reads the parts of a duration with this same pattern
ISO_DURATION = (
    rf"^P(?!$)(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}W)?(?:{_NUMBER}D)?"
    rf"(?:T(?=[0-9])(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?$"
)
FIRST_NUMBER = re.compile(r"\d+")
_DURATION = re.compile(ISO_DURATION)


def label_number(label: str) -> int | None:
    """The first number in a label ("Seat 3" → 3, "Course 2" → 2), read the same way by intake, courses and
    tickets; None when there is none. Bounded input only: Python refuses int() of over 4,300 digits."""
    found = FIRST_NUMBER.search(label)
    return int(found.group()) if found else None


def parse_duration_seconds(text: str) -> float | None:
    """ISO 8601 duration (PT30M, P1DT2H) → seconds; None if it is not one. Years/months count 365/30 days."""
    m = _DURATION.fullmatch(text)
    if not m:
        return None
    y, mo, w, d, h, mi, s = (float(g) if g else 0.0 for g in m.groups())
    return ((((y * 365 + mo * 30 + w * 7 + d) * 24 + h) * 60 + mi) * 60) + s


def parse_instant(text: str) -> datetime | None:
    """ISO 8601 date-time with a zone ("Z" or an offset); a date-time without one is ambiguous."""
    try:
        value = datetime.fromisoformat(text)  # Python 3.11 reads a "Z" itself
    except ValueError:
        try:
            value = datetime.fromisoformat(text.replace("z", "+00:00"))
        except ValueError:
            return None
    return value if value.tzinfo is not None else None


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Epoch milliseconds sent as a string of digits: eleven digits reach back to 1973, sixteen past 2100, so no
# ISO 8601 basic-format date ("20230403", eight digits) is ever read as one.
EPOCH_MS_TEXT = re.compile(r"[0-9]{11,16}")


def epoch_ms_of(instant: datetime) -> int:
    """An aware date-time as epoch milliseconds (whole ones, truncated), exactly: no float arithmetic."""
    delta = instant - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def iso_of_epoch_ms(ms: int) -> str:
    """Epoch milliseconds as the APIs write instants: ISO 8601 in UTC with milliseconds and a Z."""
    moment = EPOCH + timedelta(milliseconds=ms)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}Z"


def iso_in_zone(local: datetime, zone: tzinfo) -> tuple[datetime, str]:
    """A local date-time (no zone) read in the location's zone, and its ISO 8601 text with that offset.

    Ambiguous wall times (the repeated hour when clocks go back) are the first of the two, and times in the
    skipped hour take the offset from before the change: Python's `fold=0`, which is what a person reading the
    wall clock means more often than not, and what most POS libraries' local times were made from."""
    aware = local.replace(tzinfo=zone)
    micro = aware.microsecond
    spec = "seconds" if micro == 0 else "milliseconds" if micro % 1000 == 0 else "microseconds"
    return aware, aware.isoformat(timespec=spec)


@dataclass(frozen=True, kw_only=True)
class Text:
    """A string. A number is accepted too, and kept as its decimal text: POS systems send ids and prices
    as numbers. `number_max` bounds the first number in the text (seat and course labels)."""

    max_length: int = TEXT_MAX_LENGTH
    numbers: bool = True
    non_blank: bool = False
    forbidden: str = CONTROLS_BUT_LAYOUT
    format_pattern: str | None = None  # replaces the character rule: it must exclude controls itself
    format: str | None = None
    number_max: int | None = None
    description: str = ""

    @property
    def pattern(self) -> str:
        if self.format_pattern is not None:
            return self.format_pattern
        allowed = f"[^{self.forbidden}]"
        if self.non_blank:
            return rf"^{allowed}*[^\s{self.forbidden}]{allowed}*$"
        return f"^{allowed}*$"


@dataclass(frozen=True, kw_only=True)
class Whole:
    minimum: int
    maximum: int
    default: int | None = None
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class Flag:
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class Choice:
    """One of `values`. `loose`: case, spaces, '-' and '_' do not count ("for here" is "For Here")."""

    values: tuple[str, ...]
    loose: bool = False
    max_length: int = 32
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class Instant:
    """A moment within [earliest, latest) once in UTC, in any of the forms POS software sends: ISO 8601 with a
    zone ("Z" or an offset; kept as sent), ISO 8601 local time without one (read in the location's time zone
    and kept with that zone's offset), or epoch milliseconds (a JSON integer, or a string of 11 to 16 digits;
    kept as ISO 8601 in UTC). Every stored form is ISO 8601 with a zone, so every reader parses one form."""

    earliest: datetime = EARLIEST
    latest: datetime = LATEST
    max_length: int = STAMP_MAX_LENGTH
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class Duration:
    """An ISO 8601 duration (PT30M) of at most `max_seconds`; years and months count 365 and 30 days."""

    max_seconds: int = PREP_MAX_SECONDS
    max_length: int = STAMP_MAX_LENGTH
    pattern: str = ISO_DURATION
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class Nested:
    shape: Shape
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class ListOf:
    element: Field
    max_items: int
    unique: str | None = None  # entries that are objects must differ in this key
    missing: str = "is required"
    description: str = ""


Field = Text | Whole | Flag | Choice | Instant | Duration | Nested | ListOf


@dataclass(frozen=True)
class Shape:
    """A JSON object of the payload. Unknown keys are kept (within the unknown-field limits) and returned.

    `shorthand`: a plain string stands for {shorthand: string} (the old string form of mods).
    `partial`: null or absent means "leave as it is", so nulls are dropped instead of kept.
    `keeps_unknown`: False where only the known fields are read and nothing is stored (cancel).
    """

    name: str
    fields: Mapping[str, Field]
    required: tuple[str, ...] = ()
    shorthand: str | None = None
    partial: bool = False
    keeps_unknown: bool = True
    description: str = ""


ID = Text(max_length=ID_MAX_LENGTH, non_blank=True, forbidden=CONTROLS, description="printable text")
OPTIONAL_ID = Text(max_length=ID_MAX_LENGTH, forbidden=CONTROLS, description="printable text")
NAME = Text(non_blank=True)
TEXT = Text()
NOTE = Text(max_length=NOTE_MAX_LENGTH)
MONEY = Text(max_length=MONEY_MAX_LENGTH, description="may include a currency symbol")
REQUIRED_MONEY = Text(max_length=MONEY_MAX_LENGTH, non_blank=True, description="may include a currency symbol")
PHONE = Text(
    numbers=False, max_length=16, format_pattern=E164, description="an E.164 phone number such as +16155551234"
)
URL = Text(
    numbers=False, max_length=URL_MAX_LENGTH, format_pattern=HTTP_URL, format="uri", description="an http(s) URL"
)
ALLERGENS = ListOf(element=TEXT, max_items=ALLERGENS_MAX, description="allergen names")

MODIFIER = Shape(
    "Modifier",
    {
        "id": OPTIONAL_ID,
        "name": NAME,
        "qty": Whole(minimum=1, maximum=QTY_MAX, default=1),
        "allergens": ALLERGENS,
    },
    required=("name",),
    shorthand="name",
    description="a modifier; a plain string is the old form, short for {name: string}",
)
KDS_ITEM = Shape(
    "KdsItem",
    {
        "id": OPTIONAL_ID,
        "lineId": OPTIONAL_ID,
        "name": NAME,
        "qty": Whole(minimum=1, maximum=QTY_MAX),
        "price": MONEY,
        "mods": ListOf(
            element=Nested(shape=MODIFIER),
            max_items=MODS_MAX,
            missing="is required; send [] for an item without modifiers",
        ),
        "specialInstructions": NOTE,
        "course": Text(number_max=COURSE_MAX, description="a course name or number: 2, Course 2, Entree"),
        "courseStatus": Choice(values=tuple(h.value for h in CourseHint)),
        "seat": Text(number_max=SEAT_MAX, description="the seat, such as Seat 3"),
        "category": TEXT,
        "allergens": ALLERGENS,
    },
    required=("name", "qty", "mods"),
)
ADDITIONAL_FEE = Shape("AdditionalFee", {"name": NAME, "amount": REQUIRED_MONEY}, required=("name", "amount"))
PROMO_CODE = Shape("PromoCode", {"name": TEXT, "amount": REQUIRED_MONEY}, required=("amount",))
COSTS = Shape(
    "Costs",
    {
        **{k: MONEY for k in ("subtotal", "tax", "deliveryFee", "surcharge", "convenienceFee", "tip", "total")},
        "additionalFees": ListOf(element=Nested(shape=ADDITIONAL_FEE), max_items=FEES_MAX),
        "promoCodes": ListOf(element=Nested(shape=PROMO_CODE), max_items=FEES_MAX),
    },
)
DELIVERY_SERVICE = Shape(
    "DeliveryService",
    {"name": NAME, "orderId": ID, "driverPhone": PHONE},
    required=("name", "orderId"),
)

_ORDER_FIELDS: dict[str, Field] = {
    "id": ID,
    "name": NAME,
    "time": Instant(description="when the order was placed"),
    "pickupTime": Instant(),
    "phoneNumber": PHONE,
    "optInForSms": Flag(),
    "deliveryAddress": NOTE,
    "mode": Choice(values=tuple(m.value for m in OrderMode), loose=True),
    "deliveryHandoff": Flag(),
    "server": TEXT,
    "terminal": TEXT,
    "specialInstructions": NOTE,
    "customerArrivedUrl": URL,
    "vehicleModel": TEXT,
    "vehicleColor": TEXT,
    "costs": Nested(shape=COSTS),
    "deliveryService": Nested(shape=DELIVERY_SERVICE),
    "originSource": TEXT,
    "checkNumber": TEXT,
    "priority": Flag(),
    "prepTimeDuration": Duration(description="such as PT30M"),
    "covers": Whole(minimum=0, maximum=COVERS_MAX),
}
ITEMS = ListOf(element=Nested(shape=KDS_ITEM), max_items=ITEMS_MAX, unique="lineId")
# Seed 004: in a partial update a repeated lineId is ignored (the first one counts), not refused.
PARTIAL_ITEMS = ListOf(element=Nested(shape=KDS_ITEM), max_items=ITEMS_MAX)

KDS_ORDER = Shape(
    "KdsOrder",
    {**_ORDER_FIELDS, "items": ITEMS},
    required=("id", "name", "time", "mode", "items"),
)
PARTIAL_KDS_ORDER = Shape(
    "PartialKdsOrder",
    {
        **_ORDER_FIELDS,
        "itemsToAdd": PARTIAL_ITEMS,
        "itemsToUpdate": PARTIAL_ITEMS,
        "itemsToRemove": ListOf(element=ID, max_items=ITEMS_MAX, description="lineIds"),
    },
    required=("id",),
    partial=True,
    description="only id is required; a null or absent property leaves the order as it is",
)
CANCEL_KDS_ORDER = Shape(
    "CancelKdsOrder", {"id": ID}, required=("id",), keeps_unknown=False, description="other properties are ignored"
)

SHAPES = (
    KDS_ORDER,
    PARTIAL_KDS_ORDER,
    CANCEL_KDS_ORDER,
    KDS_ITEM,
    MODIFIER,
    COSTS,
    ADDITIONAL_FEE,
    PROMO_CODE,
    DELIVERY_SERVICE,
)
