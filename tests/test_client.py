"""Layer 2: the Bitmovin client against the local emulator over real HTTP."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bitmovin_emulator.options import DEFAULT_ORG_ID
from providers.bitmovin_client import OUTPUTS_PATH, BitmovinClient
from providers.bitmovin_errors import BitmovinApiError
from providers.http_policy import HttpPolicy
from tests.support import ORG_ID, OTHER_ORG_ID

pytestmark = pytest.mark.layer2

KEY = "client-test-key-5b1e"
ROLE = "arn:aws:iam::123456789012:role/bitmovin-analytics"
FAST = HttpPolicy(
    connect_timeout=2, read_timeout=2, max_retries=2, retry_budget_seconds=3, backoff_factor=0.01
)


def client_for(emulator, org=None, key=KEY, http=FAST):
    return BitmovinClient(key, base_url=emulator.base_url, tenant_org_id=org, http=http)


def assert_key_hidden(error: BitmovinApiError, key: str = KEY) -> None:
    assert key not in str(error)
    assert key not in repr(error)
    assert key not in repr(error.__dict__)


def test_create_get_custom_data_delete_round_trip(emulator):
    client = client_for(emulator, ORG_ID)
    created = client.create_output(
        {
            "bucketName": "acme-analytics",
            "roleArn": ROLE,
            "externalIdMode": "GLOBAL",
            "name": "n",
            "customData": {"team": "video"},
            "acl": [{"permission": "PRIVATE"}],
        }
    )
    assert created["externalId"] == emulator.outputs.global_external_id(ORG_ID)
    assert emulator.outputs.get(created["id"], ORG_ID) is not None
    fetched = client.get_output(created["id"])
    assert fetched["id"] == created["id"]
    assert fetched["bucketName"] == "acme-analytics"
    assert client.get_custom_data(created["id"])["customData"] == {"team": "video"}
    assert client.delete_output(created["id"]) == created["id"]
    assert emulator.outputs.get(created["id"], ORG_ID) is None
    assert [r.route for r in emulator.requests] == ["create", "get", "custom_data", "delete"]


def test_headers_and_body_sent(emulator):
    client_for(emulator, ORG_ID).create_output({"bucketName": "b-b-b", "roleArn": ROLE})
    record = emulator.requests[0]
    headers = {k.lower(): v for k, v in record.headers.items()}
    assert headers["x-api-key"] == "<redacted>"
    assert headers["x-tenant-org-id"] == ORG_ID
    assert headers["content-type"] == "application/json"
    assert headers["x-api-client"] == "bitmovin-analytics-export"
    assert re.fullmatch(r"\d+\.\d+\.\d+", headers["x-api-client-version"])
    assert record.body == {"bucketName": "b-b-b", "roleArn": ROLE, "type": "S3_ROLE_BASED"}


def test_no_org_header_without_an_organization(emulator):
    client_for(emulator).list_outputs()
    assert "x-tenant-org-id" not in {k.lower() for k in emulator.requests[0].headers}


def test_paging_iterates_more_than_100_outputs(emulator):
    for index in range(230):
        emulator.outputs.create({"bucketName": "b-b-b", "roleArn": ROLE, "name": f"out-{index:03d}"})
    names = [item["name"] for item in client_for(emulator).iter_outputs()]
    assert sorted(names) == [f"out-{index:03d}" for index in range(230)]
    assert [r.query.get("offset") for r in emulator.requests] == ["0", "100", "200"]
    assert all(r.query.get("limit") == "100" for r in emulator.requests)


def test_list_page_and_name_filter(emulator):
    for name in ("alpha", "beta", "alphabet"):
        emulator.outputs.create({"bucketName": "b-b-b", "roleArn": ROLE, "name": name})
    client = client_for(emulator)
    page = client.list_outputs(offset=1, limit=1)
    assert (page["totalCount"], page["offset"], page["limit"], len(page["items"])) == (3, 1, 1, 1)
    assert {item["name"] for item in client.iter_outputs(name="alpha")} <= {"alpha", "alphabet"}
    with pytest.raises(ValueError, match="limit"):
        client.list_outputs(limit=101)


def test_validation_error_carries_fields_code_and_request_id(emulator):
    with pytest.raises(BitmovinApiError) as caught:
        client_for(emulator).create_output({"externalIdMode": "SOMETIMES"})
    error = caught.value
    assert error.status == 400
    assert isinstance(error.code, int)
    assert error.message
    assert set(error.rejected_fields) >= {"bucketName", "roleArn", "externalIdMode"}
    assert error.request_id
    assert "bucketName" in str(error)
    assert error.outcome_unknown is False
    assert_key_hidden(error)


@pytest.mark.parametrize("body_style", ["envelope", "gateway"])
def test_unauthorized_explains_which_config_to_check(emulator, body_style):
    emulator.options.api_keys = {"the-right-key"}
    emulator.options.unauthorized_body = body_style
    with pytest.raises(BitmovinApiError) as caught:
        client_for(emulator).get_output("whatever")
    error = caught.value
    assert error.status == 401
    assert "bitmovin:apiKey" in str(error)
    assert_key_hidden(error)


def test_forbidden_organization_names_tenant_org_config(emulator):
    emulator.options.org_access = {KEY: [ORG_ID]}
    with pytest.raises(BitmovinApiError) as caught:
        client_for(emulator, OTHER_ORG_ID).list_outputs()
    assert caught.value.status == 403
    assert "bitmovin:tenantOrgId" in str(caught.value)
    assert_key_hidden(caught.value)


def test_output_of_another_organization_is_not_found(emulator):
    created = client_for(emulator, ORG_ID).create_output({"bucketName": "b-b-b", "roleArn": ROLE})
    with pytest.raises(BitmovinApiError) as caught:
        client_for(emulator, OTHER_ORG_ID).get_output(created["id"])
    assert caught.value.not_found
    with pytest.raises(BitmovinApiError) as caught:
        client_for(emulator).delete_output(created["id"])
    assert caught.value.not_found
    assert emulator.outputs.get(created["id"], ORG_ID) is not None


def test_unknown_id_is_not_found(emulator):
    with pytest.raises(BitmovinApiError) as caught:
        client_for(emulator).get_output("cb90b80c-8867-4e3b-8479-174aa2843f62")
    assert caught.value.status == 404
    assert caught.value.not_found
    assert_key_hidden(caught.value)


def test_method_not_allowed_is_a_readable_error(emulator):
    # The client offers no update; speaking PUT through its transport shows how a 405 reads.
    with pytest.raises(BitmovinApiError) as caught:
        client_for(emulator)._call("PUT", f"{OUTPUTS_PATH}/some-id", json={})
    assert caught.value.status == 405
    assert "405" in str(caught.value)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"message": "Invalid authentication credentials"}, "Invalid authentication credentials"),
        ("<html><body><h1>502 Bad Gateway</h1></body></html>", "Bad Gateway"),
        ("upstream connect error", "upstream connect error"),
    ],
)
def test_bodies_that_are_not_the_envelope_still_read_well(emulator, body, expected):
    emulator.fail("create", 502, body=body)
    with pytest.raises(BitmovinApiError) as caught:
        client_for(emulator).create_output({"bucketName": "b-b-b", "roleArn": ROLE})
    error = caught.value
    assert error.status == 502
    assert expected in str(error)
    assert "<html" not in str(error)
    assert error.outcome_unknown is True
    assert_key_hidden(error)


def test_success_without_envelope_is_an_error(emulator):
    emulator.fail("get", 200, body={"unexpected": True})
    with pytest.raises(BitmovinApiError, match="envelope"):
        client_for(emulator).get_output("x")


def test_read_timeout_is_explicit_and_marks_outcome_unknown(emulator):
    emulator.delay("create", 1.5, when="after")
    settings = HttpPolicy(connect_timeout=1, read_timeout=0.3, max_retries=0)
    with pytest.raises(BitmovinApiError) as caught:
        client_for(emulator, http=settings).create_output({"bucketName": "b-b-b", "roleArn": ROLE})
    assert "timed out" in str(caught.value)
    assert caught.value.outcome_unknown is True
    assert_key_hidden(caught.value)


def test_connection_refused_is_known_not_to_have_reached_the_server():
    client = BitmovinClient(KEY, base_url="http://127.0.0.1:9/v1", http=HttpPolicy(max_retries=0))
    with pytest.raises(BitmovinApiError) as caught:
        client.create_output({"bucketName": "b-b-b", "roleArn": ROLE})
    assert caught.value.outcome_unknown is False
    assert_key_hidden(caught.value)


def test_repr_of_client_hides_the_key(emulator):
    assert KEY not in repr(client_for(emulator))


def test_only_the_analytics_outputs_endpoint_is_ever_called(emulator):
    client = client_for(emulator, ORG_ID)
    created = client.create_output({"bucketName": "b-b-b", "roleArn": ROLE})
    client.get_output(created["id"])
    client.get_custom_data(created["id"])
    list(client.iter_outputs())
    client.delete_output(created["id"])
    assert {
        r.path.split("/v1", 1)[1].split("/")[1:4] == ["analytics", "outputs", "s3-role-based"]
        for r in emulator.requests
    } == {True}
    source = "\n".join(
        p.read_text() for p in Path(__file__).resolve().parent.parent.joinpath("providers").glob("*.py")
    )
    assert "/encoding/" not in source


def test_ids_cannot_change_the_path(emulator):
    with pytest.raises(ValueError, match="invalid output id"):
        client_for(emulator).get_output("../encoding/outputs")
    assert len(emulator.requests) == 0


def test_default_organization_is_used_without_header(emulator):
    created = client_for(emulator).create_output({"bucketName": "b-b-b", "roleArn": ROLE})
    assert emulator.outputs.get(created["id"], DEFAULT_ORG_ID) is not None
