"""The one exception family of the domain: each error carries its stable code and HTTP status.

The API's error middleware turns any `HeardError` into `{"error": {"code", "message"}}`; the fold
catches `InvalidEvent` (a subclass) to skip an event that is invalid at its place in the log.
"""

from __future__ import annotations


class HeardError(Exception):
    """An error a client can act on: a stable `code` (the seeds' spelling) and an HTTP status."""

    code = "BAD_REQUEST"
    status = 400

    def __init__(
        self, message: str, *, code: str | None = None, status: int | None = None, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class ValidationFailed(HeardError):
    """The request is malformed or a field is wrong; the message names the field."""

    code = "VALIDATION_ERROR"
    status = 400


class Unauthorized(HeardError):
    code = "UNAUTHORIZED"
    status = 401


class Forbidden(HeardError):
    code = "FORBIDDEN"
    status = 403


class NotFound(HeardError):
    code = "NOT_FOUND"
    status = 404


class Conflict(HeardError):
    code = "CONFLICT"
    status = 409


class InvalidEvent(Conflict):
    """A command or event is not allowed by the current state (a transition the seeds forbid)."""

    code = "INVALID_TRANSITION"


class OrderNotFound(NotFound):
    code = "ORDER_NOT_FOUND"


class OrderExists(Conflict):
    code = "ORDER_EXISTS"


class ItemNotFound(NotFound):
    code = "ITEM_NOT_FOUND"


class StationNotFound(NotFound):
    code = "STATION_NOT_FOUND"


class TicketNotFound(NotFound):
    code = "TICKET_NOT_FOUND"


class CourseNotFound(NotFound):
    code = "COURSE_NOT_FOUND"
