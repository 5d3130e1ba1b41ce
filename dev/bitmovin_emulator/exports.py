"""Analytics export tasks: storage per organization and the lifecycle QUEUED → STARTED → FINISHED/ERROR.

Time is a clock (seconds, ``time.monotonic`` by default) that tests replace, so no test sleeps. A task
moves at most one step per advance: start (with ``--aws-endpoint-url``: trust, AssumeRole, bucket
region), then one step per hour of data (one file each), the last of which also confirms the files and
finishes the task. Requests to the export endpoints advance due tasks (``ExportOptions.auto_advance``);
``step()`` forces one step for tests. ``force_error()`` makes the next tasks end in ERROR at start.
"""

from __future__ import annotations

import copy
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .envelopes import utc_now
from .errors import AwsRefusal
from .export_options import AwsActorConfig, ExportOptions
from .export_validation import ExportRequest
from .store import OutputStore

if TYPE_CHECKING:
    from .aws_actor import BitmovinAwsActor, ExportSession

Clock = Callable[[], float]
HOUR = timedelta(hours=1)
EXTENSIONS = {"CSV": ("csv", "text/csv"), "PARQUET": ("parquet", "application/vnd.apache.parquet")}


@dataclass
class ForcedError:
    """An ERROR the next ``times`` tasks end in when they start (a fault hook for tests)."""

    code: str
    message: str
    service: str | None = None
    operation: str | None = None
    diagnosis: str | None = None
    times: int | None = 1
    hits: int = 0

    def as_error(self) -> dict[str, str]:
        error = {"code": self.code, "message": self.message}
        for name in ("service", "operation", "diagnosis"):
            value = getattr(self, name)
            if value:
                error[name] = value
        return error


@dataclass
class _Task:
    """One task: its API body plus the lifecycle state the API does not show."""

    body: dict[str, Any]
    org_id: str
    hours: list[datetime]
    created: float
    started: float | None = None
    written: list[str] = field(default_factory=list)
    error: dict[str, str] | None = None
    session: ExportSession | None = None

    @property
    def terminal(self) -> bool:
        return self.body["status"] in ("FINISHED", "ERROR")


def hours_between(start: datetime, end: datetime) -> list[datetime]:
    """Start of every clock hour that overlaps ``[start, end)``: one export file each."""
    hour = start.replace(minute=0, second=0, microsecond=0)
    hours = []
    while hour < end:
        hours.append(hour)
        hour += HOUR
    return hours


def object_prefix(output_path: str) -> str:
    """``outputPath`` as an S3 key prefix: no leading ``/``, one trailing ``/`` (empty = bucket root)."""
    path = output_path.strip().lstrip("/")
    return path if not path or path.endswith("/") else path + "/"


