"""Bitmovin Analytics export tasks (``/analytics/exports``): create, get and list.

An export task copies one time range of Analytics data into the bucket of an Analytics output; it is
the only end-to-end proof that Bitmovin can write there (the Analytics API has no permission check,
docs/export-tasks.md). The API has no delete or cancel. Times travel as UTC ISO-8601 with milliseconds
and ``Z``, as the official SDKs send them.

Transport, retries and errors are those of :class:`bitmovin_api.client.BitmovinClient`: GETs are
retried on 429/502/503/504 and connection errors, a create (POST) is sent exactly once. Neither the API
key nor the Analytics license key ever appears in a repr, an exception or a log line.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bitmovin_api.client import BitmovinClient, path_segment
from bitmovin_api.errors import BitmovinApiError
from bitmovin_api.redaction import SECRET_MASK
from bitmovin_api.terminal_text import shown

EXPORTS_PATH = "/analytics/exports"
STATUSES = ("QUEUED", "STARTED", "FINISHED", "ERROR")
TERMINAL_STATUSES = frozenset({"FINISHED", "ERROR"})
EXPORT_TYPES = ("ADS", "SESSIONS")
FILE_FORMATS = ("CSV", "PARQUET")
MAX_PAGE_SIZE = 100


def format_time(moment: datetime) -> str:
    """``2026-08-01T00:00:00.000Z``; refuses naive datetimes, whose time zone would be a guess."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("export times must be timezone-aware (e.g. datetime(..., tzinfo=UTC))")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_time(value: Any) -> datetime | None:
    """An API timestamp as an aware UTC datetime; None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class ExportTaskRequest:
    """What ``POST /analytics/exports`` needs; ``license_key`` is kept out of ``repr``."""

    name: str
    start_time: datetime
    end_time: datetime
    output_id: str
    output_path: str
    license_key: str = field(repr=False)
    description: str | None = None
    export_type: str | None = None
    columns: tuple[str, ...] = ()
    file_format: str | None = None

    def problems(self) -> list[str]:
        """Every bad field, named as the API names it, with what to do; empty when the request is fine."""
        found = []
        if not isinstance(self.name, str) or not self.name.strip():
            found.append("name: give the export task a non-empty name")
        for label, moment in (("startTime", self.start_time), ("endTime", self.end_time)):
            if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
                found.append(f"{label}: pass a timezone-aware datetime (UTC), not a naive one")
        if not found and self.end_time <= self.start_time:
            found.append("endTime: must be after startTime")
        if not isinstance(self.license_key, str) or not self.license_key.strip():
            found.append("licenseKey: an Analytics license key is required")
        if not isinstance(self.output_id, str) or not self.output_id.strip():
            found.append("output.outputId: the id of an Analytics output is required")
        else:
            try:
                path_segment(self.output_id)
            except ValueError:
                found.append("output.outputId: must not contain '/', '?', '#' or '%'")
        if not isinstance(self.output_path, str) or not self.output_path.strip():
            found.append("output.outputPath: a path inside the bucket is required, e.g. 'analytics/verify/'")
        if self.export_type is not None and self.export_type not in EXPORT_TYPES:
            found.append(f"type: must be one of {', '.join(EXPORT_TYPES)}")
        if self.file_format is not None and self.file_format not in FILE_FORMATS:
            found.append(f"fileFormat: must be one of {', '.join(FILE_FORMATS)}")
        return found

    def to_body(self) -> dict[str, Any]:
        """The JSON body; optional fields are omitted when unset, as the SDKs do."""
        body: dict[str, Any] = {
            "name": self.name,
            "startTime": format_time(self.start_time),
            "endTime": format_time(self.end_time),
            "licenseKey": self.license_key,
            "output": {"outputId": self.output_id, "outputPath": self.output_path},
        }
        optional = {
            "description": self.description,
            "type": self.export_type,
            "fileFormat": self.file_format,
            "columns": list(self.columns) or None,
        }
        body.update({name: value for name, value in optional.items() if value is not None})
        return body


@dataclass(frozen=True)
class ExportTaskError:
    """Why a task ended in ERROR, when the API says so.

    Bitmovin documents no such field (docs/export-tasks.md); the local emulator reports the refusing
    AWS call in ``error``. Clients must cope with its absence.
    """

    code: str | None
    message: str | None
    service: str | None = None
    operation: str | None = None
    diagnosis: str | None = None

    @classmethod
    def from_value(cls, value: Any) -> ExportTaskError | None:
        if isinstance(value, str) and value:
            return cls(code=None, message=value)
        if not isinstance(value, Mapping):
            return None

        def text(name: str) -> str | None:
            item = value.get(name)
            return str(item) if item is not None else None

        return cls(text("code"), text("message"), text("service"), text("operation"), text("diagnosis"))

    def __str__(self) -> str:
        where = f"{self.service}:{self.operation} " if self.service and self.operation else ""
        text = f"{where}{shown(self.code or 'error', 100)}: {shown(self.message or 'no message')}"
        return f"{text} ({shown(self.diagnosis)})" if self.diagnosis else text


@dataclass(frozen=True)
class ExportTask:
    """An export task as the API reports it; the license key is dropped on the way in."""

    id: str
    name: str | None
    status: str | None
    progress: int | None
    start_time: datetime | None
    end_time: datetime | None
    output_id: str | None
    output_path: str | None
    started_at: datetime | None
    finished_at: datetime | None
    error: ExportTaskError | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def terminal(self) -> bool:
        """FINISHED or ERROR: nothing will change any more."""
        return self.status in TERMINAL_STATUSES

    @classmethod
    def from_result(cls, result: Any) -> ExportTask:
        if not isinstance(result, Mapping) or not result.get("id"):
            raise BitmovinApiError("the API answered without an export task", method="GET", path=EXPORTS_PATH)
        raw = {name: value for name, value in result.items() if name != "licenseKey"}
        output = raw.get("output") if isinstance(raw.get("output"), Mapping) else {}
        progress = raw.get("progress")
        return cls(
            id=str(raw["id"]),
            name=raw.get("name"),
            status=raw.get("status"),
            progress=progress if isinstance(progress, int) and not isinstance(progress, bool) else None,
            start_time=parse_time(raw.get("startTime")),
            end_time=parse_time(raw.get("endTime")),
            output_id=output.get("outputId"),
            output_path=output.get("outputPath"),
            started_at=parse_time(raw.get("startedAt")),
            finished_at=parse_time(raw.get("finishedAt")),
            error=ExportTaskError.from_value(raw.get("error")),
            raw=raw,
        )


@dataclass(frozen=True)
class ExportTaskPage:
    """One page of ``GET /analytics/exports``."""

    total_count: int | None
    offset: int
    limit: int
    items: list[ExportTask]


class ExportTasksClient:
    """Create, get and list Analytics export tasks in the organization of ``client``."""

    def __init__(self, client: BitmovinClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"ExportTasksClient({self._client!r})"

    def create(self, request: ExportTaskRequest) -> ExportTask:
        """Validate, then POST once. Bad fields raise ``ValueError`` before any request is sent."""
        problems = request.problems()
        if problems:
            raise ValueError("invalid export task: " + "; ".join(problems))
        failure: BitmovinApiError | None = None
        try:
            result = self._client.request("POST", EXPORTS_PATH, json=request.to_body())
        except BitmovinApiError as error:
            failure = _scrubbed(error, request.license_key)
        if failure is not None:
            raise failure
        return ExportTask.from_result(result)

    def get(self, task_id: str) -> ExportTask:
        return ExportTask.from_result(self._client.request("GET", f"{EXPORTS_PATH}/{path_segment(task_id)}"))

    def list(self, *, offset: int = 0, limit: int = 25) -> ExportTaskPage:
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValueError(f"limit must be between 1 and {MAX_PAGE_SIZE}")
        if offset < 0:
            raise ValueError("offset must not be negative")
        page = self._client.request("GET", EXPORTS_PATH, params={"offset": offset, "limit": limit})
        page = page if isinstance(page, Mapping) else {}
        total = page.get("totalCount")
        return ExportTaskPage(
            total_count=total if isinstance(total, int) else None,
            offset=int(page.get("offset", offset)),
            limit=int(page.get("limit", limit)),
            items=[ExportTask.from_result(item) for item in page.get("items") or []],
        )

    def iter_tasks(self, *, page_size: int = MAX_PAGE_SIZE) -> Iterator[ExportTask]:
        """Every export task of the organization, page by page."""
        offset = 0
        while True:
            page = self.list(offset=offset, limit=page_size)
            yield from page.items
            offset += len(page.items)
            if not page.items or len(page.items) < page_size:
                return
            if page.total_count is not None and offset >= page.total_count:
                return


def _scrubbed(error: BitmovinApiError, secret: str) -> BitmovinApiError:
    """The same error with every occurrence of ``secret`` replaced (a server may echo the body)."""
    if not secret:
        return error

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(secret, SECRET_MASK)
        if isinstance(value, dict):
            return {key: clean(item) for key, item in value.items()}
        if isinstance(value, list):
            return [clean(item) for item in value]
        return value

    for name in ("summary", "message", "developer_message", "details"):
        setattr(error, name, clean(getattr(error, name)))
    error.args = (str(error),)
    return error
