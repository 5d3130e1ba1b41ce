"""Layer 2: referencing an existing output against the local emulator over real HTTP.

A reference reads the output and never creates or deletes it: ``create`` and ``read`` are one GET
each, ``delete`` sends nothing, and no test here ever sees a POST or DELETE reach the API.
"""

from __future__ import annotations

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from bitmovin_api.errors import BitmovinApiError
from dev.bitmovin_emulator import DEFAULT_ORG_ID
from dev.support.testing import ORG_ID, OTHER_ORG_ID
from providers.output_reference import AnalyticsOutputReferenceProvider, ReferencedOutputError
from providers.provider_base import ProviderConfigError

pytestmark = [pytest.mark.layer2, pytest.mark.usefixtures("no_bitmovin_env")]

API_KEY = "reference-test-key-6b2e"
MISSING_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
ROLE = "arn:aws:iam::123456789012:role/hand-made-bitmovin-role"


# The providers conftest's api fixture reads these: only API_KEY, and nothing created or deleted.
READ_ONLY_API = True


def configured(emulator, key=API_KEY):
    provider = AnalyticsOutputReferenceProvider()
    config = {
        "bitmovin:apiUrl": emulator.base_url,
        "bitmovin:maxRetries": "1",
        "bitmovin:retryBudgetSeconds": "2",
    }
    if key:
        config["bitmovin:apiKey"] = key
    provider.configure(ConfigureRequest(Config(config, "bitmovin-analytics-export")))
    return provider


def hand_made(emulator, org=ORG_ID, **fields):
    """An output created outside the stack, e.g. in the Bitmovin dashboard."""
    body = {
        "bucketName": "acme-exports",
        "roleArn": ROLE,
        "externalIdMode": "GLOBAL",
        "name": "by hand",
        **fields,
    }
    return emulator.outputs.create(body, org)


def test_create_is_one_get_in_the_organization_and_returns_the_output_fields(api):
    existing = hand_made(api)
    provider = configured(api)

    created = provider.create({"output_id": existing["id"], "tenant_org_id": ORG_ID})

    assert api.requests.count() == 1
    request = api.requests[0]
    assert (request.method, request.route) == ("GET", "get")
    assert request.headers["X-Tenant-Org-Id"] == ORG_ID
    assert created.id == existing["id"]
    assert created.outs == {
        "output_id": existing["id"],
        "tenant_org_id": ORG_ID,
        "bucket_name": "acme-exports",
        "role_arn": ROLE,
        "external_id": api.outputs.global_external_id(ORG_ID),
        "external_id_mode": "GLOBAL",
        "name": "by hand",
        "created_at": existing["createdAt"],
    }


def test_without_organization_the_key_s_own_organization_is_used(api):
    existing = hand_made(api, org=DEFAULT_ORG_ID, externalIdMode="GENERATED")
    created = configured(api).create({"output_id": existing["id"]})
    assert "X-Tenant-Org-Id" not in api.requests[0].headers
    assert created.outs["external_id"] == existing["externalId"]
    assert "tenant_org_id" not in created.outs


def test_read_is_one_get_and_reports_the_inputs(api):
    existing = hand_made(api)
    provider = configured(api)
    created = provider.create({"output_id": existing["id"], "tenant_org_id": ORG_ID})
    api.requests.clear()

    read = provider.read(created.id, created.outs)

    assert api.requests.count() == 1
    assert read.id == created.id
    assert read.outs == created.outs
    assert read.inputs == {"output_id": existing["id"], "tenant_org_id": ORG_ID}
    assert provider.diff(created.id, read.outs, read.inputs).changes is False


def test_delete_sends_no_request_and_the_output_stays(api):
    existing = hand_made(api)
    provider = configured(api)
    created = provider.create({"output_id": existing["id"], "tenant_org_id": ORG_ID})
    api.requests.clear()

    provider.delete(created.id, created.outs)

    assert len(api.requests) == 0
    assert api.outputs.get(existing["id"], ORG_ID) == existing


def test_read_of_an_output_deleted_meanwhile_leaves_the_state(api):
    existing = hand_made(api)
    provider = configured(api)
    created = provider.create({"output_id": existing["id"], "tenant_org_id": ORG_ID})
    api.outputs.delete(existing["id"], ORG_ID)  # deleted in the dashboard

    read = provider.read(created.id, created.outs)

    assert read.id is None
    assert read.outs == {}


