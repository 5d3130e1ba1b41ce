"""Layer 2: the project's export tasks client (``verify.export_tasks``) against the emulator:
request shape, UTC times, paging, retries only for GET, and no key in any error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bitmovin_api.client import BitmovinClient
from bitmovin_api.errors import BitmovinApiError
from bitmovin_api.http_policy import HttpPolicy
from verify.export_tasks import (
    ExportTask,
    ExportTaskRequest,
    ExportTasksClient,
    format_time,
    parse_time,
)

pytestmark = pytest.mark.layer2

KEY = "export-client-key-6d0f"
LICENSE = "lic-export-client-90ab"
ORG = "2f0c4c7e-1b1a-4d5e-9f8a-0b1c2d3e4f5a"
ROLE = "arn:aws:iam::123456789012:role/bitmovin-analytics-export"
START = datetime(2026, 3, 1, 10, tzinfo=UTC)
FAST = HttpPolicy(
    connect_timeout=2, read_timeout=2, max_retries=2, retry_budget_seconds=3, backoff_factor=0.01
)


@pytest.fixture
def client(emulator):
    emulator.options.exports.queue_seconds = emulator.options.exports.hour_seconds = 0
    return ExportTasksClient(BitmovinClient(KEY, base_url=emulator.base_url, tenant_org_id=ORG, http=FAST))


@pytest.fixture
def output_id(emulator):
    return emulator.outputs.create({"bucketName": "acme", "roleArn": ROLE, "externalIdMode": "GLOBAL"}, ORG)[
        "id"
    ]


def request_for(output, **overrides):
    fields: dict = {
        "name": "verify",
        "start_time": START,
        "end_time": START + timedelta(hours=1),
        "output_id": output,
        "output_path": "analytics/verify/",
        "license_key": LICENSE,
    }
    fields.update(overrides)
    return ExportTaskRequest(**fields)


def test_create_sends_the_documented_body_in_utc(emulator, client, output_id):
    cet = timezone(timedelta(hours=1))
    task = client.create(
        request_for(
            output_id,
            start_time=datetime(2026, 3, 1, 11, tzinfo=cet),
            end_time=datetime(2026, 3, 1, 12, tzinfo=cet),
            file_format="CSV",
            export_type="SESSIONS",
            columns=("impression_id",),
        )
    )
    assert task.status == "QUEUED"
    assert task.start_time == START
    record = emulator.requests.filter("export_create")[0]
    assert record.method == "POST"
    assert record.path == "/v1/analytics/exports"
    assert record.headers["X-Tenant-Org-Id"] == ORG
    assert record.body == {
        "name": "verify",
        "startTime": "2026-03-01T10:00:00.000Z",
        "endTime": "2026-03-01T11:00:00.000Z",
        "licenseKey": "[secret]",
        "output": {"outputId": output_id, "outputPath": "analytics/verify/"},
        "type": "SESSIONS",
        "fileFormat": "CSV",
        "columns": ["impression_id"],
    }


def test_get_and_list(client, output_id):
    created = client.create(request_for(output_id))
    assert client.get(created.id).status == "STARTED"
    finished = client.get(created.id)
    assert (finished.status, finished.progress, finished.terminal) == ("FINISHED", 100, True)
    assert finished.output_id == output_id
    assert finished.output_path == "analytics/verify/"
    more = [client.create(request_for(output_id, name=f"n{i}")).id for i in range(4)]
    page = client.list(offset=1, limit=2)
    assert (page.total_count, page.offset, page.limit) == (5, 1, 2)
    assert [task.id for task in page.items] == more[:2]
    assert [task.id for task in client.iter_tasks(page_size=2)] == [created.id, *more]


def test_license_key_never_kept(client, output_id):
    request = request_for(output_id)
    assert LICENSE not in repr(request)
    task = client.create(request)
    assert "licenseKey" not in task.raw
    assert LICENSE not in repr(task)
    assert LICENSE not in repr(task.raw)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"start_time": datetime(2026, 3, 1, 10)}, "startTime"),  # naive
        ({"end_time": START}, "endTime"),
        ({"license_key": ""}, "licenseKey"),
        ({"output_id": "../outputs"}, "output.outputId"),
        ({"output_path": " "}, "output.outputPath"),
        ({"name": ""}, "name"),
        ({"file_format": "XLSX"}, "fileFormat"),
        ({"export_type": "VIEWS"}, "type"),
    ],
)
def test_bad_requests_fail_before_any_call(emulator, client, output_id, overrides, field):
    with pytest.raises(ValueError, match=f"^invalid export task: {field}:"):
        client.create(request_for(output_id, **overrides))
    assert len(emulator.requests) == 0


def test_naive_times_cannot_be_formatted():
    with pytest.raises(ValueError, match="timezone-aware"):
        format_time(datetime(2026, 3, 1))
    assert format_time(datetime(2026, 3, 1, 10, 30, 5, 123456, tzinfo=UTC)) == "2026-03-01T10:30:05.123Z"
    assert parse_time("2026-03-01T10:00:00Z") == START
    assert parse_time("2026-03-01T11:00:00+01:00") == START
    assert parse_time("garbage") is None


def test_post_is_never_resent_but_get_is_retried(emulator, client, output_id):
    emulator.fail("export_create", 503, when="after")
    with pytest.raises(BitmovinApiError) as raised:
        client.create(request_for(output_id))
    assert raised.value.status == 503
    assert raised.value.outcome_unknown
    assert emulator.requests.count("export_create") == 1
    (task_id,) = [t["id"] for t in emulator.exports.list(ORG)]
    emulator.fail("export_get", 503, times=2)
    assert client.get(task_id).id == task_id
    assert emulator.requests.count("export_get") == 3


def test_validation_errors_name_fields_and_hide_both_keys(emulator, client):
    with pytest.raises(BitmovinApiError) as raised:
        client.create(request_for("cb90b80c-8867-4e3b-8479-174aa2843f62"))
    assert raised.value.status == 400
    assert raised.value.rejected_fields == ["output.outputId"]
    echo = {
        "requestId": "r",
        "status": "ERROR",
        "data": {
            "code": 1000,
            "message": f"bad {LICENSE}",
            "developerMessage": f"licenseKey {LICENSE} unknown",
            "details": [{"field": "licenseKey", "text": LICENSE}],
        },
    }
    emulator.fail("export_create", 400, body=echo)
    with pytest.raises(BitmovinApiError) as raised:
        client.create(request_for("cb90b80c-8867-4e3b-8479-174aa2843f62"))
    for text in (str(raised.value), repr(raised.value), repr(raised.value.__dict__)):
        assert LICENSE not in text
        assert KEY not in text
    assert "[secret]" in str(raised.value)
    assert raised.value.__context__ is None


def test_error_field_of_the_emulator_is_parsed(emulator, client, output_id):
    emulator.exports.force_error("AccessDenied", "Access Denied", service="s3", operation="PutObject")
    task = client.create(request_for(output_id))
    task = client.get(task.id)
    assert task.status == "ERROR"
    assert str(task.error) == "s3:PutObject AccessDenied: Access Denied"
    emulator.options.exports.error_details = False
    assert client.get(task.id).error is None


def test_result_without_an_id_is_an_error():
    with pytest.raises(BitmovinApiError):
        ExportTask.from_result({"status": "QUEUED"})


def test_list_limits(client):
    with pytest.raises(ValueError, match="limit"):
        client.list(limit=101)
    with pytest.raises(ValueError, match="offset"):
        client.list(offset=-1)
