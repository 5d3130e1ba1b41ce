"""Layer 2: the official Python SDK (``bitmovin_api_sdk``, ``analytics.exports``) creates, gets and lists
export tasks against the emulator: an independent check that the emulator speaks the real protocol."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from bitmovin_api_sdk import (
    AnalyticsExportFileFormat,
    AnalyticsExportStatus,
    AnalyticsExportTask,
    AnalyticsExportTaskListQueryParams,
    AnalyticsExportTaskOutputTarget,
    AnalyticsExportType,
    BitmovinApi,
    BitmovinError,
)

pytestmark = pytest.mark.layer2

KEY = "sdk-exports-key-3e9a"
ORG = "2c4e6a8b-0d1f-4a3c-9e5b-7d9f1b3d5f7a"
LICENSE = "lic-sdk-2b8c"
ROLE = "arn:aws:iam::123456789012:role/bitmovin-analytics-export"


@pytest.fixture
def exports_api(emulator):
    emulator.options.exports.queue_seconds = emulator.options.exports.hour_seconds = 0
    return BitmovinApi(api_key=KEY, tenant_org_id=ORG, base_url=emulator.base_url).analytics.exports


@pytest.fixture
def output_id(emulator):
    return emulator.outputs.create({"bucketName": "acme", "roleArn": ROLE, "externalIdMode": "GLOBAL"}, ORG)[
        "id"
    ]


def new_task(output_id, **overrides):
    fields = {
        "name": "sdk export",
        "description": "one hour",
        "start_time": datetime(2026, 3, 1, 10, tzinfo=UTC),
        "end_time": datetime(2026, 3, 1, 11, tzinfo=UTC),
        "license_key": LICENSE,
        "output": AnalyticsExportTaskOutputTarget(output_id=output_id, output_path="analytics/sdk/"),
        "type_": AnalyticsExportType.SESSIONS,
        "file_format": AnalyticsExportFileFormat.CSV,
        **overrides,
    }
    return AnalyticsExportTask(**fields)


def test_sdk_creates_gets_and_lists_export_tasks(emulator, exports_api, output_id):
    created = exports_api.create(new_task(output_id))
    assert isinstance(created, AnalyticsExportTask)
    assert created.id
    assert created.status == AnalyticsExportStatus.QUEUED
    assert created.progress == 0
    assert created.start_time == datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert created.output.output_id == output_id
    assert created.output.output_path == "analytics/sdk/"
    assert created.type == AnalyticsExportType.SESSIONS
    assert created.file_format == AnalyticsExportFileFormat.CSV

    record = emulator.requests.filter("export_create")[0]
    assert record.body["startTime"] == "2026-03-01T10:00:00.000Z"  # what the SDK sends
    assert record.headers["X-Tenant-Org-Id"] == ORG

    statuses = [exports_api.get(created.id).status for _ in range(2)]
    assert statuses == [AnalyticsExportStatus.STARTED, AnalyticsExportStatus.FINISHED]
    finished = exports_api.get(created.id)
    assert finished.progress == 100
    assert isinstance(finished.started_at, datetime)
    assert isinstance(finished.finished_at, datetime)

    second = exports_api.create(new_task(output_id, name="second"))
    page = exports_api.list(AnalyticsExportTaskListQueryParams(offset=0, limit=1))
    assert page.total_count == 2
    assert [task.id for task in page.items] == [created.id]
    assert page.next
    rest = exports_api.list(AnalyticsExportTaskListQueryParams(offset=1, limit=1))
    assert [task.id for task in rest.items] == [second.id]


def test_sdk_parses_an_error_task(emulator, exports_api, output_id):
    emulator.exports.force_error("AccessDenied", "Access Denied", service="s3", operation="PutObject")
    created = exports_api.create(new_task(output_id))
    assert (
        exports_api.get(created.id).status == AnalyticsExportStatus.ERROR
    )  # the extra `error` field is ignored


def test_sdk_sees_validation_errors_with_fields(emulator, exports_api, output_id):
    with pytest.raises(BitmovinError) as raised:
        exports_api.create(AnalyticsExportTask(name="incomplete"))
    error = raised.value
    assert error.http_status_code == 400
    assert [detail.field for detail in error.details] == ["licenseKey", "startTime", "endTime", "output"]
    with pytest.raises(BitmovinError) as raised:
        exports_api.create(new_task("cb90b80c-8867-4e3b-8479-174aa2843f62"))
    assert [detail.field for detail in raised.value.details] == ["output.outputId"]
    assert len(emulator.exports) == 0


def test_sdk_not_found(exports_api):
    with pytest.raises(BitmovinError) as raised:
        exports_api.get("cb90b80c-8867-4e3b-8479-174aa2843f62")
    assert raised.value.http_status_code == 404