def test_a_gateway_404_on_refresh_fails_and_keeps_the_reference(api):
    """Only the outputs API can say an output is gone: a proxy's HTML 404 is an error naming the URL."""
    existing = hand_made(api)
    provider = configured(api)
    created = provider.create({"output_id": existing["id"], "tenant_org_id": ORG_ID})
    api.fail("get", 404, body="<html>Not Found</html>", content_type="text/html", times=None)

    with pytest.raises(BitmovinApiError, match="is not treated as") as caught:
        provider.read(created.id, created.outs)

    assert api.base_url in str(caught.value)
    assert "was not found in" not in str(caught.value)
    assert API_KEY not in str(caught.value)


def test_a_missing_output_fails_with_not_found_in_the_organization(api):
    with pytest.raises(ReferencedOutputError) as raised:
        configured(api).create({"output_id": MISSING_ID, "tenant_org_id": ORG_ID})
    message = str(raised.value)
    assert f"{MISSING_ID} (existingOutputId) was not found in organization {ORG_ID}" in message
    assert "another organization" in message
    assert api.requests.count() == 1


def test_a_missing_output_without_organization_names_the_key_s_own_organization(api):
    with pytest.raises(ReferencedOutputError, match=r"not found in the API key's own organization"):
        configured(api).create({"output_id": MISSING_ID})


def test_an_output_of_another_organization_is_reported_as_not_found_in_the_stack_s_organization(api):
    elsewhere = hand_made(api, org=OTHER_ORG_ID)
    with pytest.raises(ReferencedOutputError) as raised:
        configured(api).create({"output_id": elsewhere["id"], "tenant_org_id": ORG_ID})
    message = str(raised.value)
    assert f"not found in organization {ORG_ID}" in message
    assert OTHER_ORG_ID not in message  # the API does not reveal the owner, and neither do we
    assert api.outputs.get(elsewhere["id"], OTHER_ORG_ID) == elsewhere


def test_an_organization_the_key_may_not_use_fails_with_403_and_what_to_check(api):
    existing = hand_made(api, org=OTHER_ORG_ID)
    api.options.org_access = {API_KEY: {ORG_ID}}
    with pytest.raises(ReferencedOutputError) as raised:
        configured(api).create({"output_id": existing["id"], "tenant_org_id": OTHER_ORG_ID})
    message = str(raised.value)
    assert f"may not read organization {OTHER_ORG_ID} (HTTP 403)" in message
    assert "bitmovin:tenantOrgId" in message
    assert API_KEY not in message


def test_refresh_in_an_organization_the_key_lost_access_to_fails_instead_of_forgetting(api):
    existing = hand_made(api)
    provider = configured(api)
    created = provider.create({"output_id": existing["id"], "tenant_org_id": ORG_ID})
    api.options.org_access = {API_KEY: set()}
    with pytest.raises(ReferencedOutputError, match="HTTP 403"):
        provider.read(created.id, created.outs)


def test_a_wrong_api_key_surfaces_as_the_client_error_without_the_key(api):
    existing = hand_made(api)
    with pytest.raises(BitmovinApiError) as raised:
        configured(api, key="WRONG-API_KEY-93af").create(
            {"output_id": existing["id"], "tenant_org_id": ORG_ID}
        )
    assert raised.value.status == 401
    assert "WRONG-API_KEY-93af" not in str(raised.value)


def test_without_api_key_nothing_is_sent(api):
    with pytest.raises(ProviderConfigError, match="bitmovin:apiKey"):
        configured(api, key=None).create({"output_id": MISSING_ID})
    assert len(api.requests) == 0


def test_role_arn_may_be_absent_from_the_api_response(api):
    existing = hand_made(api)
    api.options.echo_role_arn = False  # the public schema marks roleArn write-only
    created = configured(api).create({"output_id": existing["id"], "tenant_org_id": ORG_ID})
    assert "role_arn" not in created.outs
    assert created.outs["bucket_name"] == "acme-exports"
    assert created.outs["external_id"] == existing["externalId"]


def test_an_output_without_external_id_is_refused(api):
    existing = hand_made(api, externalIdMode="CUSTOM")  # created without an external ID
    assert "externalId" not in existing
    with pytest.raises(ReferencedOutputError) as raised:
        configured(api).create({"output_id": existing["id"], "tenant_org_id": ORG_ID})
    assert "has no externalId" in str(raised.value)
    assert "GLOBAL or GENERATED" in str(raised.value)
