"""Validation of ``POST /analytics/exports`` bodies: every problem at once, one ``FieldError`` each.

Required fields follow docs/export-tasks.md (``name``, ``startTime``, ``endTime``, ``licenseKey``,
``output.outputId``, ``output.outputPath``); nested fields are named with a dot, as clients show them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

from .envelopes import FieldError
from .validation import enum_errors, optional_string_errors, required_string

EXPORT_TYPES = ("ADS", "SESSIONS")
FILE_FORMATS = ("CSV", "PARQUET")
HOUR = 3600


class ExportRequest(NamedTuple):
    """A valid create body: API fields (times normalized to UTC ``…Z``) plus the parsed range."""

    fields: dict[str, Any]
    start: datetime
    end: datetime


def format_time(moment: datetime) -> str:
    """UTC ISO 8601 with milliseconds and ``Z``, like the SDKs send and the API answers."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 timestamp with ``Z`` or an offset; None when absent, malformed or without a zone."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None


def validate_export_create(
    body: Mapping[str, Any], *, license_keys: Collection[str] | None, max_hours: int
) -> tuple[ExportRequest | None, list[FieldError]]:
    """Check a create body; returns the request (None when invalid) and all problems found."""
    errors: list[FieldError] = []
    name = required_string(body, "name", errors)
    license_key = required_string(body, "licenseKey", errors)
    if license_key is not None and license_keys is not None and license_key not in license_keys:
        errors.append(FieldError("licenseKey", "licenseKey is not a license of this organization"))
    start = _required_time(body, "startTime", errors)
    end = _required_time(body, "endTime", errors)
    if start is not None and end is not None:
        if end <= start:
            errors.append(FieldError("endTime", "endTime must be after startTime"))
        elif (end - start).total_seconds() > max_hours * HOUR:
            errors.append(FieldError("endTime", f"the time range must not exceed {max_hours} hours"))
    output = body.get("output")
    output_id = output_path = None
    if output is None:
        errors.append(FieldError("output", "output is required"))
    elif not isinstance(output, Mapping):
        errors.append(FieldError("output", "output must be an object with outputId and outputPath"))
    else:
        output_id = required_string(output, "outputId", errors, prefix="output.")
        output_path = required_string(output, "outputPath", errors, prefix="output.")
    errors.extend(enum_errors(body, {"type": EXPORT_TYPES, "fileFormat": FILE_FORMATS}))
    errors.extend(optional_string_errors(body, ("description",)))
    columns = body.get("columns")
    if columns is not None and (
        not isinstance(columns, list) or not all(isinstance(c, str) and c for c in columns)
    ):
        errors.append(FieldError("columns", "columns must be a list of column names"))
    if errors or start is None or end is None:
        return None, errors
    fields: dict[str, Any] = {
        "name": name,
        "startTime": format_time(start),
        "endTime": format_time(end),
        "licenseKey": license_key,
        "output": {"outputId": output_id, "outputPath": output_path},
    }
    for key in ("description", "type", "fileFormat", "columns"):
        if body.get(key) is not None:
            fields[key] = body[key]
    return ExportRequest(fields, start, end), errors


def _required_time(body: Mapping[str, Any], key: str, errors: list[FieldError]) -> datetime | None:
    value = body.get(key)
    if value is None:
        errors.append(FieldError(key, f"{key} is required"))
        return None
    moment = parse_time(value)
    if moment is None:
        errors.append(
            FieldError(key, f"{key} must be an ISO 8601 time with a zone, e.g. 2026-08-01T00:00:00.000Z")
        )
    return moment
