"""Layer 2: the emulator's Analytics export tasks over real HTTP (no AWS): validation, organizations,
lifecycle and pace on an injected clock, fault hooks, switches for the UNCONFIRMED points, paging."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from bitmovin_api.redaction import SECRET_MASK
from dev.support import REPO_ROOT

pytestmark = pytest.mark.layer2

KEY = "exports-key-81c2"
ORG = "0d9c6f1e-3b7a-4c2e-8f5d-1a2b3c4d5e6f"
OTHER_ORG = "7e6d5c4b-3a29-4817-9605-f4e3d2c1b0a9"
LICENSE = "lic-emulator-exports-77aa"
ROLE = "arn:aws:iam::123456789012:role/bitmovin-analytics-export"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(emulator):
    fake = FakeClock()
    emulator.exports.clock = fake
    return fake


def call(emulator, method, path="", org=ORG, **kwargs):
    headers = {"X-Api-Key": KEY, "X-Tenant-Org-Id": org}
    return requests.request(
        method, f"{emulator.base_url}/analytics/exports{path}", headers=headers, timeout=5, **kwargs
    )


def new_output(emulator, org=ORG):
    return emulator.outputs.create({"bucketName": "acme", "roleArn": ROLE, "externalIdMode": "GLOBAL"}, org)[
        "id"
    ]


def body_for(output_id, **overrides):
    body = {
        "name": "daily",
        "startTime": "2026-03-01T10:00:00.000Z",
        "endTime": "2026-03-01T13:00:00.000Z",
        "licenseKey": LICENSE,
        "output": {"outputId": output_id, "outputPath": "analytics/daily/"},
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def create(emulator, output_id, **overrides):
    response = call(emulator, "POST", json=body_for(output_id, **overrides))
    assert response.status_code == 201, response.text
    return response.json()["data"]["result"]


def get(emulator, task_id, org=ORG):
    response = call(emulator, "GET", f"/{task_id}", org=org)
    assert response.status_code == 200, response.text
    return response.json()["data"]["result"]


def error_fields(response):
    assert response.status_code == 400, response.text
    payload = response.json()
    assert payload["status"] == "ERROR"
    return [detail.get("field") for detail in payload["data"]["details"]]


# -- validation ---------------------------------------------------------------------------------------


def test_every_missing_required_field_is_named(emulator):
    assert error_fields(call(emulator, "POST", json={})) == [
        "name",
        "licenseKey",
        "startTime",
        "endTime",
        "output",
    ]
    fields = error_fields(call(emulator, "POST", json=body_for("x", output={})))
    assert fields == ["output.outputId", "output.outputPath"]
    assert len(emulator.exports) == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"startTime": "2026-03-01T10:00:00"}, "startTime"),  # no zone: ambiguous
        ({"endTime": "yesterday"}, "endTime"),
        ({"endTime": "2026-03-01T10:00:00Z"}, "endTime"),  # not after startTime
        ({"endTime": "2026-05-01T10:00:00Z"}, "endTime"),  # longer than max_hours
        ({"name": "  "}, "name"),
        ({"licenseKey": 42}, "licenseKey"),
        ({"type": "VIEWS"}, "type"),
        ({"fileFormat": "XLSX"}, "fileFormat"),
        ({"columns": ["a", ""]}, "columns"),
        ({"output": "out"}, "output"),
    ],
)
def test_bad_fields(emulator, overrides, field):
    output_id = new_output(emulator)
    assert error_fields(call(emulator, "POST", json=body_for(output_id, **overrides))) == [field]


def test_body_must_be_an_object(emulator):
    assert error_fields(call(emulator, "POST", json=[1])) == [None]


def test_output_must_exist_in_the_callers_organization(emulator):
    elsewhere = new_output(emulator, OTHER_ORG)
    response = call(emulator, "POST", json=body_for(elsewhere))
    assert error_fields(response) == ["output.outputId"]
    assert OTHER_ORG not in response.json()["data"]["details"][0]["text"]
    assert create(emulator, new_output(emulator))["status"] == "QUEUED"


def test_license_keys_switch(emulator):
    emulator.options.exports.license_keys = {"the-license"}
    output_id = new_output(emulator)
    assert error_fields(call(emulator, "POST", json=body_for(output_id))) == ["licenseKey"]
    assert create(emulator, output_id, licenseKey="the-license")["status"] == "QUEUED"


def test_times_are_normalized_to_utc(emulator):
    task = create(emulator, new_output(emulator), startTime="2026-03-01T12:00:00+02:00")
    assert task["startTime"] == "2026-03-01T10:00:00.000Z"
    assert task["endTime"] == "2026-03-01T13:00:00.000Z"


# -- lifecycle ----------------------------------------------------------------------------------------


def test_lifecycle_follows_the_clock_one_step_per_poll(emulator, clock):
    emulator.options.exports.queue_seconds = 30
    emulator.options.exports.hour_seconds = 10
    task = create(emulator, new_output(emulator))  # three hours
    assert (task["status"], task["progress"]) == ("QUEUED", 0)
    assert "startedAt" not in task
    assert "finishedAt" not in task
    clock.now += 29
    assert get(emulator, task["id"])["status"] == "QUEUED"
    clock.now += 1
    started = get(emulator, task["id"])
    assert (started["status"], started["progress"]) == ("STARTED", 0)
    assert started["startedAt"].endswith("Z")
    assert get(emulator, task["id"])["progress"] == 0  # nothing due yet
    clock.now += 1000  # long overdue: still one step per poll, so a poller sees progress
    assert [get(emulator, task["id"])["progress"] for _ in range(3)] == [33, 66, 100]
    finished = get(emulator, task["id"])
    assert (finished["status"], finished["progress"]) == ("FINISHED", 100)
    assert finished["finishedAt"] >= finished["startedAt"]
    assert emulator.exports.raw(task["id"])["written"] == [
        "analytics/daily/2026-03-01-10-00.csv",
        "analytics/daily/2026-03-01-11-00.csv",
        "analytics/daily/2026-03-01-12-00.csv",
    ]


def test_without_auto_advance_only_step_moves_tasks(emulator, clock):
    emulator.options.exports.auto_advance = False
    task = create(emulator, new_output(emulator), endTime="2026-03-01T11:00:00Z")
    clock.now += 10_000
    assert get(emulator, task["id"])["status"] == "QUEUED"
    emulator.exports.step()
    assert get(emulator, task["id"])["status"] == "STARTED"
    emulator.exports.step()
    assert get(emulator, task["id"])["status"] == "FINISHED"
    emulator.exports.step()  # finished tasks stay finished
    assert get(emulator, task["id"])["progress"] == 100


def test_forced_error_and_the_error_details_switch(emulator):
    emulator.exports.force_error(
        "AccessControlListNotSupported", "The bucket does not allow ACLs", service="s3", operation="PutObject"
    )
    output_id = new_output(emulator)
    failed = create(emulator, output_id)
    emulator.exports.step()
    task = get(emulator, failed["id"])
    assert task["status"] == "ERROR"
    assert task["error"] == {
        "code": "AccessControlListNotSupported",
        "message": "The bucket does not allow ACLs",
        "service": "s3",
        "operation": "PutObject",
    }
    emulator.options.exports.error_details = False
    assert "error" not in get(emulator, failed["id"])
    ok = create(emulator, output_id)  # the fault applied once
    emulator.exports.step()
    emulator.exports.step()
    emulator.exports.step()
    emulator.exports.step()
    assert get(emulator, ok["id"])["status"] == "FINISHED"


def test_output_deleted_before_start_ends_in_error(emulator):
    output_id = new_output(emulator)
    task = create(emulator, output_id)
    emulator.outputs.delete(output_id, ORG)
    emulator.exports.step()
    task = get(emulator, task["id"])
    assert task["status"] == "ERROR"
    assert task["error"]["code"] == "OutputNotFound"


def test_license_key_echo_switch_and_log_redaction(emulator):
    task = create(emulator, new_output(emulator))
    assert task["licenseKey"] == LICENSE
    emulator.options.exports.echo_license_key = False
    assert "licenseKey" not in get(emulator, task["id"])
    assert emulator.requests.filter("export_create")[0].body["licenseKey"] == SECRET_MASK
    assert LICENSE not in repr(list(emulator.requests))


# -- get, list, organizations ---------------------------------------------------------------------------


def test_tasks_are_private_to_their_organization(emulator):
    task = create(emulator, new_output(emulator))
    assert call(emulator, "GET", f"/{task['id']}", org=OTHER_ORG).status_code == 404
    other = call(emulator, "GET", org=OTHER_ORG).json()["data"]["result"]
    assert other["totalCount"] == 0
    assert other["items"] == []


def test_unknown_task_and_wrong_method(emulator):
    response = call(emulator, "GET", "/cb90b80c-8867-4e3b-8479-174aa2843f62")
    assert response.status_code == 404
    assert response.json()["status"] == "ERROR"
    response = call(emulator, "DELETE", "/cb90b80c-8867-4e3b-8479-174aa2843f62")
    assert response.status_code == 405  # no delete or cancel
    assert response.headers["Allow"] == "GET"


def test_list_pages_with_links(emulator):
    output_id = new_output(emulator)
    ids = [create(emulator, output_id, name=f"t{i}")["id"] for i in range(5)]
    page = call(emulator, "GET", params={"offset": 2, "limit": 2}).json()["data"]["result"]
    assert (page["totalCount"], page["offset"], page["limit"]) == (5, 2, 2)
    assert [item["id"] for item in page["items"]] == ids[2:4]
    assert "offset=4" in page["next"]
    assert "offset=0" in page["previous"]
    default = call(emulator, "GET").json()["data"]["result"]
    assert (default["offset"], default["limit"], len(default["items"])) == (0, 25, 5)
    assert error_fields(call(emulator, "GET", params={"limit": 101})) == ["limit"]


def test_faults_target_export_routes_by_name(emulator):
    output_id = new_output(emulator)
    emulator.fail("export_create", 503, when="after")
    assert call(emulator, "POST", json=body_for(output_id)).status_code == 503
    assert len(emulator.exports) == 1  # "after": the task exists although the client saw 503
    assert emulator.requests.count("export_create") == 1


def test_the_emulator_imports_boto3_only_when_acting_toward_aws():
    """boto3 is a dev requirement; the emulator started without --aws-endpoint-url must not need it."""
    code = "import sys, dev.bitmovin_emulator.cli; print('boto3' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