class ExportTasks:
    """The export tasks of every organization; thread-safe (one lock, held while a task steps)."""

    def __init__(
        self,
        outputs: OutputStore,
        options: Callable[[], ExportOptions],
        clock: Clock = time.monotonic,
    ) -> None:
        self._outputs = outputs
        self._options = options
        self._default_clock = clock
        self.clock: Clock = clock
        self._lock = threading.RLock()
        self._tasks: dict[str, _Task] = {}
        self._forced: list[ForcedError] = []
        self._actors: dict[AwsActorConfig, BitmovinAwsActor] = {}

    # -- API operations --------------------------------------------------------------------------

    def create(self, request: ExportRequest, org_id: str) -> dict[str, Any]:
        """Store a QUEUED task (the caller checked that the output exists)."""
        body = {
            "id": str(uuid.uuid4()),
            **copy.deepcopy(request.fields),
            "progress": 0,
            "status": "QUEUED",
        }
        with self._lock:
            task = _Task(body, org_id, hours_between(request.start, request.end), self.clock())
            self._tasks[body["id"]] = task
            return self.view(task)

    def get(self, task_id: str, org_id: str) -> dict[str, Any] | None:
        """The task as the API shows it, or None if this organization has no such task."""
        with self._lock:
            task = self._tasks.get(task_id)
            return self.view(task) if task is not None and task.org_id == org_id else None

    def list(self, org_id: str) -> list[dict[str, Any]]:
        """This organization's tasks in creation order."""
        with self._lock:
            return [self.view(task) for task in self._tasks.values() if task.org_id == org_id]

    def view(self, task: _Task) -> dict[str, Any]:
        options = self._options()
        body = copy.deepcopy(task.body)
        if not options.echo_license_key:
            body.pop("licenseKey", None)
        if task.error is not None and options.error_details:
            body["error"] = dict(task.error)
        return body

    # -- test hooks ------------------------------------------------------------------------------

    def force_error(
        self,
        code: str = "InternalError",
        message: str = "The export failed (injected by the emulator)",
        *,
        service: str | None = None,
        operation: str | None = None,
        diagnosis: str | None = None,
        times: int | None = 1,
    ) -> ForcedError:
        """Make the next ``times`` tasks (None = all) end in ERROR with this error when they start."""
        forced = ForcedError(code, message, service, operation, diagnosis, times)
        with self._lock:
            self._forced.append(forced)
        return forced

    def step(self) -> None:
        """Move every unfinished task one step, due or not."""
        self._advance(force=True)

    def advance(self) -> None:
        """Move every task whose next step is due by the clock (one step at most)."""
        self._advance(force=False)

    def raw(self, task_id: str) -> dict[str, Any] | None:
        """Everything stored about a task, for tests: body, written keys, error, org."""
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None:
                return None
            return {"body": copy.deepcopy(task.body), "written": list(task.written), "org_id": task.org_id}

    def reset(self) -> None:
        """Forget tasks and forced errors; restore the default clock."""
        with self._lock:
            self._tasks.clear()
            self._forced.clear()
            self._actors.clear()
            self.clock = self._default_clock

    def __len__(self) -> int:
        with self._lock:
            return len(self._tasks)

    # -- lifecycle -------------------------------------------------------------------------------

    def _advance(self, *, force: bool) -> None:
        options = self._options()
        with self._lock:
            now = self.clock()
            for task in list(self._tasks.values()):
                if task.terminal:
                    continue
                if task.started is None:
                    if force or now - task.created >= options.queue_seconds:
                        self._start(task, now, options)
                    continue
                due = task.started + (len(task.written) + 1) * options.hour_seconds
                if force or now >= due:
                    self._write_next(task, options)

    def _start(self, task: _Task, now: float, options: ExportOptions) -> None:
        task.started = now
        task.body.update(status="STARTED", startedAt=utc_now(), progress=0)
        forced = self._take_forced()
        if forced is not None:
            self._fail(task, forced.as_error())
            return
        output_id = task.body["output"]["outputId"]
        output = self._outputs.get(output_id, task.org_id)
        if output is None:
            self._fail(
                task,
                {"code": "OutputNotFound", "message": f"Analytics output {output_id} no longer exists"},
            )
            return
        if options.aws is None:
            return
        try:
            task.session = self._actor(options.aws).open(
                role_arn=output.get("roleArn", ""),
                external_id=output.get("externalId"),
                bucket=output.get("bucketName", ""),
                session_name=f"bitmovin-analytics-export-{task.body['id'][:8]}",
            )
        except AwsRefusal as refusal:
            self._fail(task, refusal.as_error())

    def _write_next(self, task: _Task, options: ExportOptions) -> None:
        index = len(task.written)
        hour = task.hours[index]
        extension, content_type = EXTENSIONS[task.body.get("fileFormat", "CSV")]
        prefix = object_prefix(task.body["output"]["outputPath"])
        key = f"{prefix}{hour.strftime(options.file_name)}.{extension}"
        if options.aws is not None and task.session is not None:
            actor = self._actor(options.aws)
            try:
                actor.write(
                    task.session,
                    key,
                    _file_body(hour, extension),
                    content_type=content_type,
                    acl=options.object_acl,
                )
                if index + 1 == len(task.hours):
                    actor.confirm(task.session, prefix, [*task.written, key])
            except AwsRefusal as refusal:
                self._fail(task, refusal.as_error())
                return
        task.written.append(key)
        if len(task.written) == len(task.hours):
            task.body.update(status="FINISHED", progress=100, finishedAt=utc_now())
            task.session = None
        else:
            task.body["progress"] = 100 * len(task.written) // len(task.hours)

    def _fail(self, task: _Task, error: dict[str, str]) -> None:
        task.error = error
        task.session = None
        task.body.update(status="ERROR", finishedAt=utc_now())

    def _take_forced(self) -> ForcedError | None:
        for forced in self._forced:
            if forced.times is None or forced.hits < forced.times:
                forced.hits += 1
                return forced
        return None

    def _actor(self, config: AwsActorConfig) -> BitmovinAwsActor:
        actor = self._actors.get(config)
        if actor is None:
            from .aws_actor import BitmovinAwsActor

            actor = self._actors[config] = BitmovinAwsActor(config)
        return actor


def _file_body(hour: datetime, extension: str) -> bytes:
    """A small stand-in for one hour of data (the emulator has no Analytics data to export)."""
    stamp = hour.strftime("%Y-%m-%dT%H:%M:%SZ")
    if extension == "csv":
        return f"hour,source\n{stamp},dev.bitmovin_emulator\n".encode()
    return f"dev.bitmovin_emulator placeholder for {stamp}\n".encode()
