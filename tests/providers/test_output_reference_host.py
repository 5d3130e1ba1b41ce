"""Layer 3: the output reference inside the real dynamic-provider host, over gRPC like the engine.

The host (``python -m pulumi.dynamic``, started from the project root) talks to the local emulator
over real HTTP; ``__provider`` is the string ``AnalyticsOutputReference`` serializes in a program.
Requests are counted per engine operation: Create 1 GET, Read 1 GET, Delete none.
"""

from __future__ import annotations

import base64

import grpc
import pytest

from dev.support.host_harness import (
    PROVIDER_KEY,
    UNKNOWN,
    HostCallError,
    ProviderHost,
    SerializedResource,
    without_provider,
)
from dev.support.testing import ORG_ID, OTHER_ORG_ID

pytestmark = pytest.mark.layer3

RESOURCE_CLASS = "providers.output_reference:AnalyticsOutputReference"
RESOURCE_TYPE = "pulumi-python:dynamic/bitmovin:AnalyticsOutputReference"
API_KEY = "REFERENCE-HOST-KEY-58c1"
MISSING_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
PLACEHOLDER_ID = "cb90b80c-8867-4e3b-8479-174aa2843f62"  # what the program was given; tests use real ids


# The providers conftest's program, host and api fixtures read these (api: nothing posted or deleted).
PROGRAM_RESOURCES = (("existing-output", {"output_id": PLACEHOLDER_ID, "tenant_org_id": ORG_ID}),)
READ_ONLY_API = True


def hand_made(emulator, org: str = ORG_ID) -> dict:
    return emulator.outputs.create(
        {
            "bucketName": "acme-exports",
            "roleArn": "arn:aws:iam::123456789012:role/by-hand",
            "externalIdMode": "GLOBAL",
        },
        org,
    )


def test_the_program_serializes_the_provider_by_reference_as_a_secret(program: SerializedResource):
    assert program.type == RESOURCE_TYPE
    assert program.provider_was_secret
    assert program.inputs == {"output_id": PLACEHOLDER_ID, "tenant_org_id": ORG_ID}
    decoded = base64.b64decode(program.provider)
    assert b"providers.output_reference" in decoded
    assert b"AnalyticsOutputReferenceProvider" in decoded
    assert len(program.provider) <= 200


def test_preview_checks_offline_and_tolerates_unknowns(host: ProviderHost, api):
    checked = host.check({"output_id": UNKNOWN, "tenant_org_id": ORG_ID})
    assert checked.failures == []
    assert checked.inputs["output_id"] == UNKNOWN
    assert len(api.requests) == 0


def test_check_failures_name_the_property(host: ProviderHost, api):
    checked = host.check({"output_id": "hand-made", "tenant_org_id": "acme"})
    assert sorted(prop for prop, _ in checked.failures) == ["output_id", "tenant_org_id"]
    assert len(api.requests) == 0


def test_lifecycle_reads_but_never_creates_or_deletes(host: ProviderHost, api):
    existing = hand_made(api)
    inputs = {"output_id": existing["id"], "tenant_org_id": ORG_ID}

    checked = host.check(inputs)
    assert checked.failures == []
    created = host.create(checked.inputs, name="existing-output")
    assert [(r.method, r.route, r.status) for r in api.requests] == [("GET", "get", 200)]
    assert created.id == existing["id"]
    assert created.properties[PROVIDER_KEY] == host.provider
    assert API_KEY not in str(created.properties)
    assert without_provider(created.properties) == {
        "output_id": existing["id"],
        "tenant_org_id": ORG_ID,
        "bucket_name": "acme-exports",
        "role_arn": "arn:aws:iam::123456789012:role/by-hand",
        "external_id": api.outputs.global_external_id(ORG_ID),
        "external_id_mode": "GLOBAL",
        "created_at": existing["createdAt"],
    }

    api.requests.clear()
    read = host.read(created.id, created.properties, checked.inputs, name="existing-output")
    assert read.id == created.id
    assert read.properties == created.properties
    assert without_provider(read.inputs) == inputs
    assert api.requests.count() == 1

    unchanged = host.diff(read.id, read.properties, host.check(inputs, olds=read.inputs).inputs)
    assert unchanged.changes == "NONE"
    other = host.diff(read.id, read.properties, {**inputs, "output_id": MISSING_ID})
    assert (other.changes, other.replaces) == ("SOME", ["output_id"])

    api.requests.clear()
    host.delete(created.id, created.properties, name="existing-output")
    assert len(api.requests) == 0
    assert api.outputs.get(existing["id"], ORG_ID) == existing


def test_a_missing_output_fails_create_with_a_message_naming_the_organization(host: ProviderHost, api):
    with pytest.raises(HostCallError) as raised:
        host.create({"output_id": MISSING_ID, "tenant_org_id": ORG_ID})
    assert raised.value.code == grpc.StatusCode.UNKNOWN
    assert "ReferencedOutputError" in raised.value.details
    assert f"{MISSING_ID} (existingOutputId) was not found in organization {ORG_ID}" in raised.value.details
    assert API_KEY not in raised.value.details


def test_an_output_of_another_organization_is_not_found_in_the_stack_s_organization(host: ProviderHost, api):
    elsewhere = hand_made(api, org=OTHER_ORG_ID)
    with pytest.raises(HostCallError) as raised:
        host.create({"output_id": elsewhere["id"], "tenant_org_id": ORG_ID})
    assert f"not found in organization {ORG_ID}" in raised.value.details
    assert api.outputs.get(elsewhere["id"], OTHER_ORG_ID) == elsewhere
