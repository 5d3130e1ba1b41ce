"""The emulator over raw HTTP: routes, envelopes, validation, auth, options, faults, CLI."""

import json
import re
import signal
import subprocess
import sys
import time
import uuid

import pytest
import requests

from bitmovin_api.redaction import SECRET_MASK
from dev.bitmovin_emulator import DEFAULT_ORG_ID, EmulatorServer
from dev.bitmovin_emulator.cli import build_parser, options_from_args
from dev.bitmovin_emulator.validation import AWS_CLOUD_REGIONS
from dev.support import REPO_ROOT

pytestmark = pytest.mark.layer2

COLLECTION = "/analytics/outputs/s3-role-based"
KEY = "test-key-3f9a1c"
ROLE = "arn:aws:iam::123456789012:role/BitmovinAnalyticsExport"
ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
ORG_A = "5b0f4c2e-8a61-4d7e-9c3b-0a1e2f3d4c5b"
ORG_B = "9e8d7c6b-5a49-4382-b716-0f1e2d3c4b5a"


def call(emulator, method, path=COLLECTION, *, key=KEY, org=None, timeout=5.0, headers=None, **kwargs):
    """One raw HTTP request to the emulator (``path`` relative to the /v1 base URL)."""
    all_headers = dict(headers or {})
    if key is not None:
        all_headers["X-Api-Key"] = key
    if org is not None:
        all_headers["X-Tenant-Org-Id"] = org
    return requests.request(method, emulator.base_url + path, headers=all_headers, timeout=timeout, **kwargs)


def create(emulator, org=None, **fields):
    """POST a valid output (fields override the defaults); returns the response."""
    body = {"bucketName": "bucket", "roleArn": ROLE, "type": "S3_ROLE_BASED", **fields}
    return call(emulator, "POST", json=body, org=org)


def result(response):
    """``data.result`` of a SUCCESS envelope."""
    payload = response.json()
    assert payload["status"] == "SUCCESS", payload
    return payload["data"]["result"]


