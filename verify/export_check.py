"""``--export``: let Bitmovin write one hour of data under ``<prefix>verify/`` and confirm it landed.

1. Create an export task for the last complete hour that ended at least an hour ago (recent data may
   still be processed), into ``<prefix>verify/<UTC timestamp>/``.
2. Poll it (``GET`` only; the create is never re-sent) with a progress line per change on stderr, until
   FINISHED, ERROR or the timeout.
3. FINISHED: list the path with S3 and require at least one file.
4. ERROR: name the likely cause and fix (``verify.diagnosis``). If that cause is IAM propagation right
   after ``pulumi up``, start a new task after a backoff (15 s, doubling, at most 2 min between
   attempts) until ``retry_seconds`` are spent.

The license key is only sent in the create request; it is never printed or stored.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from botocore.exceptions import NoCredentialsError

from bitmovin_api.errors import BitmovinApiError
from verify.export_tasks import ExportTask, ExportTaskRequest, ExportTasksClient

from .aws_clients import AWS_ERRORS, aws_error
from .checklist import Check, failed, passed, skipped
from .diagnosis import Facts, diagnose
from .stack import Deployment
from .untrusted import escape

SECTION = "Export (--export)"
MAX_BACKOFF = 120.0
VERIFY_FOLDER = "verify/"
"""Where under the export prefix the test exports go; the consumer example's crawler excludes it."""
NO_CREDENTIALS = "not checked: no AWS credentials (see above)"


@dataclass(frozen=True)
class ExportSettings:
    license_key: str = field(repr=False)
    poll_seconds: float = 10.0
    timeout_seconds: float = 1800.0
    retry_seconds: float = 300.0
    first_backoff_seconds: float = 15.0


def export_window(now: datetime) -> tuple[datetime, datetime]:
    """The last whole UTC hour that ended at least one hour before ``now``."""
    end = (now.astimezone(UTC) - timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    return end - timedelta(hours=1), end


@dataclass
class ExportProof:
    """Runs the export and turns its outcome into checklist lines."""

    tasks: ExportTasksClient
    s3: Any
    deployment: Deployment
    settings: ExportSettings
    facts: Callable[[], Facts]
    _: dataclasses.KW_ONLY
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    progress: TextIO = sys.stderr
    show: Callable[[str], str] = escape
    """How a progress line is printed (verify.untrusted: masked and escaped)."""

    def run(self) -> list[Check]:
        d, settings = self.deployment, self.settings
        start, end = export_window(self.now())
        stamp = self.now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        retry_until = self.clock() + settings.retry_seconds
        backoff = settings.first_backoff_seconds
        attempt = 1
        while True:
            path = f"{d.export_prefix}{VERIFY_FOLDER}{stamp}" + (f"-{attempt}" if attempt > 1 else "") + "/"
            request = ExportTaskRequest(
                name=f"verify {d.stack or d.bucket_name} {stamp}",
                description="Written by `venv/bin/python -m verify --export` to prove that Bitmovin can write here",
                start_time=start,
                end_time=end,
                output_id=d.output_id,
                output_path=path,
                license_key=settings.license_key,
            )
            title = f"export task for {start:%Y-%m-%d %H:00}-{end:%H:00} UTC into s3://{d.bucket_name}/{path}"
            try:
                task = self.tasks.create(request)
            except (BitmovinApiError, ValueError) as error:
                return [
                    failed(
                        "export.task", SECTION, title, f"could not be created: {error}", _create_fix(error)
                    )
                ]
            self._say(f"export task {task.id} created (attempt {attempt}): {task.status}")
            started = self.clock()
            try:
                final = self._poll(task)
            except BitmovinApiError as error:
                return [
                    failed(
                        "export.task",
                        SECTION,
                        title,
                        f"lost track of task {task.id}: {error}",
                        "run verify again",
                    )
                ]
            waited = self.clock() - started
            if not final.terminal:
                return [
                    failed(
                        "export.task",
                        SECTION,
                        title,
                        f"task {final.id} still {final.status} ({final.progress or 0}%) after {waited:.0f} s",
                        "Bitmovin keeps running it: run again with a larger --export-timeout, or look the task up later",
                    )
                ]
            if final.status == "FINISHED":
                detail = f"task {final.id} FINISHED after {waited:.0f} s" + (
                    f", attempt {attempt}" if attempt > 1 else ""
                )
                return [passed("export.task", SECTION, title, detail), self._confirm(path)]
            cause = diagnose(final.error, self.facts())
            # The task's own reason, without an emulator's diagnosis (the checks above explain it).
            reported = f" [{dataclasses.replace(final.error, diagnosis=None)}]" if final.error else ""
            if cause.retry and self.clock() + backoff <= retry_until:
                self._say(f"task {final.id} ended in ERROR: {cause.title}; new attempt in {backoff:.0f} s")
                self.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                attempt += 1
                continue
            tries = f" after {attempt} attempts" if attempt > 1 else ""
            return [
                failed(
                    "export.task",
                    SECTION,
                    title,
                    f"task {final.id} ended in ERROR{tries}: likely cause: {cause.title}{reported}",
                    cause.fix,
                )
            ]

    def _poll(self, task: ExportTask) -> ExportTask:
        started = self.clock()
        shown = (task.status, task.progress)
        while not task.terminal and self.clock() - started < self.settings.timeout_seconds:
            self.sleep(self.settings.poll_seconds)
            task = self.tasks.get(task.id)
            if (task.status, task.progress) != shown:
                shown = (task.status, task.progress)
                percent = (
                    f" {task.progress}%" if task.status == "STARTED" and task.progress is not None else ""
                )
                self._say(f"export task {task.id}: {task.status}{percent}")
        return task

    def _confirm(self, path: str) -> Check:
        d = self.deployment
        title = f"files landed under s3://{d.bucket_name}/{path}"
        try:
            pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=d.bucket_name, Prefix=path)
            keys = [item["Key"] for page in pages for item in page.get("Contents", [])]
        except AWS_ERRORS as error:
            if isinstance(error, NoCredentialsError):
                return skipped("export.files", SECTION, title, NO_CREDENTIALS)
            code, message = aws_error(error)
            return failed(
                "export.files",
                SECTION,
                title,
                f"{code}: {message}",
                "the credentials running verify need s3:ListBucket",
            )
        if not keys:
            return failed(
                "export.files",
                SECTION,
                title,
                "Bitmovin reported FINISHED but nothing is there",
                "check that the output points at this bucket; if the license had no data in that hour, "
                "Bitmovin may write nothing: run verify --export again later",
            )
        shown = ", ".join(key.removeprefix(path) for key in keys[:3]) + (" …" if len(keys) > 3 else "")
        return passed("export.files", SECTION, title, f"{len(keys)} file(s): {shown}")

    def _say(self, line: str) -> None:
        print(f"  … {self.show(line)}", file=self.progress, flush=True)


def _create_fix(error: Exception) -> str:
    if isinstance(error, BitmovinApiError):
        if "licenseKey" in error.rejected_fields:
            return "pass an Analytics license key of this organization (--license-key or BITMOVIN_ANALYTICS_LICENSE_KEY)"
        if "output.outputId" in error.rejected_fields:
            return "the output is not in this organization: check tenantOrgId, or run `pulumi up --refresh`"
        if error.status == 401:
            return "set BITMOVIN_API_KEY"
    return "check the Bitmovin API key, organization and license key, then run verify again"
