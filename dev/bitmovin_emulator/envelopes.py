"""Bitmovin response envelopes (``docs/bitmovin-api.md#envelopes-and-errors``) and their responses.

Kept apart from routing so that faults and handlers build identical bodies.
"""

import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, NamedTuple

from werkzeug.wrappers import Request, Response

# Error codes from the only list found (legacy 2016 list, docs/bitmovin-api.md). Which code the
# real API uses for not-found, 405 and faults is UNCONFIRMED; these are our choices.
CODE_INVALID_FIELD = 1000
CODE_INVALID_PARAMETER = 1001
CODE_INVALID_API_KEY = 1002
CODE_UNAUTHORIZED = 1003
CODE_UNDEFINED = 1004
CODE_INVALID_URL = 1005

# A route handler: (request, organization id, path id or None, parsed body) -> response.
Handler = Callable[[Request, str, str | None, Any], Response]

GATEWAY_UNAUTHORIZED_BODY = {"message": "Invalid authentication credentials"}


class FieldError(NamedTuple):
    """One problem with one request field; becomes an entry of ``data.details``."""

    field: str | None
    text: str


def utc_now() -> str:
    """Current time as UTC ISO 8601 with milliseconds and ``Z``, like the SDKs send."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def success_body(result: Any) -> dict[str, Any]:
    """SUCCESS envelope around ``result``, with a fresh requestId."""
    return {"requestId": str(uuid.uuid4()), "status": "SUCCESS", "data": {"result": result, "messages": []}}


def error_body(
    code: int, message: str, developer_message: str, details: Iterable[FieldError] = ()
) -> dict[str, Any]:
    """ERROR envelope; each detail is a Bitmovin ``Message`` of type ERROR."""
    entries = []
    for detail in details:
        entry: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "date": utc_now(),
            "type": "ERROR",
            "text": detail.text,
        }
        if detail.field is not None:
            entry["field"] = detail.field
        entries.append(entry)
    return {
        "requestId": str(uuid.uuid4()),
        "status": "ERROR",
        "data": {
            "code": code,
            "message": message,
            "developerMessage": developer_message,
            "details": entries,
            "links": [],
        },
    }


def status_line(status: int) -> str:
    """``"401 Unauthorized"``: standard reason phrases (Werkzeug would upper-case them)."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def json_response(payload: Any, status: int, headers: Mapping[str, str] | None = None) -> Response:
    """Serialize ``payload`` as an ``application/json`` response."""
    response = Response(json.dumps(payload), status=status_line(status), mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def error_response(
    status: int,
    code: int,
    message: str,
    developer_message: str,
    details: Iterable[FieldError] = (),
    headers: Mapping[str, str] | None = None,
) -> Response:
    """ERROR envelope response."""
    return json_response(error_body(code, message, developer_message, details), status, headers)


def field_errors_response(
    code: int, message: str, errors: Iterable[FieldError], label: str = "Invalid fields"
) -> Response:
    """A 400 naming every rejected field (once, in order) in ``developerMessage`` and ``details``."""
    errors = list(errors)
    names = ", ".join(dict.fromkeys(str(error.field) for error in errors))
    return error_response(400, code, message, f"{label}: {names}", errors)


def default_error_for_status(status: int) -> dict[str, Any]:
    """Generic ERROR envelope for an injected fault status (429, 5xx, ...)."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return error_body(CODE_UNDEFINED, phrase, f"Injected fault: HTTP {status} {phrase}")