def assert_error(response, status, code=None):
    """Check an ERROR envelope and return its ``data``."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    payload = response.json()
    assert set(payload) == {"requestId", "status", "data"}
    assert payload["status"] == "ERROR"
    uuid.UUID(payload["requestId"])
    data = payload["data"]
    assert {"code", "message", "developerMessage", "details", "links"} <= set(data)
    assert isinstance(data["code"], int)
    assert data["message"]
    assert data["developerMessage"]
    if code is not None:
        assert data["code"] == code
    for detail in data["details"]:
        assert detail["type"] == "ERROR"
        assert {"id", "date", "text"} <= set(detail)
    return data


def fields_of(data):
    return {d.get("field") for d in data["details"]}


# --- routes and envelopes -------------------------------------------------------


def test_create_returns_201_and_the_full_output(emulator):
    response = create(
        emulator,
        name="exports",
        description="d",
        customData={"k": "v"},
        acl=[{"permission": "PRIVATE"}],
        externalIdMode="CUSTOM",
        externalId="ext-1",
        md5MetaTag="md5",
        cloudRegion="EU_WEST_1",
        signatureVersion="S3_V4",
    )
    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/json"
    payload = response.json()
    assert set(payload) == {"requestId", "status", "data"}
    uuid.UUID(payload["requestId"])
    assert payload["data"]["messages"] == []
    output = payload["data"]["result"]
    uuid.UUID(output["id"])
    assert ISO_Z.match(output["createdAt"])
    assert output["createdAt"] == output["modifiedAt"]
    expected = {
        "type": "S3_ROLE_BASED",
        "name": "exports",
        "description": "d",
        "bucketName": "bucket",
        "roleArn": ROLE,
        "acl": [{"permission": "PRIVATE"}],
        "externalIdMode": "CUSTOM",
        "externalId": "ext-1",
        "md5MetaTag": "md5",
        "cloudRegion": "EU_WEST_1",
        "signatureVersion": "S3_V4",
    }
    assert {k: output[k] for k in expected} == expected
    assert "customData" not in output  # echo_custom_data is off by default
    assert emulator.outputs.get(output["id"])["customData"] == {"k": "v"}


def test_create_defaults_external_id_mode_to_custom_without_external_id(emulator):
    output = result(create(emulator))
    assert output["externalIdMode"] == "CUSTOM"
    assert "externalId" not in output


def test_read_only_and_unknown_fields_in_create_are_ignored(emulator):
    output = result(create(emulator, id="mine", createdAt="2000-01-01T00:00:00Z", bogus=1))
    assert output["id"] != "mine"
    assert output["createdAt"] != "2000-01-01T00:00:00Z"
    assert "bogus" not in output


def test_get_returns_the_stored_output(emulator):
    created = result(create(emulator, name="n", acl=[{"permission": "PUBLIC_READ", "scope": "x"}]))
    response = call(emulator, "GET", f"{COLLECTION}/{created['id']}")
    assert response.status_code == 200
    assert result(response) == created


def test_delete_answers_the_id_and_removes_the_output(emulator):
    created = result(create(emulator))
    response = call(emulator, "DELETE", f"{COLLECTION}/{created['id']}")
    assert response.status_code == 200
    assert result(response) == {"id": created["id"]}
    assert len(emulator.outputs) == 0
    assert_error(call(emulator, "GET", f"{COLLECTION}/{created['id']}"), 404)
    assert_error(call(emulator, "DELETE", f"{COLLECTION}/{created['id']}"), 404)


def test_custom_data_endpoint(emulator):
    created = result(create(emulator, customData={"team": "video", "n": [1, 2]}))
    response = call(emulator, "GET", f"{COLLECTION}/{created['id']}/customData")
    assert response.status_code == 200
    assert result(response) == {
        "customData": {"team": "video", "n": [1, 2]},
        "createdAt": created["createdAt"],
    }
    bare = result(create(emulator))
    assert result(call(emulator, "GET", f"{COLLECTION}/{bare['id']}/customData"))["customData"] == {}


@pytest.mark.parametrize(("method", "suffix"), [("GET", ""), ("DELETE", ""), ("GET", "/customData")])
def test_unknown_output_id_is_404_envelope(emulator, method, suffix):
    response = call(emulator, method, f"{COLLECTION}/{uuid.uuid4()}{suffix}")
    data = assert_error(response, 404)
    assert data["message"] == "Resource not found."
    assert response.reason == "Not Found"


def test_every_response_has_a_fresh_request_id(emulator):
    ids = {call(emulator, "GET").json()["requestId"] for _ in range(3)}
    ids.add(call(emulator, "GET", "/nope").json()["requestId"])
    assert len(ids) == 4


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
@pytest.mark.parametrize("suffix", ["", "/some-id", "/some-id/customData"])
def test_put_and_patch_are_405(emulator, method, suffix):
    response = call(emulator, method, COLLECTION + suffix, json={"bucketName": "b"})
    assert_error(response, 405)
    assert "PUT" not in response.headers["Allow"]


@pytest.mark.parametrize(
    "path",
    [
        "/encoding/outputs/s3-role-based",
        "/encoding/outputs/s3-role-based/some-id",
        "/encoding/outputs",
        "/analytics/outputs",
        "/analytics/outputs/some-id/type",
        "/analytics/outputs/s3-role-based/some-id/type",
        "/analytics/outputs/gcs-service-account",
        "/",
    ],
)
def test_paths_outside_the_contract_are_404(emulator, path):
    assert_error(call(emulator, "GET", path), 404)
    assert_error(call(emulator, "POST", path, json={"bucketName": "b", "roleArn": ROLE}), 404)
    assert len(emulator.outputs) == 0


def test_path_without_v1_prefix_is_404(emulator):
    url = emulator.base_url.removesuffix("/v1") + "/analytics/outputs/s3-role-based"
    response = requests.get(url, headers={"X-Api-Key": KEY}, timeout=5)
    assert_error(response, 404)


# --- validation -----------------------------------------------------------------


def test_missing_required_fields_are_all_reported(emulator):
    response = call(emulator, "POST", json={"name": "n"})
    data = assert_error(response, 400, 1000)
    assert fields_of(data) == {"bucketName", "roleArn"}
    assert len(emulator.outputs) == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"bucketName": ""}, "bucketName"),
        ({"bucketName": 5}, "bucketName"),
        ({"roleArn": None}, "roleArn"),
        ({"roleArn": "  "}, "roleArn"),
        ({"name": 1}, "name"),
        ({"description": ["x"]}, "description"),
        ({"externalId": 7}, "externalId"),
        ({"md5MetaTag": True}, "md5MetaTag"),
        ({"externalIdMode": "RANDOM"}, "externalIdMode"),
        ({"externalIdMode": "global"}, "externalIdMode"),
        ({"cloudRegion": "eu-west-1"}, "cloudRegion"),
        ({"signatureVersion": "V4"}, "signatureVersion"),
        ({"customData": "text"}, "customData"),
        ({"customData": [1]}, "customData"),
        ({"acl": {"permission": "PRIVATE"}}, "acl"),
        ({"acl": ["PRIVATE"]}, "acl[0]"),
        ({"acl": [{"permission": "PRIVATE"}, {"permission": "PUBLIC"}]}, "acl[1].permission"),
        ({"acl": [{}]}, "acl[0].permission"),
        ({"type": "AZURE"}, "type"),
    ],
)
def test_bad_field_is_400_with_its_name(emulator, overrides, field):
    data = assert_error(create(emulator, **overrides), 400, 1000)
    assert fields_of(data) == {field}
    assert field in data["developerMessage"]


def test_several_bad_fields_are_reported_at_once(emulator):
    response = call(emulator, "POST", json={"roleArn": 1, "cloudRegion": "X", "acl": "no"})
    assert fields_of(assert_error(response, 400, 1000)) == {"bucketName", "roleArn", "cloudRegion", "acl"}


@pytest.mark.parametrize(
    "data",
    ["{not json", "", "[1, 2]", '"text"', "null"],
    ids=["malformed", "empty", "list", "string", "null"],
)
def test_create_needs_a_json_object_body(emulator, data):
    response = call(emulator, "POST", data=data, headers={"Content-Type": "application/json"})
    assert_error(response, 400)
    assert len(emulator.outputs) == 0


def test_all_enum_values_are_accepted(emulator):
    assert len(AWS_CLOUD_REGIONS) == 16
    for region in AWS_CLOUD_REGIONS:
        assert create(emulator, cloudRegion=region).status_code == 201
    for version in ("S3_V2", "S3_V4"):
        assert create(emulator, signatureVersion=version).status_code == 201
    acl = [{"permission": "PUBLIC_READ"}, {"permission": "PRIVATE", "scope": "public"}]
    assert result(create(emulator, acl=acl))["acl"] == acl
    for mode in ("GLOBAL", "GENERATED"):
        assert result(create(emulator, externalIdMode=mode))["externalIdMode"] == mode
    assert result(create(emulator, externalIdMode="CUSTOM", externalId="x"))["externalIdMode"] == "CUSTOM"
    assert create(emulator, type=None).status_code == 201  # type is optional


# --- external IDs ---------------------------------------------------------------


def test_global_external_id_is_stable_per_org_and_differs_between_orgs(emulator):
    a1 = result(create(emulator, org=ORG_A, externalIdMode="GLOBAL"))
    a2 = result(create(emulator, org=ORG_A, externalIdMode="GLOBAL"))
    b1 = result(create(emulator, org=ORG_B, externalIdMode="GLOBAL"))
    default = result(create(emulator, externalIdMode="GLOBAL"))
    assert a1["externalId"] == a2["externalId"] == emulator.outputs.global_external_id(ORG_A)
    uuid.UUID(a1["externalId"])
    assert len({a1["externalId"], b1["externalId"], default["externalId"]}) == 3
    again = result(call(emulator, "GET", f"{COLLECTION}/{a1['id']}", org=ORG_A))
    assert again["externalId"] == a1["externalId"]


def test_generated_external_id_is_fresh_per_output(emulator):
    outputs = [result(create(emulator, externalIdMode="GENERATED")) for _ in range(3)]
    ids = {o["externalId"] for o in outputs}
    assert len(ids) == 3
    for external_id in ids:
        uuid.UUID(external_id)


@pytest.mark.parametrize("mode", ["GLOBAL", "GENERATED"])
def test_external_id_with_a_generating_mode_is_400_unless_switched_to_replace(emulator, mode):
    data = assert_error(create(emulator, externalIdMode=mode, externalId="mine"), 400, 1000)
    assert fields_of(data) == {"externalId"}
    assert len(emulator.outputs) == 0
    emulator.options.external_id_in_generated_modes = "replace"
    replaced = result(create(emulator, externalIdMode=mode, externalId="mine"))
    assert replaced["externalId"] != "mine"
    uuid.UUID(replaced["externalId"])


@pytest.mark.parametrize("external_id", [None, ""])
def test_custom_without_external_id_is_400_unless_switched_off(emulator, external_id):
    fields = {"externalIdMode": "CUSTOM"} | ({} if external_id is None else {"externalId": external_id})
    data = assert_error(create(emulator, **fields), 400, 1000)
    assert fields_of(data) == {"externalId"}
    emulator.options.require_custom_external_id = False
    assert result(create(emulator, **fields))["externalIdMode"] == "CUSTOM"


def test_custom_external_id_is_echoed(emulator):
    output = result(create(emulator, externalIdMode="CUSTOM", externalId="my-own-id"))
    assert output["externalId"] == "my-own-id"
    assert result(call(emulator, "GET", f"{COLLECTION}/{output['id']}"))["externalId"] == "my-own-id"


# --- authentication and organizations -------------------------------------------


def test_missing_or_empty_api_key_is_401(emulator):
    assert_error(call(emulator, "GET", key=None), 401)
    assert_error(call(emulator, "GET", key=""), 401)
    assert_error(create_without_key(emulator), 401)
    assert len(emulator.outputs) == 0


def create_without_key(emulator):
    return call(emulator, "POST", key=None, json={"bucketName": "b", "roleArn": ROLE})


def test_any_key_is_accepted_without_configured_keys(emulator):
    assert call(emulator, "GET", key="whatever").status_code == 200


def test_configured_api_keys_reject_other_keys(emulator):
    emulator.options.api_keys = {"good-1", "good-2"}
    assert call(emulator, "GET", key="good-2").status_code == 200
    data = assert_error(call(emulator, "GET", key="bad"), 401)
    assert data["code"] == 1002
    assert_error(call(emulator, "GET", "/encoding/outputs", key="bad"), 401)


def test_in_process_api_keys_argument():
    with EmulatorServer(api_keys=["only-key"]) as server:
        assert call(server, "GET", key="only-key").status_code == 200
        assert call(server, "GET", key="other").status_code == 401
        server.options.api_keys = None
        assert call(server, "GET", key="other").status_code == 200
        server.reset()  # restores the constructor's options
        assert call(server, "GET", key="other").status_code == 401


def test_gateway_style_401_body(emulator):
    emulator.options.unauthorized_body = "gateway"
    response = call(emulator, "GET", key=None)
    assert response.status_code == 401
    assert response.json() == {"message": "Invalid authentication credentials"}


def test_org_not_allowed_for_key_is_403(emulator):
    emulator.options.org_access = {KEY: {ORG_A}}
    assert call(emulator, "GET", org=ORG_A).status_code == 200
    assert call(emulator, "GET").status_code == 200  # own org
    data = assert_error(create(emulator, org=ORG_B), 403)
    assert "Access denied" in data["message"]
    assert "organization" in data["message"]
    assert call(emulator, "GET", key="unrestricted-key", org=ORG_B).status_code == 200
    assert len(emulator.outputs) == 0


def test_home_org_of_a_key(emulator):
    emulator.options.home_orgs = {"key-of-b": ORG_B}
    created = result(call(emulator, "POST", key="key-of-b", json={"bucketName": "b", "roleArn": ROLE}))
    assert emulator.outputs.find(created["id"])[0] == ORG_B
    assert call(emulator, "GET", f"{COLLECTION}/{created['id']}", org=ORG_B).status_code == 200
    assert call(emulator, "GET", f"{COLLECTION}/{created['id']}").status_code == 404


def test_outputs_are_isolated_per_org(emulator):
    created = result(create(emulator, org=ORG_A, name="a"))
    path = f"{COLLECTION}/{created['id']}"
    assert call(emulator, "GET", path, org=ORG_A).status_code == 200
    assert_error(call(emulator, "GET", path, org=ORG_B), 404)
    assert_error(call(emulator, "GET", path), 404)  # the key's own org
    assert_error(call(emulator, "GET", path + "/customData", org=ORG_B), 404)
    assert_error(call(emulator, "DELETE", path, org=ORG_B), 404)
    assert result(call(emulator, "GET", org=ORG_B))["totalCount"] == 0
    assert [o["id"] for o in emulator.outputs.list(ORG_A)] == [created["id"]]
    assert emulator.outputs.list() == []
    assert emulator.outputs.list(DEFAULT_ORG_ID) == []
    assert set(emulator.outputs.all()) == {ORG_A}


@pytest.mark.parametrize(
    "org", ["acme", "org-a", "5b0f4c2e8a614d7e9c3b0a1e2f3d4c5b", "{5b0f4c2e-8a61-4d7e-9c3b-0a1e2f3d4c5b}"]
)
def test_tenant_org_id_that_is_not_a_uuid_is_400_and_creates_no_organization(emulator, org):
    for response in (create(emulator, org=org), call(emulator, "GET", org=org)):
        data = assert_error(response, 400, 1001)
        assert fields_of(data) == {"X-Tenant-Org-Id"}
    assert emulator.outputs.all() == {}
    emulator.options.validate_tenant_org_id = False
    created = result(create(emulator, org=org))
    assert emulator.outputs.find(created["id"])[0] == org


def test_tenant_org_id_is_case_insensitive(emulator):
    created = result(create(emulator, org=ORG_A.upper()))
    assert emulator.outputs.find(created["id"])[0] == ORG_A
    assert call(emulator, "GET", f"{COLLECTION}/{created['id']}", org=ORG_A).status_code == 200


def test_zero_limit_is_400_unless_switched_off(emulator):
    seed(emulator, 2)
    assert fields_of(assert_error(call(emulator, "GET", params={"limit": 0}), 400, 1001)) == {"limit"}
    emulator.options.reject_zero_limit = False
    page = result(call(emulator, "GET", params={"limit": 0}))
    assert (page["totalCount"], page["limit"], page["items"]) == (2, 0, [])


# --- listing ----------------------------------------------------------------------


def seed(emulator, count, org=DEFAULT_ORG_ID, name="out"):
    return [
        emulator.outputs.create({"bucketName": "b", "roleArn": ROLE, "name": f"{name}-{i}"}, org)
        for i in range(count)
    ]


def test_list_defaults_and_links(emulator):
    seeded = seed(emulator, 30)
    page = result(call(emulator, "GET"))
    assert (page["totalCount"], page["offset"], page["limit"]) == (30, 0, 25)
    assert [o["id"] for o in page["items"]] == [o["id"] for o in seeded[:25]]
    assert "previous" not in page
    assert "offset=25" in page["next"]
    assert "limit=25" in page["next"]
    second = result(requests.get(page["next"], headers={"X-Api-Key": KEY}, timeout=5))
    assert [o["id"] for o in second["items"]] == [o["id"] for o in seeded[25:]]
    assert "next" not in second
    assert "offset=0" in second["previous"]


def test_list_items_have_the_get_shape(emulator):
    created = result(create(emulator, customData={"a": 1}, acl=[{"permission": "PRIVATE"}]))
    item = result(call(emulator, "GET"))["items"][0]
    assert item == result(call(emulator, "GET", f"{COLLECTION}/{created['id']}"))
    assert item["type"] == "S3_ROLE_BASED"


def test_list_pages_through_more_than_100_outputs(emulator):
    seeded = seed(emulator, 130)
    first = result(call(emulator, "GET", params={"limit": 100}))
    second = result(call(emulator, "GET", params={"offset": 100, "limit": 100}))
    assert first["totalCount"] == second["totalCount"] == 130
    assert len(first["items"]) == 100
    assert len(second["items"]) == 30
    ids = [o["id"] for o in first["items"] + second["items"]]
    assert ids == [o["id"] for o in seeded]
    beyond = result(call(emulator, "GET", params={"offset": 500}))
    assert beyond["items"] == []
    assert beyond["totalCount"] == 130


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 101}, "limit"),
        ({"limit": 0}, "limit"),
        ({"limit": -1}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": -5}, "offset"),
        ({"offset": "1.5"}, "offset"),
    ],
)
def test_bad_paging_params_are_400(emulator, params, field):
    data = assert_error(call(emulator, "GET", params=params), 400)
    assert fields_of(data) == {field}


def test_name_filter_substring_by_default_and_exact_when_switched(emulator):
    for name in ("exports", "exports-eu", "daily"):
        create(emulator, name=name)
    create(emulator)  # no name
    names = lambda resp: sorted(o["name"] for o in result(resp)["items"])  # noqa: E731
    assert names(call(emulator, "GET", params={"name": "exports"})) == ["exports", "exports-eu"]
    emulator.options.name_filter = "exact"
    assert names(call(emulator, "GET", params={"name": "exports"})) == ["exports"]
    assert names(call(emulator, "GET", params={"name": "export"})) == []
    assert result(call(emulator, "GET", params={"name": ""}))["totalCount"] == 4
    filtered = result(call(emulator, "GET", params={"name": "exports", "limit": 1}))
    assert filtered["totalCount"] == 1


# --- request log --------------------------------------------------------------------


def test_request_log_records_requests_and_redacts_the_key(emulator):
    created = result(create(emulator, org=ORG_A))
    call(emulator, "GET", params={"limit": 5, "name": "x"}, org=ORG_A)
    call(emulator, "GET", f"{COLLECTION}/{created['id']}", org=ORG_A)
    call(emulator, "DELETE", f"{COLLECTION}/{created['id']}", org=ORG_A)
    call(emulator, "PUT", COLLECTION)
    call(emulator, "GET", "/encoding/outputs")
    log = list(emulator.requests)
    assert [(r.method, r.route, r.status) for r in log] == [
        ("POST", "create", 201),
        ("GET", "list", 200),
        ("GET", "get", 200),
        ("DELETE", "delete", 200),
        ("PUT", None, 405),
        ("GET", None, 404),
    ]
    assert emulator.requests.count("create") == 1
    assert emulator.requests.count(method="GET") == 3
    first = emulator.requests[0]
    assert first.path == "/v1/analytics/outputs/s3-role-based"
    assert first.body["bucketName"] == "bucket"
    assert first.headers["X-Api-Key"] == SECRET_MASK
    assert first.headers["X-Tenant-Org-Id"] == ORG_A
    assert first.fault is None
    assert log[1].query == {"limit": "5", "name": "x"}
    assert log[1].body is None
    assert KEY not in repr(log)
    emulator.requests.clear()
    assert len(emulator.requests) == 0


def test_api_key_in_query_string_is_redacted_too(emulator):
    call(emulator, "GET", params={"X-Api-Key": KEY})
    assert emulator.requests[0].query == {"X-Api-Key": SECRET_MASK}
    assert KEY not in repr(list(emulator.requests))


def test_rejected_requests_are_logged_without_the_key(emulator):
    emulator.options.api_keys = {"other"}
    call(emulator, "GET")
    assert emulator.requests[0].status == 401
    assert KEY not in repr(list(emulator.requests))


# --- switchable options -------------------------------------------------------------


def test_echo_options_hide_fields_in_every_output_response(emulator):
    emulator.options.echo_role_arn = False
    emulator.options.echo_acl = False
    emulator.options.echo_type = False
    emulator.options.echo_custom_data = False
    created_response = create(emulator, customData={"a": 1}, acl=[{"permission": "PRIVATE"}])
    created = result(created_response)
    got = result(call(emulator, "GET", f"{COLLECTION}/{created['id']}"))
    item = result(call(emulator, "GET"))["items"][0]
    for shown in (created, got, item):
        assert not {"roleArn", "acl", "type", "customData"} & set(shown)
        assert shown["bucketName"] == "bucket"
    stored = emulator.outputs.get(created["id"])
    assert stored["roleArn"] == ROLE
    assert stored["acl"] == [{"permission": "PRIVATE"}]


def test_echo_custom_data_option(emulator):
    emulator.options.echo_custom_data = True
    created = result(create(emulator, customData={"a": 1}))
    assert created["customData"] == {"a": 1}
    assert result(call(emulator, "GET", f"{COLLECTION}/{created['id']}"))["customData"] == {"a": 1}
    assert result(call(emulator, "GET"))["items"][0]["customData"] == {"a": 1}


def test_create_status_option(emulator):
    emulator.options.create_status = 200
    assert create(emulator).status_code == 200


def test_delete_full_body_option(emulator):
    emulator.options.delete_body = "full"
    created = result(create(emulator))
    assert result(call(emulator, "DELETE", f"{COLLECTION}/{created['id']}")) == created


def test_validate_role_arn_option(emulator):
    assert create(emulator, roleArn="not-an-arn").status_code == 201  # off by default
    emulator.options.validate_role_arn = True
    data = assert_error(create(emulator, roleArn="not-an-arn"), 400, 1000)
    assert fields_of(data) == {"roleArn"}
    assert_error(create(emulator, roleArn="arn:aws:iam::123456789012:user/Someone"), 400)
    assert create(emulator, roleArn=ROLE).status_code == 201
    assert create(emulator, roleArn="arn:aws-cn:iam::123456789012:role/path/R").status_code == 201


def test_pagination_links_option(emulator):
    seed(emulator, 3)
    emulator.options.pagination_links = False
    page = result(call(emulator, "GET", params={"offset": 1, "limit": 1}))
    assert "next" not in page
    assert "previous" not in page


def test_reset_restores_default_options(emulator):
    emulator.options.create_status = 200
    emulator.reset()
    assert emulator.options.create_status == 201


# --- faults -------------------------------------------------------------------------


def test_status_fault_before_processing_changes_nothing(emulator):
    fault = emulator.fail("create", 503, headers={"Retry-After": "2"})
    response = create(emulator)
    data = assert_error(response, 503)
    assert data["code"] == 1004
    assert response.headers["Retry-After"] == "2"
    assert len(emulator.outputs) == 0
    assert fault.hits == 1
    assert create(emulator).status_code == 201  # times=1: the next request passes
    assert [r.fault for r in emulator.requests] == ["status 503 before", None]
    assert [r.status for r in emulator.requests] == [503, 201]


def test_status_fault_after_processing_keeps_the_effect(emulator):
    emulator.fail("create", 500, when="after")
    assert create(emulator).status_code == 500
    assert len(emulator.outputs) == 1
    assert emulator.requests[0].fault == "status 500 after"


def test_rate_limit_fault_with_headers_and_times(emulator):
    emulator.fail("list", 429, headers={"Retry-After": "1", "X-RateLimit-Reset": "3"}, times=2)
    statuses = [call(emulator, "GET").status_code for _ in range(3)]
    assert statuses == [429, 429, 200]
    response = call(emulator, "GET")
    assert response.status_code == 200


def test_fault_with_raw_html_body(emulator):
    html = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    emulator.fail("get", 502, body=html)
    response = call(emulator, "GET", f"{COLLECTION}/x")
    assert response.status_code == 502
    assert response.reason == "Bad Gateway"
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.text == html


def test_fault_with_custom_json_body(emulator):
    emulator.fail("delete", 504, body={"message": "Endpoint request timed out"})
    response = call(emulator, "DELETE", f"{COLLECTION}/x")
    assert response.status_code == 504
    assert response.json() == {"message": "Endpoint request timed out"}


def test_fault_by_path_pattern_and_method(emulator):
    created = result(create(emulator))
    emulator.fail(f"/v1{COLLECTION}/*", 500, method="DELETE", times=None)
    assert call(emulator, "GET", f"{COLLECTION}/{created['id']}").status_code == 200
    assert call(emulator, "DELETE", f"{COLLECTION}/{created['id']}").status_code == 500
    assert call(emulator, "DELETE", f"{COLLECTION}/{created['id']}").status_code == 500
    assert len(emulator.outputs) == 1
    emulator.clear_faults()
    assert call(emulator, "DELETE", f"{COLLECTION}/{created['id']}").status_code == 200


def test_wildcard_fault_applies_even_without_auth(emulator):
    emulator.fail("*", 502)
    assert call(emulator, "GET", "/anything", key=None).status_code == 502


def test_invalid_faults_are_rejected(emulator):
    with pytest.raises(ValueError, match="target"):
        emulator.fail("update", 500)
    with pytest.raises(ValueError, match="when"):
        emulator.fail("create", 500, when="during")
    with pytest.raises(ValueError, match="times"):
        emulator.delay("create", 1, times=0)


def test_delay_before_processing(emulator):
    emulator.delay("list", 0.1)
    started = time.monotonic()
    assert call(emulator, "GET").status_code == 200
    assert time.monotonic() - started >= 0.1
    assert emulator.requests[0].fault == "delay 0.1s before"


def test_delay_after_processing_is_a_timeout_where_the_server_acted(emulator):
    emulator.delay("create", 1.0, when="after")
    with pytest.raises(requests.ReadTimeout):
        call(emulator, "POST", json={"bucketName": "b", "roleArn": ROLE}, timeout=0.2)
    assert len(emulator.outputs) == 1
    assert emulator.requests.count("create") == 1


def test_reset_drops_requests_still_delayed_before_processing(emulator):
    emulator.delay("create", 5.0)
    with pytest.raises(requests.ReadTimeout):
        call(emulator, "POST", json={"bucketName": "b", "roleArn": ROLE}, timeout=0.2)
    emulator.reset()
    assert emulator.requests.wait_for(route="create", timeout=0.1) is False
    assert len(emulator.outputs) == 0
    assert len(emulator.requests) == 0


def test_wait_for_returns_once_a_delayed_request_is_handled(emulator):
    emulator.delay("create", 0.3)
    with pytest.raises(requests.ReadTimeout):
        call(emulator, "POST", json={"bucketName": "b", "roleArn": ROLE}, timeout=0.1)
    assert emulator.requests.count("create") == 0
    assert emulator.requests.wait_for(route="create", timeout=5) is True
    assert len(emulator.outputs) == 1
    assert emulator.requests.wait_for(2, route="create", timeout=0.05) is False


def test_dropped_connection_after_processing(emulator, capfd):
    fault = emulator.drop_connection("create")
    with pytest.raises(requests.ConnectionError):
        create(emulator)
    assert len(emulator.outputs) == 1
    assert fault.hits == 1
    record = emulator.requests[0]
    assert (record.route, record.status, record.fault) == ("create", None, "drop after")
    assert create(emulator).status_code == 201  # the server still works
    time.sleep(0.05)  # a traceback, if any, is printed by the server thread after the client saw the drop
    assert "Traceback" not in capfd.readouterr().err


def test_dropped_connection_before_processing(emulator, capfd):
    emulator.drop_connection("create", when="before")
    with pytest.raises(requests.ConnectionError) as raised:
        create(emulator)
    assert "RemoteDisconnected" in repr(raised.value) or "reset" in repr(raised.value).lower()
    assert len(emulator.outputs) == 0
    assert emulator.requests[0].status is None
    time.sleep(0.05)
    assert "Traceback" not in capfd.readouterr().err


def test_dropped_connection_for_get(emulator):
    created = result(create(emulator))
    emulator.drop_connection("get", times=2)
    for _ in range(2):
        with pytest.raises(requests.ConnectionError):
            call(emulator, "GET", f"{COLLECTION}/{created['id']}")
    assert call(emulator, "GET", f"{COLLECTION}/{created['id']}").status_code == 200


# --- command line -------------------------------------------------------------------


def test_cli_flags_map_to_options():
    args = build_parser().parse_args(
        [
            "--api-key",
            "a",
            "--api-key",
            "b",
            "--create-status",
            "200",
            "--delete-body",
            "full",
            "--unauthorized-body",
            "gateway",
            "--name-filter",
            "exact",
            "--no-echo-role-arn",
            "--echo-custom-data",
            "--no-echo-acl",
            "--no-echo-type",
            "--validate-role-arn",
            "--no-pagination-links",
            "--no-require-custom-external-id",
            "--external-id-in-generated-modes",
            "replace",
            "--no-validate-tenant-org-id",
            "--no-reject-zero-limit",
        ]
    )
    options = options_from_args(args)
    assert options.api_keys == {"a", "b"}
    assert (options.create_status, options.delete_body, options.unauthorized_body) == (200, "full", "gateway")
    assert options.name_filter == "exact"
    assert not options.echo_role_arn
    assert options.echo_custom_data
    assert not options.echo_acl
    assert not options.echo_type
    assert options.validate_role_arn
    assert not options.pagination_links
    assert not options.require_custom_external_id
    assert options.external_id_in_generated_modes == "replace"
    assert not options.validate_tenant_org_id
    assert not options.reject_zero_limit
    defaults = options_from_args(build_parser().parse_args([]))
    assert defaults.api_keys is None
    assert defaults.create_status == 201
    # Strict where the public documentation is silent.
    assert defaults.require_custom_external_id
    assert defaults.external_id_in_generated_modes == "reject"
    assert defaults.validate_tenant_org_id
    assert defaults.reject_zero_limit


def test_help_documents_the_strictness_switches(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    for flag in (
        "--require-custom-external-id, --no-require-custom-external-id",
        "--validate-tenant-org-id, --no-validate-tenant-org-id",
        "--reject-zero-limit, --no-reject-zero-limit",
        "--external-id-in-generated-modes {reject,replace}",
    ):
        assert flag in text
    assert "(default: reject)" in text
    assert text.count("(400) (default: on)") == 3


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_python_m_bitmovin_emulator_serves_and_stops_on_signal(stop_signal):
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dev.bitmovin_emulator",
            "--port",
            "0",
            "--api-key",
            "cli-key",
            "--create-status",
            "200",
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first_line = process.stdout.readline().rstrip("\n")
        assert re.match(r"^http://127\.0\.0\.1:\d+/v1$", first_line), first_line
        url = first_line + COLLECTION
        response = requests.post(
            url, json={"bucketName": "b", "roleArn": ROLE}, headers={"X-Api-Key": "cli-key"}, timeout=5
        )
        assert response.status_code == 200
        listed = requests.get(url, headers={"X-Api-Key": "cli-key"}, timeout=5)
        assert listed.json()["data"]["result"]["totalCount"] == 1
        assert requests.get(url, headers={"X-Api-Key": "other"}, timeout=5).status_code == 401
        process.send_signal(stop_signal)
        stdout, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert stdout == ""  # nothing after the URL line: no request logging on stdout
    assert "cli-key" not in stderr


def test_in_process_server_context_manager_releases_the_port():
    with EmulatorServer() as server:
        url = server.base_url
        assert json.loads(call(server, "GET").text)["status"] == "SUCCESS"
    with pytest.raises(requests.ConnectionError):
        requests.get(url + COLLECTION, headers={"X-Api-Key": KEY}, timeout=2)
    server.close()  # closing twice is fine
